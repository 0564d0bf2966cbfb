"""Reminders before a reading's due date: who, when, exactly once, cancelled by the data arriving.

The contracts run 1 Jul 2025 to 30 Jun 2027 with a monthly metric due 10 days after each month:
February 2026 is due on 10 Mar 2026, so with the default REMINDER_DAYS_BEFORE (5) its "before"
reminder falls due from 5 Mar and its due-day reminder on 10 Mar (city time, America/Chicago).
"""
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from contracts_app.metrics.models import REPORTED_BY_VENDOR
from contracts_app.metrics.services import record_reading
from contracts_app.notifications.dispatcher import send_notifications
from contracts_app.notifications.models import Notification
from contracts_app.notifications.reminders import ANSWERED, NO_LONGER_OWED, SUPERSEDED, queue_reminders
from contracts_app.notifications.services import unread_count
from contracts_app.vendors.models import ACCEPTED, PENDING, RETURNED, VendorAccess, VendorSubmission
from scheduler.jobs import reminders_job
from tests.concurrency import run_together
from tests.notifications.conftest import BASE_URL, SMTPServer
from tests.querycount import count_queries

FEB = date(2026, 2, 1)  # February 2026: due 10 Mar 2026


def at(day, hour=15):
    """15:00 UTC on ``day`` of March 2026 (09:00 in Chicago, the same date)."""
    return datetime(2026, 3, day, hour, 0, tzinfo=timezone.utc)


BEFORE = at(6)  # inside the five days before the due date
DUE_DAY = at(10)


def _reminders(db, **where):
    db.session.expire_all()
    query = select(Notification).where(Notification.kind.in_(("reminder_before", "reminder_due")))
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalars(query.order_by(Notification.id)).all()


def _summary(db):
    return sorted((n.kind, n.recipient_id, n.metric_id, n.period_start) for n in _reminders(db))


@pytest.fixture
def manager(factory):
    return factory.make_user("contract_manager", name="Ben Okafor", email="ben@city.test")


@pytest.fixture
def contract(factory, manager):
    return factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
                                 contract_manager_id=manager.id, reference="C-0042", title="Job training")


@pytest.fixture
def metric(factory, contract):
    return factory.make_metric(contract, name="Job placements", cadence="monthly", due_days=10)


def _vendor_contact(factory, contract, **kw):
    return factory.make_user("vendor", vendor_id=kw.pop("vendor_id", contract.vendor_id), **kw)


def _grant(db, contract, user, revoked=False):
    db.session.add(VendorAccess(contract_id=contract.id, user_id=user.id,
                                revoked_at=BEFORE - timedelta(days=1) if revoked else None))
    db.session.commit()


def _submit(db, metric, contact, state):
    db.session.add(VendorSubmission(metric_id=metric.id, period_start=FEB, period_end=date(2026, 2, 28),
                                    value=Decimal(25), state=state, submitted_by_id=contact.id))
    db.session.commit()


# --- When -------------------------------------------------------------------------------


def test_it_reminds_the_manager_before_the_due_date(db, manager, metric):
    result = queue_reminders(BEFORE)

    assert result.reminders_queued == 1
    [reminder] = _reminders(db)
    assert (reminder.kind, reminder.recipient_id, reminder.metric_id, reminder.period_start) == (
        "reminder_before", manager.id, metric.id, FEB)
    assert reminder.dedupe_key == f"reminder-before:{manager.id}:{metric.id}:2026-02-01"
    assert reminder.subject == "C-0042: Job placements for Feb 2026 due 10 Mar 2026"
    assert reminder.body == ("C-0042 Job training: enter the reading by 10 Mar 2026. With no reading 3 days "
                             "after the due date, the metric is flagged overdue.")
    assert reminder.link == f"/metrics/{metric.id}/readings/new?period=2026-02-01"
    assert reminder.contract_id == metric.contract_id


def test_it_reminds_the_manager_on_the_due_date(db, manager, metric):
    queue_reminders(BEFORE)
    result = queue_reminders(DUE_DAY)

    assert result.reminders_queued == 1
    assert [(r.kind, r.period_start) for r in _reminders(db)] == [("reminder_before", FEB), ("reminder_due", FEB)]
    due = _reminders(db, kind="reminder_due")[0]
    assert due.subject == "C-0042: Job placements for Feb 2026 due today (10 Mar 2026)"
    assert due.dedupe_key == f"reminder-due:{manager.id}:{metric.id}:2026-02-01"
    assert due.body.startswith("C-0042 Job training: enter the reading today.")


@pytest.mark.parametrize("day, kinds", [
    (4, []),  # six days before: not yet
    (5, ["reminder_before"]),  # the first day of the window
    (9, ["reminder_before"]),  # a scheduler down until the day before still reminds
    (10, ["reminder_due"]),  # on the day: the due-day reminder only
    (11, []),  # after the due date: nothing (the overdue flag follows)
    (14, []),
])
def test_it_reminds_only_inside_the_window(db, metric, day, kinds):
    queue_reminders(at(day))

    assert [r.kind for r in _reminders(db)] == kinds


def test_it_judges_the_day_in_the_citys_time_zone(db, metric):
    # 5 Mar 04:00 UTC is still 4 Mar in Chicago: six days before the due date.
    queue_reminders(datetime(2026, 3, 5, 4, 0, tzinfo=timezone.utc))
    assert _reminders(db) == []
    # 11 Mar 03:00 UTC is still 10 Mar in Chicago: the due date.
    queue_reminders(datetime(2026, 3, 11, 3, 0, tzinfo=timezone.utc))
    assert [r.kind for r in _reminders(db)] == ["reminder_due"]


def test_the_days_before_come_from_config(app, db, metric):
    app.config["REMINDER_DAYS_BEFORE"] = 2
    queue_reminders(at(7))
    assert _reminders(db) == []
    queue_reminders(at(8))
    assert [r.kind for r in _reminders(db)] == ["reminder_before"]


def test_no_days_before_sends_only_the_due_day_reminder(app, db, metric):
    app.config["REMINDER_DAYS_BEFORE"] = 0
    for day in range(1, 12):
        queue_reminders(at(day))
    assert [r.kind for r in _reminders(db)] == ["reminder_due"]


def test_each_cadence_is_reminded_of_the_period_falling_due(db, factory, manager, contract):
    weekly = factory.make_metric(contract, cadence="weekly", due_days=2)
    quarterly = factory.make_metric(contract, cadence="quarterly", due_days=40)
    queue_reminders(BEFORE)
    # Weekly from Tuesday 1 Jul 2025: the week of 24 Feb 2026 ends 2 Mar, due 4 Mar (passed); the
    # week of 3 Mar ends 9 Mar, due 11 Mar (in the window). Quarterly: Q4 2025 was due 9 Feb.
    assert _summary(db) == [("reminder_before", manager.id, weekly.id, date(2026, 3, 3))]
    assert quarterly.id not in {r.metric_id for r in _reminders(db)}


# --- Term and contract edges ------------------------------------------------------------


def test_a_period_outside_the_term_is_not_reminded(db, factory, manager):
    ended = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2026, 1, 31), contract_manager_id=manager.id)
    factory.make_metric(ended, due_days=10)  # its last period, January, was due 10 Feb
    later = factory.make_contract(start_date=date(2026, 3, 1), end_date=date(2027, 2, 28), contract_manager_id=manager.id)
    factory.make_metric(later, due_days=10)  # its first period, March, is due 10 Apr

    assert queue_reminders(BEFORE).reminders_queued == 0


def test_the_last_period_cut_at_the_term_end_is_reminded_to_the_manager(db, factory, manager):
    # Ends 20 Feb: its last period, 1-20 Feb, is due 2 Mar, after the term; the manager still owes it.
    short = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2026, 2, 20), contract_manager_id=manager.id)
    metric = factory.make_metric(short, due_days=10)

    queue_reminders(datetime(2026, 2, 27, 15, tzinfo=timezone.utc))

    assert _summary(db) == [("reminder_before", manager.id, metric.id, FEB)]


@pytest.mark.parametrize("change", [dict(status="completed"), dict(status="draft"), dict(status="terminated"),
                                    dict(archived_at=datetime(2026, 3, 1, tzinfo=timezone.utc))])
def test_a_contract_not_active_is_not_reminded(db, factory, manager, change):
    contract = factory.make_contract(contract_manager_id=manager.id, **change)
    factory.make_metric(contract)

    assert queue_reminders(BEFORE).reminders_queued == 0


def test_a_contract_without_a_manager_reminds_nobody(db, factory):
    factory.make_metric(factory.make_contract(contract_manager_id=None))

    assert queue_reminders(BEFORE).reminders_queued == 0


def test_an_inactive_manager_is_not_reminded(db, manager, metric):
    manager.active = False
    db.session.commit()

    assert queue_reminders(BEFORE).reminders_queued == 0


# --- Who: vendor-reported metrics -------------------------------------------------------


def test_a_vendor_reported_metric_reminds_the_vendor_contacts_with_access(db, factory, manager, contract, metric):
    metric.reported_by = REPORTED_BY_VENDOR
    db.session.commit()
    ana, raj = _vendor_contact(factory, contract), _vendor_contact(factory, contract)
    _grant(db, contract, ana)
    _grant(db, contract, raj)

    queue_reminders(BEFORE)

    reminders = _reminders(db)
    assert sorted(r.recipient_id for r in reminders) == sorted([ana.id, raj.id])  # not the manager
    assert {r.link for r in reminders} == {f"/vendor/contracts/{contract.id}"}
    assert reminders[0].body == ("C-0042 Job training: submit your figure, with its evidence, by 10 Mar 2026 "
                                 "for the contract manager to verify.")


def test_vendor_contacts_without_active_access_are_not_reminded(db, factory, manager, contract, metric):
    metric.reported_by = REPORTED_BY_VENDOR
    db.session.commit()
    revoked = _vendor_contact(factory, contract)
    _grant(db, contract, revoked, revoked=True)
    other_vendor = _vendor_contact(factory, contract, vendor_id=factory.make_vendor().id)
    _grant(db, contract, other_vendor)
    deactivated = _vendor_contact(factory, contract, active=False)
    _grant(db, contract, deactivated)
    staff = factory.make_user("viewer")  # a staff user is not a vendor contact, access row or not
    _grant(db, contract, staff)
    _vendor_contact(factory, contract)  # of the right vendor, never granted access

    assert queue_reminders(BEFORE).reminders_queued == 0
    assert _reminders(db) == []


def test_vendor_contacts_of_an_ended_contract_are_not_reminded(db, factory, manager):
    ended = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2026, 2, 28), contract_manager_id=manager.id)
    metric = factory.make_metric(ended, reported_by=REPORTED_BY_VENDOR)  # February due 10 Mar, after the end
    contact = _vendor_contact(factory, ended)
    _grant(db, ended, contact)

    assert queue_reminders(BEFORE).reminders_queued == 0
    # Before the end the same contact is reminded of January's period.
    queue_reminders(datetime(2026, 2, 6, 15, tzinfo=timezone.utc))
    assert _summary(db) == [("reminder_before", contact.id, metric.id, date(2026, 1, 1))]


# --- Exactly once -----------------------------------------------------------------------


def test_it_queues_each_reminder_once_when_run_again(db, manager, metric):
    assert queue_reminders(BEFORE).reminders_queued == 1
    assert queue_reminders(BEFORE + timedelta(hours=1)).reminders_queued == 0
    assert queue_reminders(at(8)).reminders_queued == 0  # a later day of the same window
    assert len(_reminders(db)) == 1


def test_two_schedulers_at_once_queue_and_send_each_reminder_once(backend, app, db, factory, smtp):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    managers = [factory.make_user("contract_manager") for _ in range(8)]
    metrics = []
    for person in managers:
        contract = factory.make_contract(contract_manager_id=person.id)
        metrics += [factory.make_metric(contract, name=f"Metric {n} of {person.id}") for n in range(3)]

    queued, _ = run_together(app, lambda _: queue_reminders(BEFORE).reminders_queued)
    sent, _ = run_together(app, lambda _: send_notifications(now=BEFORE + timedelta(minutes=1)))

    assert sum(queued) == len(metrics) == len(_reminders(db))
    assert sum(r["notifications_sent"] for r in sent) == len(metrics)
    assert len(smtp.messages) == len(managers)  # one email per person, naming their three metrics
    lines = [line for m in smtp.messages for line in m.text.splitlines() if line.startswith("* ")]
    assert sorted(lines) == sorted(f"* {r.subject}" for r in _reminders(db)) and len(set(lines)) == len(lines)


def test_two_scheduler_processes_queue_and_send_each_reminder_once(backend, app, db, factory, smtp):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    managers = [factory.make_user("contract_manager") for _ in range(6)]
    for person in managers:
        contract = factory.make_contract(contract_manager_id=person.id)
        for n in range(2):
            factory.make_metric(contract, name=f"Metric {n} of {person.id}")
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], RDC_CONFIG="development",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port), MAIL_USE_TLS="false")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    def twice(*args):
        command = [sys.executable, "-m", "flask", "--app", "contracts_app", *args]
        processes = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
        outputs = [process.communicate(timeout=120) for process in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        return [out for out, _ in outputs]

    queued = twice("reminders", "queue", "--now", BEFORE.isoformat())
    twice("notifications", "send", "--now", (BEFORE + timedelta(minutes=1)).isoformat())

    assert sum(int(re.search(r"reminders queued: (\d+)", out).group(1)) for out in queued) == 12 == len(_reminders(db))
    assert sorted(tuple(m.rcpt_tos) for m in smtp.messages) == sorted((person.email,) for person in managers)
    assert all(r.sent_at is not None and r.attempts == 1 for r in _reminders(db))


def test_a_smtp_outage_delays_the_reminder_and_it_is_sent_once(app, db, factory, manager, metric, mail_config):
    server = SMTPServer()  # not started: its port refuses connections
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    queue_reminders(BEFORE)
    down = send_notifications(now=BEFORE)
    queue_reminders(BEFORE + timedelta(minutes=30))  # the next scheduler run, still down
    send_notifications(now=BEFORE + timedelta(minutes=2))
    assert down["deferred"] == 1 and server.messages == []

    server.start()
    try:
        back = send_notifications(now=BEFORE + timedelta(minutes=10))
        queue_reminders(BEFORE + timedelta(hours=1))
        again = send_notifications(now=BEFORE + timedelta(hours=1, minutes=1))
    finally:
        server.stop()

    assert back["notifications_sent"] == 1 and again["recipients"] == 0
    [message] = server.messages
    assert message.rcpt_tos == ["ben@city.test"]
    assert "Readings due soon (1)" in message.text
    assert "C-0042: Job placements for Feb 2026 due 10 Mar 2026" in message.text
    assert f"{BASE_URL}/metrics/{metric.id}/readings/new?period=2026-02-01" in message.text
    [reminder] = _reminders(db)
    assert reminder.sent_at is not None and reminder.attempts == 3


def test_a_before_reminder_held_up_until_the_due_date_gives_way_to_the_due_day_one(app, db, metric, mail_config):
    server = SMTPServer()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    queue_reminders(at(9))
    send_notifications(now=at(9))  # down
    queue_reminders(DUE_DAY)
    server.start()
    try:
        counts = send_notifications(now=DUE_DAY + timedelta(minutes=1))
    finally:
        server.stop()

    assert counts["cancelled"] == 1 and counts["notifications_sent"] == 1
    [message] = server.messages
    assert "Readings due today (1)" in message.text and "Readings due soon" not in message.text
    assert _reminders(db, kind="reminder_before")[0].last_error == SUPERSEDED


def test_one_email_names_each_metric_due(db, factory, manager, contract, metric, smtp):
    factory.make_metric(contract, name="Retention at 90 days")

    queue_reminders(BEFORE)
    send_notifications(now=BEFORE)

    [message] = smtp.messages
    assert "Readings due soon (2)" in message.text
    assert "Job placements for Feb 2026" in message.text and "Retention at 90 days for Feb 2026" in message.text


# --- Cancelled by the data arriving -----------------------------------------------------


def test_a_reading_recorded_first_means_no_reminder(db, factory, manager, metric):
    factory.make_reading(metric, FEB, 25)

    assert queue_reminders(BEFORE).reminders_queued == 0
    assert queue_reminders(DUE_DAY).reminders_queued == 0


@pytest.mark.parametrize("state, reminded", [(PENDING, False), (ACCEPTED, False), (RETURNED, True)])
def test_a_vendor_submission_waiting_or_accepted_means_no_reminder(db, factory, contract, metric, state, reminded):
    metric.reported_by = REPORTED_BY_VENDOR
    db.session.commit()
    contact = _vendor_contact(factory, contract)
    _grant(db, contract, contact)
    _submit(db, metric, contact, state)

    assert queue_reminders(BEFORE).reminders_queued == (1 if reminded else 0)


def test_a_reading_arriving_after_queuing_cancels_the_reminder(db, factory, manager, metric, smtp):
    queue_reminders(BEFORE)
    assert unread_count(manager) == 1
    record_reading(metric, manager, FEB, Decimal(25), now=BEFORE + timedelta(minutes=1))

    counts = send_notifications(now=BEFORE + timedelta(minutes=2))

    assert counts["cancelled"] == 1 and counts["notifications_sent"] == 0
    assert smtp.messages == []
    [reminder] = _reminders(db)
    assert reminder.sent_at is not None and reminder.attempts == 0 and reminder.last_error == ANSWERED
    # The inbox shows no unread reminder for a reading already in.
    assert reminder.read_at is not None and unread_count(manager) == 0
    # Nor is it queued again on the due date.
    assert queue_reminders(DUE_DAY).reminders_queued == 0


def test_a_submission_arriving_after_queuing_cancels_only_that_reminder(db, factory, contract, metric, smtp):
    metric.reported_by = REPORTED_BY_VENDOR
    db.session.commit()
    contact = _vendor_contact(factory, contract)
    _grant(db, contract, contact)
    other = factory.make_metric(contract, name="Retention", reported_by=REPORTED_BY_VENDOR)
    queue_reminders(BEFORE)
    _submit(db, metric, contact, PENDING)

    counts = send_notifications(now=BEFORE + timedelta(minutes=1))

    assert counts["cancelled"] == 1 and counts["notifications_sent"] == 1
    [message] = smtp.messages
    assert "Retention for Feb 2026" in message.text and "Job placements" not in message.text
    assert {r.metric_id: r.last_error for r in _reminders(db)} == {metric.id: ANSWERED, other.id: None}


def test_a_vendor_contact_whose_access_ends_before_sending_is_not_emailed(db, factory, contract, metric, smtp):
    metric.reported_by = REPORTED_BY_VENDOR
    db.session.commit()
    kept, revoked = _vendor_contact(factory, contract), _vendor_contact(factory, contract)
    _grant(db, contract, kept)
    _grant(db, contract, revoked)
    queue_reminders(BEFORE)
    db.session.execute(update(VendorAccess).where(VendorAccess.user_id == revoked.id).values(revoked_at=BEFORE))
    db.session.commit()

    counts = send_notifications(now=BEFORE + timedelta(minutes=1))

    assert counts["cancelled"] == 1 and counts["notifications_sent"] == 1
    assert [m.rcpt_tos for m in smtp.messages] == [[kept.email]]
    assert {r.recipient_id: r.last_error for r in _reminders(db)} == {kept.id: None, revoked.id: NO_LONGER_OWED}


def test_a_reassigned_contract_reminds_the_new_manager_instead(db, factory, manager, contract, metric, smtp):
    queue_reminders(BEFORE)
    successor = factory.make_user("contract_manager")
    contract.contract_manager_id = successor.id
    db.session.commit()

    counts = send_notifications(now=BEFORE + timedelta(minutes=1))
    queue_reminders(BEFORE + timedelta(hours=1))
    send_notifications(now=BEFORE + timedelta(hours=1, minutes=1))

    assert counts["cancelled"] == 1
    assert [m.rcpt_tos for m in smtp.messages] == [[successor.email]]
    assert {r.recipient_id: r.last_error for r in _reminders(db)} == {manager.id: NO_LONGER_OWED, successor.id: None}


@pytest.mark.parametrize("change", [dict(status="completed"), dict(archived_at=BEFORE)])
def test_a_contract_closed_before_sending_sends_no_reminder(db, contract, metric, smtp, change):
    queue_reminders(BEFORE)
    for name, value in change.items():
        setattr(contract, name, value)
    db.session.commit()

    counts = send_notifications(now=BEFORE + timedelta(minutes=1))

    assert counts["cancelled"] == 1 and smtp.messages == []
    assert _reminders(db)[0].last_error == NO_LONGER_OWED


def test_a_cancelled_reminder_already_read_keeps_its_read_time(db, factory, manager, metric, smtp):
    queue_reminders(BEFORE)
    read_at = BEFORE + timedelta(seconds=30)
    db.session.execute(update(Notification).values(read_at=read_at))
    db.session.commit()
    factory.make_reading(metric, FEB, 25)

    send_notifications(now=BEFORE + timedelta(minutes=1))

    assert _reminders(db)[0].read_at == read_at


# --- Scale, the scheduler and the CLI ---------------------------------------------------


def _city(db, factory, contracts):
    """``contracts`` contracts, each with a manager-reported metric and a vendor-reported one
    (with a vendor contact); every other vendor-reported metric has February's reading."""
    for n in range(contracts):
        person = factory.make_user("contract_manager")
        contract = factory.make_contract(contract_manager_id=person.id)
        factory.make_metric(contract)
        vendor_metric = factory.make_metric(contract, reported_by=REPORTED_BY_VENDOR)
        _grant(db, contract, _vendor_contact(factory, contract))
        if n % 2:
            factory.make_reading(vendor_metric, FEB, 25)


def test_the_number_of_queries_does_not_grow_with_the_contracts(db, factory):
    _city(db, factory, 2)
    with count_queries() as few:
        small = queue_reminders(BEFORE)
    _city(db, factory, 8)
    with count_queries() as many:
        large = queue_reminders(BEFORE + timedelta(days=1))

    assert small.reminders_queued == 3 and large.reminders_queued == 12
    assert many.count == few.count


def test_the_scheduler_job_queues_reminders(app, db, manager, metric):
    assert reminders_job(app, BEFORE) == {"periods_due": 1, "reminders_queued": 1}
    assert reminders_job(app, BEFORE) == {"periods_due": 1, "reminders_queued": 0}
    assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_the_cli_queues_reminders(runner, db, manager, metric):
    result = runner.invoke(args=["reminders", "queue", "--now", BEFORE.isoformat()])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "periods due within 5 days: 1, reminders queued: 1"
    assert re.fullmatch(r"reminder-before:\d+:\d+:2026-02-01", _reminders(db)[0].dedupe_key)


def test_the_manager_opens_the_reminder_on_the_reading_form_for_its_period(db, client_as, manager, metric):
    queue_reminders(BEFORE)
    [reminder] = _reminders(db)
    client = client_as("contract_manager", user=manager)

    inbox = client.get("/inbox").get_data(as_text=True)
    opened = client.post(f"/inbox/{reminder.id}/read?open=1")
    form = client.get(opened.headers["Location"])

    assert "Reading due soon" in inbox and "C-0042: Job placements for Feb 2026 due 10 Mar 2026" in inbox
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/metrics/{metric.id}/readings/new?period=2026-02-01"
    assert form.status_code == 200
    assert re.search(r'<option selected value="2026-02-01">|<option value="2026-02-01" selected>', form.get_data(as_text=True))
