"""Evidence files in a real browser (CSRF on, real HTTP): the demo contract manager attaches a
workbook to a contract from its Documents section, a file named .pdf that is a web page is
refused beside the field, and a viewer downloads the workbook under its own name."""
import os
import re

from sqlalchemy import select

from contracts_app.attachments.models import Attachment
from contracts_app.contracts.models import Contract
from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db
from tests.attachments import files


def _sign_in(browser, base_url, email, width):
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", demo_password())
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_a_contract_manager_attaches_a_file_and_a_viewer_downloads_it(browser, demo_live_server, demo_live_app, tmp_path):
    with demo_live_app.app_context():
        ben = "ben@demo.city"
        contract_id = db.session.scalar(
            select(Contract.id).join(Contract.contract_manager).where(
                Contract.archived_at.is_(None), Contract.contract_manager.has(email=ben)
            ).order_by(Contract.id)
        )
        db.session.remove()
    workbook = files.xlsx()
    context, page = _sign_in(browser, demo_live_server, ben, 390)
    try:
        page.goto(f"/contracts/{contract_id}#documents")
        documents = page.locator("#documents")
        documents.locator("input[type=file]").set_input_files(
            files=[{"name": "fake.pdf", "mimeType": "application/pdf", "buffer": files.html()}]
        )
        documents.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "This is a web page or other markup" in page.locator(".field.has-error .error").inner_text()

        page.locator("input[type=file]").set_input_files(
            files=[{"name": "Q3 placements.xlsx", "mimeType": "application/octet-stream", "buffer": workbook}]
        )
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
        assert re.search(rf"/contracts/{contract_id}#documents$", page.url)
        assert "Q3 placements.xlsx attached" in page.locator(".flash-success").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()

    with demo_live_app.app_context():
        names = db.session.scalars(select(Attachment.original_name).where(Attachment.contract_id == contract_id)).all()
        db.session.remove()
    assert names == ["Q3 placements.xlsx"]

    context, page = _sign_in(browser, demo_live_server, "victor@demo.city", 1366)
    try:
        page.goto(f"/contracts/{contract_id}")
        assert page.locator("#documents input[type=file]").count() == 0  # a viewer only reads
        with page.expect_download() as download:
            page.locator("#documents a", has_text="Q3 placements.xlsx").click()
        assert download.value.suggested_filename == "Q3 placements.xlsx"
        saved = os.path.join(tmp_path, "saved.xlsx")
        download.value.save_as(saved)
        with open(saved, "rb") as handle:
            assert handle.read() == workbook
    finally:
        context.close()
