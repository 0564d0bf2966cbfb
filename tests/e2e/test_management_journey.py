"""Issue 3's acceptance journey in a real browser: the sweep flags a lagging contract and
proposes a check-in; the contract manager finds it in the inbox, records the check-in as held
with action items through the forms; sweeping again opens nothing new."""
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from playwright.sync_api import expect

from contracts_app.auth.services import create_user
from contracts_app.contracts.models import Contract, Department, Vendor
from contracts_app.extensions import db
from contracts_app.management.sweep import sweep
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.priorities.models import Priority

PASSWORD = "a-long-test-password"


def _seed(app):
    """A contract whose latest monthly reading is far off track."""
    with app.app_context():
        today = rules.city_today(datetime.now(timezone.utc), app.config["CITY_TIMEZONE"])
        ben = create_user("ben@city.test", "Ben Okafor", "contract_manager", PASSWORD)
        create_user("priya@city.test", "Priya Shah", "cdo", PASSWORD)
        start = rules.add_months(date(today.year, today.month, 1), -1)
        contract = Contract(
            reference="HS-2025-014", title="Street outreach", department="Human Services",
            department_row=Department(name="Human Services"), vendor=Vendor(name="Harbor Light Services"), value=Decimal("1200000"), currency="USD",
            start_date=start, end_date=rules.add_months(start, 24) - timedelta(days=1), status="active",
            payment_structure="performance_based", payment_terms="10% withheld", problem="p", outcomes="o",
            contract_manager_id=ben.id, priorities=[Priority(name="Homelessness", outcome="25% fewer")],
        )
        metric = Metric(contract=contract, name="Median days to placement", unit="days", direction="decrease",
                        baseline_value=Decimal(64), target_value=Decimal(40), cadence="monthly", due_days=10)
        period = rules.periods(contract.start_date, contract.end_date, "monthly")[0]
        db.session.add(Reading(metric=metric, period_start=period.start, period_end=period.end,
                               value=Decimal(90), status="off_track"))
        db.session.commit()
        result = sweep()
        assert result.flags_opened >= 1 and result.checkins_proposed == 1
        return today


def test_it_takes_a_flag_from_the_inbox_to_a_held_checkin(page, live_app):
    today = _seed(live_app)
    page.goto("/login")
    page.fill("#email", "ben@city.test")
    page.fill("#password", PASSWORD)
    # Sign-in answers with a redirect: wait until the signed-in page has loaded, so that the
    # count is read from it and not from a page being replaced.
    with page.expect_navigation(url=re.compile(r"/work")):
        page.click("main button[type=submit]")

    inbox_link = page.locator("a.inbox-link")
    expect(inbox_link).to_have_text(re.compile(r"\(\d+\)"))
    unread = int(re.search(r"\((\d+)\)", inbox_link.inner_text()).group(1))
    assert unread >= 2  # the flag and the proposed check-in
    inbox_link.click()
    expect(page.locator("body")).to_contain_text("Median days to placement off track")
    page.click("main a:has-text('check-in proposed')")

    # The proposed check-in's agenda lists the new flag.
    expect(page.locator("body")).to_contain_text("Proposed")
    assert "Median days to placement" in page.locator("main").inner_text()
    ics = page.request.get(page.url + "/invite.ics")
    assert ics.status == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.text()

    page.click("main >> text=Record as held")
    page.fill("#held_on", today.isoformat())
    page.fill("#city_attendees", "Ben Okafor")
    page.fill("#vendor_attendees", "Dana Reyes, program director")
    page.fill("#notes", "Intake staff turned over in August.")
    page.fill("#decisions", "Vendor adds a second intake worker by 1 November.")
    page.check("#flag_ids-0")
    page.fill("#action_items-0-description", "Hire a second intake worker")
    page.fill("#action_items-0-owner", "Dana Reyes")
    page.fill("#action_items-0-due_date", (today + timedelta(days=14)).isoformat())
    page.fill("#action_items-1-description", "Send the October placement report")
    page.fill("#action_items-1-owner", "Ben Okafor")
    page.fill("#action_items-1-due_date", (today + timedelta(days=7)).isoformat())
    page.click("main button[type=submit]:has-text('Record')")
    assert page.locator(".error").all_inner_texts() == []

    body = page.locator("main").inner_text()
    assert "Held" in body
    assert "Hire a second intake worker" in body
    assert "Send the October placement report" in body

    with live_app.app_context():
        again = sweep()
    assert again.flags_opened == 0
    assert again.notifications_queued == 0
