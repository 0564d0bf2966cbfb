"""Issue 11's acceptance journey in a real browser (SCENARIOS.md, "The vendor reports, the
manager verifies"): in the demo city Ben invites Harbor Light's Dana Cole to report on street
outreach (HS-2025-014); the invitation arrives by email (a real SMTP server); Dana chooses a
password, submits the overdue month's two values with the HMIS extract as a PDF; Ben finds
"2 submissions to verify" on My work and accepts them; the readings carry "submitted by Dana
Cole, verified by Ben Okafor" and the overdue flags resolve. Dana still reaches only her own
pages, and the used invitation link no longer works."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.demo.loader import demo_password, load_demo_city
from contracts_app.extensions import db
from contracts_app.management.models import Flag
from contracts_app.management.sweep import sweep
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.notifications.dispatcher import send_notifications
from tests.e2e.conftest import _migrated_app, _serving
from tests.notifications.conftest import SMTPServer

DANA_EMAIL = "dana@harborlight.example"
DANA_PASSWORD = "harbor-light-outreach-2026"
# Scenario values: 24 placements, a median of 58 days; the PDF goes with the placements.
VALUES = {"Placements into shelter or housing": "24", "Median days from first contact to placement": "58"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DUE_DAYS = 10  # both vendor-reported metrics' (demo/data.py)


def _latest_overdue_month(now, tz_name, grace):
    """The latest monthly period overdue at ``now`` (past its due date plus the grace days)."""
    today = rules.city_today(now, tz_name)
    start = today.replace(day=1)
    while True:
        start = rules.add_months(start, -1)
        period = rules.Period(start, rules.add_months(start, 1) - timedelta(days=1))
        if rules.is_overdue(period, DUE_DAYS, today, grace):
            return period


@pytest.fixture(scope="module")
def vendor_demo(tmp_path_factory):
    """The demo city loaded on the due day of the latest month now overdue, then swept now.

    The demo leaves a vendor-reported period open only on its own due day (Dana submits on the
    day it is due), so loaded at the real time it never has an overdue vendor reading. Loaded on
    that due day and swept today, Harbor Light's latest overdue month has no reading and an open
    overdue flag: the state of the issue's done-when ("the overdue flag resolves").
    """
    app = _migrated_app(tmp_path_factory.mktemp("vendor-e2e"))
    now = utcnow()
    tz_name = app.config["CITY_TIMEZONE"]
    period = _latest_overdue_month(now, tz_name, app.config["OVERDUE_GRACE_DAYS"])
    load_day = rules.due_date(period, DUE_DAYS)
    loaded_at = datetime.combine(load_day, time(12), ZoneInfo(tz_name)).astimezone(timezone.utc)
    with app.app_context():
        assert load_demo_city(now=loaded_at).loaded
        sweep(now)
    with _serving(app) as url:
        yield app, url, period


def _sign_in(page, email, password):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _new_context(browser, url):
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    return context


def _overdue_flag(metric_id, period):
    return db.session.scalar(select(Flag).where(
        Flag.metric_id == metric_id, Flag.period_start == period.start, Flag.kind == "overdue",
    ))


def _send_the_outbox(app, url):
    """Run the dispatcher against a real SMTP server; the invitation email's link to Dana."""
    smtp = SMTPServer()
    smtp.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_USE_TLS=False, MAIL_USERNAME=None,
                          MAIL_PASSWORD=None, MAIL_TIMEOUT_SECONDS=5, APP_BASE_URL=url,
                          MAIL_DEFAULT_SENDER="RDC Tracker <alerts@demo.city>")
        with app.app_context():
            counts = send_notifications(utcnow())
        assert counts["failed"] == 0
        to_dana = [m for m in smtp.messages if DANA_EMAIL in m.rcpt_tos]
    finally:
        smtp.stop()
        app.config.update(MAIL_SERVER=None)
    assert len(to_dana) == 1
    (email,) = to_dana
    assert email["Subject"] == "Ben Okafor invites you to report on HS-2025-014 Street outreach"
    links = re.findall(r"^(http://\S+/invitations/\S+)$", email.text, re.MULTILINE)
    assert len(links) == 1, email.text
    return links[0]


def test_a_vendor_contact_reports_and_the_manager_verifies(browser, vendor_demo, tmp_path):
    app, url, period = vendor_demo
    label = period.label("monthly")
    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
        contract_id = contract.id
        metrics = {m.name: m.id for m in db.session.scalars(
            select(Metric).where(Metric.contract_id == contract.id, Metric.reported_by == "vendor")
        )}
        assert set(metrics) == set(VALUES)
        for metric_id in metrics.values():
            assert db.session.get(Metric, metric_id).due_days == DUE_DAYS
            assert db.session.scalar(select(Reading.id).where(
                Reading.metric_id == metric_id, Reading.period_start == period.start)) is None
            flag = _overdue_flag(metric_id, period)
            assert flag is not None and flag.resolved_at is None, f"no open overdue flag for {label}"
    placements = metrics["Placements into shelter or housing"]
    pdf = tmp_path / "HMIS placement extract.pdf"
    pdf.write_bytes(PDF)

    ben_context, dana_context = _new_context(browser, url), _new_context(browser, url)
    try:
        # Ben invites Dana from the contract page.
        ben = ben_context.new_page()
        _sign_in(ben, "ben@demo.city", demo_password())
        expect(ben.locator("h1")).to_have_text("My work")
        ben.goto(f"/metrics/{placements}")
        # The period's row (its first cell; an earlier period's due date can mention the month too).
        period_row = ben.locator("table.stack tbody tr").filter(
            has=ben.locator("td:first-child", has_text=re.compile(rf"^\s*{re.escape(label)}")))
        expect(period_row).to_have_count(1)
        expect(period_row.locator(".badge-overdue")).to_have_count(1)
        ben.goto(f"/contracts/{contract_id}")
        ben.get_by_role("link", name="Invite a vendor contact").click()
        expect(ben.locator("h1")).to_have_text("Invite a vendor contact")
        ben.fill("#name", "Dana Cole")
        ben.fill("#email", DANA_EMAIL)
        ben.get_by_role("button", name="Send the invitation").click()
        expect(ben.locator(".flash-success")).to_contain_text(f"Invitation sent to Dana Cole ({DANA_EMAIL})")
        expect(ben.locator("#vendor-contacts")).to_contain_text("no password chosen yet")

        link = _send_the_outbox(app, url)

        # Dana follows the emailed link, chooses a password and lands on her own pages.
        dana = dana_context.new_page()
        dana.goto(link)
        expect(dana.locator("h1")).to_have_text("Choose a password")
        expect(dana.locator("main")).to_contain_text(DANA_EMAIL)
        dana.fill("#password", DANA_PASSWORD)
        dana.fill("#confirm", DANA_PASSWORD)
        dana.get_by_role("button", name="Set password and continue").click()
        expect(dana).to_have_url(f"{url}/vendor/")
        expect(dana.locator("h1")).to_have_text("Your contracts")
        dana.get_by_role("link", name="HS-2025-014 — Street outreach").click()
        expect(dana.locator("h1")).to_have_text("HS-2025-014 — Street outreach")

        # She submits the overdue month for both metrics, the PDF with the placements.
        for name, value in VALUES.items():
            section = dana.locator(f"#metric-{metrics[name]}")
            due = section.locator(f'li[data-period="{period.start.isoformat()}"]')
            expect(due).to_contain_text(label)
            expect(due).to_contain_text("(past due)")
            due.locator("input[name$='-value']").fill(value)
            due.locator("textarea[name$='-note']").fill("From the HMIS placement report.")
            if name == "Placements into shelter or housing":
                due.locator("input[type=file]").set_input_files(str(pdf))
            due.get_by_role("button", name=f"Submit {name}, {label}").click()
            expect(dana.locator(".flash-success")).to_contain_text(f"{name} submitted; it waits for Ben Okafor")
            section = dana.locator(f"#metric-{metrics[name]}")
            expect(section.locator(f'li[data-period="{period.start.isoformat()}"]')).to_have_count(0)
            row = section.locator("tr[data-submission]", has_text=label)
            expect(row).to_contain_text(value)
            expect(row).to_contain_text("Waiting for verification")
        evidence = dana.locator(f"#metric-{placements} tr[data-submission]").get_by_role("link", name=pdf.name)
        expect(evidence).to_have_count(1)
        download = dana.request.get(evidence.get_attribute("href"))
        assert download.status == 200 and download.body() == PDF

        # Ben: My work says two submissions wait; the queue shows the values and the PDF.
        ben.goto("/work")
        ben.get_by_role("link", name="2 submissions to verify").click()
        expect(ben.locator("h1")).to_have_text("Submissions to verify")
        cards = ben.locator("article[data-submission]")
        expect(cards).to_have_count(2)
        card = cards.filter(has_text="Placements into shelter or housing")
        expect(card).to_contain_text("24")
        expect(card).to_contain_text(f"Dana Cole ({DANA_EMAIL})")
        queue_pdf = card.get_by_role("link", name=pdf.name)
        expect(queue_pdf).to_have_count(1)
        download = ben.request.get(queue_pdf.get_attribute("href"))
        assert download.status == 200 and download.body() == PDF
        expect(cards.filter(has_text="Median days from first contact to placement")).to_contain_text("58")
        for name in VALUES:
            ben.locator("article[data-submission]", has_text=name).get_by_role("button", name=f"Accept {name}, {label}").click()
            expect(ben.locator(".flash-success")).to_contain_text(f"Accepted: {name} for {label} is recorded")
        expect(ben.locator("article[data-submission]")).to_have_count(0)
        expect(ben.locator("main")).to_contain_text("No submissions waiting for verification.")

        # The readings carry who submitted and who verified them; the overdue flags are resolved.
        with app.app_context():
            readings = {
                name: db.session.scalar(select(Reading).where(
                    Reading.metric_id == metric_id, Reading.period_start == period.start))
                for name, metric_id in metrics.items()
            }
            for name, reading in readings.items():
                assert reading is not None and str(reading.value.normalize()) == VALUES[name]
                flag = _overdue_flag(metrics[name], period)
                assert flag.resolved_at is not None
                assert flag.resolution_note == "Resolved automatically: the reading arrived."
            reading_ids = {name: reading.id for name, reading in readings.items()}
        for name, metric_id in metrics.items():
            ben.goto(f"/metrics/{metric_id}")
            row = ben.locator(f"#reading-{reading_ids[name]}")
            expect(row).to_contain_text(label)
            expect(row).to_contain_text("submitted by Dana Cole, verified by Ben Okafor")
            expect(row.locator(".badge-overdue")).to_have_count(0)
            # The vendor's evidence stays with the value it backs.
            expect(row.get_by_role("link", name=pdf.name)).to_have_count(1 if metric_id == placements else 0)
        ben.goto("/work")
        expect(ben.locator(".work-verify")).to_have_count(0)

        # Dana sees both accepted.
        dana.reload()
        for name in VALUES:
            row = dana.locator(f"#metric-{metrics[name]} tr[data-submission]", has_text=label)
            expect(row).to_contain_text("Accepted")

        # Dana reaches only her own pages, and the invitation link worked once.
        for staff_page in ("/contracts", f"/contracts/{contract_id}", "/work", "/verification", f"/metrics/{placements}"):
            response = dana.goto(staff_page)
            assert response.status == 403, staff_page
        response = dana.goto(link)
        assert response.status == 410
        expect(dana.locator("h1")).to_have_text("This invitation link does not work")
        expect(dana.locator("main")).to_contain_text("has been used already")
        fresh = browser.new_context(base_url=url)
        try:
            response = fresh.new_page().goto(link)
            assert response.status == 410
        finally:
            fresh.close()
        # She signs in again with the password she chose.
        dana_context.clear_cookies()
        _sign_in(dana, DANA_EMAIL, DANA_PASSWORD)
        expect(dana).to_have_url(f"{url}/vendor/")
    finally:
        ben_context.close()
        dana_context.close()
