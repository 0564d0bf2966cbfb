"""Issue 15's acceptance in Chromium: the demo's street-outreach placements by district with the
lagging district named, a new contract started from the workforce-training template, and an
OCDS file published by another system imported into an empty tracker twice without duplicates
(``RDC_E2E_SCREENSHOTS=DIR`` saves screenshots)."""
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from contracts_app.auth.services import create_user
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db
from tests.e2e.conftest import screenshot
from contracts_app.metrics.models import Metric

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ocds"
PASSWORD = "a-long-test-password"


def _sign_in(page, email, password):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def _fits(page, width):
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"scrolls sideways at {width} px ({scrolled} px)"


def test_placements_by_district_and_a_contract_from_the_workforce_template(browser, demo_live_app, demo_live_server):
    with demo_live_app.app_context():
        placements = db.session.scalar(
            select(Metric.id).join(Contract, Contract.id == Metric.contract_id)
            .where(Contract.reference == "HS-2025-014", Metric.name == "Placements into shelter or housing"))
        db.session.remove()
    context = browser.new_context(base_url=demo_live_server, viewport={"width": 390, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    _sign_in(page, "ana@demo.city", demo_password())

    # Placements by council district: on track overall, District 7 lagging — in the chart
    # (a red bar), in the table, and as the contract's gap flag.
    page.goto(f"/metrics/{placements}")
    section = page.locator("h2:has-text('By Council district')")
    expect(section).to_be_visible()
    chart = page.locator("figure.group-chart .chart-narrow svg")
    expect(chart).to_be_visible()
    assert "District 7" in chart.inner_html() and "#a4262c" in chart.inner_html()
    _fits(page, 390)
    screenshot(page, "placements-by-district-390")
    page.goto("/flags?kind=group_gap")
    expect(page.locator("main")).to_contain_text("off track in District 7")

    # The library, on a phone: a template from documented practice, then a contract from it.
    page.goto("/contract-templates")
    _fits(page, 390)
    page.click("a:has-text('Workforce training with placement and six-month retention')")
    expect(page.locator("main")).to_contain_text("How the target was set")
    screenshot(page, "workforce-template-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("a:has-text('New contract from template')")
    expect(page.locator("main")).to_contain_text("Starting from the template Workforce training")
    assert page.input_value("#problem")  # pre-filled from the template
    start = date.today().replace(day=1)
    page.fill("#reference", "WD-2026-900")
    page.fill("#title", "Reentry jobs, second cohort")
    page.fill("#new_vendor_name", "Second Chance Works")
    page.fill("#value", "480000")
    page.fill("#start_date", start.isoformat())
    page.fill("#end_date", (start.replace(year=start.year + 2) - timedelta(days=1)).isoformat())
    if not page.locator("#priority_ids").evaluate("s => s.selectedOptions.length"):
        page.select_option("#priority_ids", index=0)
    with page.expect_navigation():
        page.click("button:has-text('Register contract')")
    assert page.locator(".error").all_inner_texts() == []
    expect(page.locator("h1")).to_have_text("WD-2026-900 — Reentry jobs, second cohort")
    body = page.locator("main")
    expect(body).to_contain_text("Started from template")
    expect(body).to_contain_text("Workforce training with placement and six-month retention")
    expect(body).to_contain_text("have no target yet")
    screenshot(page, "contract-from-template-1366")
    page.set_viewport_size({"width": 390, "height": 900})
    _fits(page, 390)
    screenshot(page, "contract-from-template-390")
    # The template now shows how the contracts built from it are doing.
    page.click("a:has-text('Workforce training with placement and six-month retention')")
    expect(page.locator("main")).to_contain_text("WD-2026-900")
    context.close()
    with demo_live_app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == "WD-2026-900"))
        assert contract.template is not None and len(contract.metrics) >= 2
        assert all(m.target_value is None for m in contract.metrics)
        db.session.remove()


def test_an_ocds_file_from_another_system_is_imported_into_an_empty_tracker_twice(page, live_app):
    with live_app.app_context():
        create_user("ana@city.test", "Ana Ruiz", "procurement_officer", PASSWORD)
    _sign_in(page, "ana@city.test", PASSWORD)
    source = FIXTURES / "ppp-full-example.json"  # the OCDS standard's public-private partnership example
    for attempt in (1, 2):
        page.goto("/work")
        page.click("a:has-text('Import OCDS')")
        page.set_input_files("#file", str(source))
        with page.expect_navigation():
            page.click("button:has-text('Check the file')")
        flash = page.locator(".flash-info")
        if attempt == 1:
            expect(flash).to_contain_text("Importing will create 1 contract")
            screenshot(page, "ocds-preview-1366")
            page.set_viewport_size({"width": 390, "height": 900})
            _fits(page, 390)
            screenshot(page, "ocds-preview-390")
            with page.expect_navigation():
                page.click("button:has-text('Import')")
            expect(page.locator("main")).to_contain_text("1 contract created")
        else:
            # The same file again: nothing to import, no button to press.
            expect(flash).to_contain_text("nothing to import")
            assert page.locator("button:has-text('Import')").count() == 0
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Contract.id))) == 1
        assert db.session.scalar(select(func.count(Vendor.id))) == 1
        contract = db.session.scalar(select(Contract))
        assert contract.vendor.name == "Mega Consortium Ltd" and len(contract.milestones) >= 7
        db.session.remove()
