"""The readings spreadsheet in a browser: the demo contract manager downloads the periods due from
"My work", fills some in badly, sees every problem by row and column (at a phone's and a desktop's
width), corrects the file and records the readings."""
import io
import os
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db
from contracts_app.metrics.models import Reading


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _save(workbook, path):
    workbook.save(path)
    return str(path)


def test_a_contract_manager_round_trips_the_periods_due(browser, demo_live_server, demo_live_app, tmp_path):
    context = browser.new_context(base_url=demo_live_server, viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15000)
    shots = os.environ.get("RDC_E2E_SCREENSHOTS")
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#email", "ben@demo.city")
        page.fill("#password", demo_password())
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        with page.expect_download() as download:
            page.click("#overdue .bulk-readings a:text('Excel')")
        workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        sheet = workbook["Readings"]
        rows = list(sheet.iter_rows(min_row=2))
        assert len(rows) >= 3, "the demo manager has periods due"

        rows[0][10].value = "lots"
        rows[1][10].value = -3
        rows[2][10].value = 12
        sheet.append([rows[2][0].value, None, rows[2][2].value, None, None, None, rows[2][6].value, None, None, None, 13])
        page.goto("/imports/readings")
        page.set_input_files("#file", _save(workbook, tmp_path / "due.xlsx"))
        page.click("main button[type=submit]:text('Check the file')")
        page.wait_for_load_state()
        assert "3 problems in due.xlsx; nothing was recorded" in page.locator(".flash-error").inner_text()
        problems = page.locator("table.import-errors tbody tr")
        assert problems.count() == 3
        assert problems.nth(0).locator("td").nth(1).inner_text() == "Value"
        assert _fits(page)
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert _fits(page), width
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(shots) / f"readings-upload-problems-{width}.png"), full_page=True)
                page.screenshot(path=str(Path(shots) / f"readings-upload-problems-{width}-top.png"))
        with demo_live_app.app_context():
            before = db.session.scalar(select(func.count()).select_from(Reading))

        rows[0][10].value = 20
        rows[1][10].value = 3
        sheet.delete_rows(sheet.max_row)
        page.set_viewport_size({"width": 390, "height": 900})
        page.set_input_files("#file", _save(workbook, tmp_path / "due-fixed.xlsx"))
        page.click("main button[type=submit]:text('Check the file')")
        page.wait_for_load_state()
        assert "No problems." in page.locator(".flash-info").inner_text()
        assert _fits(page)
        if shots:
            page.screenshot(path=str(Path(shots) / "readings-preview-390.png"), full_page=True)
        page.click("main button:text('Record 3 readings')")
        page.wait_for_load_state()
        assert "Recorded 3 readings." in page.locator(".flash-success").inner_text()
        with demo_live_app.app_context():
            db.session.remove()
            assert db.session.scalar(select(func.count()).select_from(Reading)) == before + 3
    finally:
        context.close()
