"""Done when (issue 14): on a phone, the chief data officer opens the decision task the sweep
made for the demo contract 120 days from its end, reads its record, records the decision with its
rationale, and downloads the evidence packet from the evidence page."""
import io
import zipfile

from sqlalchemy import select

from contracts_app.decisions.models import RenewalDecision
from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db


def test_the_cdo_decides_from_the_summary_and_downloads_the_packet(browser, demo_live_server, demo_live_app):
    context = browser.new_context(base_url=demo_live_server, viewport={"width": 390, "height": 844}, accept_downloads=True)
    context.set_default_timeout(15000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#email", "priya@demo.city")
        page.fill("#password", demo_password())
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto("/work")
        task = page.locator("#decisions li[data-task]", has_text="IT-2024-029")
        assert task.count() == 1
        task.locator("a.button").click()
        page.wait_for_load_state()
        assert "Decision on IT-2024-029" in page.locator("h1").inner_text()
        assert page.locator("#summary", has_text="Datasets refreshed on schedule").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.click("main button[type=submit]")  # nothing chosen: refused, nothing saved
        page.wait_for_load_state()
        assert page.locator(".error", has_text="Pick one of the decisions offered").count() == 1
        page.check("input[name=choice][value=renew]")
        page.fill("#rationale", "On track in most periods; the vendor's completed contracts were rated 4 and 4.5.")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1
        assert page.locator(".decision-recorded", has_text="with the performance summary in front").count() == 1
        with demo_live_app.app_context():
            decision = db.session.scalars(select(RenewalDecision).where(RenewalDecision.choice == "renew")).one()
            assert decision.summary_shown and decision.contract.reference == "IT-2024-029"
            db.session.remove()

        page.goto("/portfolio/evidence")
        with page.expect_download() as download:
            page.click("text=Download the evidence packet (ZIP)")
        archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
        assert {"report.pdf", "RDC1.csv", "RDC8.csv"} <= set(archive.namelist())
    finally:
        context.close()
