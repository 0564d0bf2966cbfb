"""The issue's acceptance journey in a real browser: a procurement officer enters a contract with
two metrics, a milestone and a reading through the forms alone, and sees the right status."""
from datetime import date, datetime, timedelta, timezone

from playwright.sync_api import expect

from contracts_app.auth.services import create_user
from contracts_app.extensions import db
from contracts_app.metrics.rules import add_months, city_today
from contracts_app.priorities.models import Priority

PASSWORD = "a-long-test-password"


def _seed(app):
    with app.app_context():
        create_user("ana@city.test", "Ana Ruiz", "procurement_officer", PASSWORD)
        create_user("ben@city.test", "Ben Okafor", "contract_manager", PASSWORD)
        db.session.add(Priority(name="Reduce unsheltered homelessness 25% by 2027", outcome="25% fewer people unsheltered"))
        db.session.commit()
        return city_today(datetime.now(timezone.utc), app.config["CITY_TIMEZONE"])


def _sign_in(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def test_it_takes_a_contract_from_registration_to_a_status(page, live_app, tmp_path):
    today = _seed(live_app)
    # A term that started at the beginning of last month, so last month's period has ended.
    start = add_months(date(today.year, today.month, 1), -1)
    end = add_months(start, 24) - timedelta(days=1)

    _sign_in(page, "ana@city.test")
    expect(page.locator("body")).to_contain_text("Signed in as Ana Ruiz")

    page.click("text=New contract")
    page.fill("#reference", "HS-2025-014")
    page.fill("#title", "Street outreach")
    page.fill("#department", "Human Services")
    page.fill("#new_vendor_name", "Harbor Light Services")
    page.fill("#value", "1200000")
    # A typo: the end before the start is caught on the field and nothing is saved.
    page.fill("#start_date", start.isoformat())
    page.fill("#end_date", add_months(start, -1).isoformat())
    page.select_option("#payment_structure", "performance_based")
    page.fill("#payment_terms", "10% of each quarterly payment is withheld and released when placements meet target")
    page.fill("#problem", "People living outside are not connected to shelter or housing")
    page.fill("#outcomes", "More people move from the street into shelter and housing, and stay there")
    page.select_option("#priority_ids", label="Reduce unsheltered homelessness 25% by 2027")
    page.select_option("#contract_manager_id", label="Ben Okafor (ben@city.test)")
    page.click("button:has-text('Register contract')")
    expect(page.locator("body")).to_contain_text("The end date must be on or after the start date.")

    page.fill("#end_date", end.isoformat())
    page.click("button:has-text('Register contract')")
    assert page.locator(".error").all_inner_texts() == []
    assert page.locator("h1").inner_text() == "HS-2025-014 — Street outreach"
    contract_url = page.url

    # Two metrics: saving one returns to the contract, which offers another.
    for name, direction, baseline, target, link in (
        ("Placements into shelter or housing", "increase", "18", "30", "Add metric"),
        ("Median days from first contact to placement", "decrease", "64", "40", "Add another metric"),
    ):
        page.click(f"main a.button:text-is('{link}')")
        page.fill("#name", name)
        page.fill("#unit", "count" if direction == "increase" else "days")
        page.select_option("#direction", direction)
        page.fill("#baseline_value", baseline)
        page.fill("#target_value", target)
        page.select_option("#cadence", "monthly")
        page.fill("#due_days", "10")
        page.click("main button[type=submit]")
        expect(page.locator("section[aria-labelledby=metrics-h]")).to_contain_text(name)
        assert page.url.split("#")[0] == contract_url

    # A milestone.
    page.goto(contract_url)
    page.click("main >> text=Add milestone")
    page.fill("#title", "Second intake worker hired")
    page.fill("#due_date", add_months(start, 3).isoformat())
    page.click("main button[type=submit]")
    expect(page.locator("body")).to_contain_text("Second intake worker hired")

    # A reading for last month's placements: 25 against a target of about 18.5 is on track.
    page.goto(contract_url)
    page.click("main a:has-text('Placements into shelter or housing')")
    page.click("main >> text=Enter reading")
    page.select_option("#period", start.isoformat())
    page.fill("#value", "25")
    page.fill("#note", "From the vendor's monthly report")
    page.click("main button[type=submit]")

    assert page.locator(".error").all_inner_texts() == []
    page.goto("/contracts")
    page.click("main >> text=HS-2025-014")
    metrics_section = page.locator("section[aria-labelledby=metrics-h]")
    placements_row = metrics_section.locator("tr", has_text="Placements into shelter or housing")
    assert "On track" in placements_row.inner_text()
    # No reading for the other metric: overdue once last month's data is 10 days + 3 days' grace late.
    median_row = metrics_section.locator("tr", has_text="Median days from first contact to placement")
    first_due_with_grace = add_months(start, 1) + timedelta(days=10 + 3 - 1)
    assert ("Overdue" if today > first_due_with_grace else "No data yet") in median_row.inner_text()
    history = page.locator("section[aria-labelledby=history-h]").inner_text()
    assert "Created contract HS-2025-014" in history
    page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
