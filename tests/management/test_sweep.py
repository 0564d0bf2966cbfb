"""The sweep: flags opened and resolved by rule, check-ins proposed, notifications queued once."""
import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.extensions import db as _db
from contracts_app.management.models import CheckIn, Flag
from contracts_app.management.sweep import sweep
from contracts_app.metrics.services import record_reading
from contracts_app.notifications.models import Notification

CHICAGO = timezone(timedelta(hours=-5))  # CDT is -5 in October 2025


def at(day, hour=12):
    """Noon in Chicago on ``day`` (the city's date is then ``day``)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHICAGO)


def count(model, *where):
    return _db.session.scalar(select(func.count(model.id)).where(*where))


def flags(**kw):
    return _db.session.scalars(select(Flag).filter_by(**kw).order_by(Flag.id)).all()


@pytest.fixture
def harbor(factory, users):
    """HS-2025-014 on Tuesday: July and August entered; a check-in held in September."""
    contract = factory.make_contract(
        reference="HS-2025-014", start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
        contract_manager_id=users["contract_manager"].id, procurement_officer_id=users["procurement_officer"].id,
    )
    placements = factory.make_metric(contract, name="Placements", direction="increase",
                                     baseline_value=Decimal(18), target_value=Decimal(30), due_days=10)
    median = factory.make_metric(contract, name="Median days", direction="decrease",
                                 baseline_value=Decimal(64), target_value=Decimal(40), due_days=10)
    factory.make_reading(placements, date(2025, 7, 1), 19, status="on_track")
    factory.make_reading(placements, date(2025, 8, 1), 21, status="on_track")
    factory.make_reading(median, date(2025, 7, 1), 63, status="on_track")
    factory.make_reading(median, date(2025, 8, 1), 70, status="off_track")
    held = CheckIn(contract=contract, status="held", scheduled_for=date(2025, 9, 10), held_on=date(2025, 9, 10))
    _db.session.add(held)
    _db.session.commit()
    return {"contract": contract, "placements": placements, "median": median}


def test_it_opens_an_off_track_flag_for_the_latest_reading(harbor, users):
    result = sweep(at(date(2025, 9, 15)))
    assert result.flags_opened == 1
    (flag,) = flags()
    assert (flag.kind, flag.metric_id, flag.period_start, flag.severity) == ("off_track", harbor["median"].id, date(2025, 8, 1), "high")
    assert flag.summary == "HS-2025-014: Median days off track (Aug 2025)"
    notification = _db.session.scalar(select(Notification).where(Notification.kind == "flag_opened"))
    assert notification.recipient_id == users["contract_manager"].id
    assert notification.link == f"/flags/{flag.id}"


def test_it_proposes_a_checkin_within_the_configured_days_and_tells_the_manager(app, harbor, users):
    result = sweep(at(date(2025, 9, 15)))
    assert result.checkins_proposed == 1
    proposal = _db.session.scalar(select(CheckIn).where(CheckIn.status == "proposed"))
    assert proposal.scheduled_for == date(2025, 9, 15) + timedelta(days=app.config["CHECKIN_PROPOSE_WITHIN_DAYS"])
    assert proposal.pending_contract_id == harbor["contract"].id
    assert proposal.proposed_by_sweep is True
    assert count(Notification, Notification.kind == "checkin_proposed", Notification.recipient_id == users["contract_manager"].id) == 1


def test_it_proposes_no_second_checkin_while_one_is_pending(harbor):
    sweep(at(date(2025, 9, 15)))
    result = sweep(at(date(2025, 10, 14)))  # placements now overdue too: a new flag, same pending check-in
    assert result.flags_opened == 2  # placements overdue (Sep), median overdue (Sep)
    assert result.checkins_proposed == 0
    assert count(CheckIn, CheckIn.status == "proposed") == 1


@pytest.mark.parametrize(
    "now, overdue",
    [
        (at(date(2025, 10, 13), hour=23), False),  # due 10 Oct + 3 days' grace: still 13 Oct
        (datetime(2025, 10, 14, 3, 0, tzinfo=timezone.utc), False),  # 22:00 on 13 Oct in Chicago
        (at(date(2025, 10, 14), hour=0), True),  # the day after due + grace, city time
    ],
)
def test_it_flags_a_reading_overdue_from_the_day_after_due_plus_grace(harbor, now, overdue):
    sweep(now)
    opened = {(f.metric_id, f.period_start) for f in flags(kind="overdue")}
    assert ((harbor["placements"].id, date(2025, 9, 1)) in opened) is overdue


def test_it_honours_a_configured_grace(app, harbor):
    app.config["OVERDUE_GRACE_DAYS"] = 0
    sweep(at(date(2025, 10, 11)))
    assert {f.period_start for f in flags(kind="overdue", metric_id=harbor["placements"].id)} == {date(2025, 9, 1)}


def test_it_resolves_the_overdue_flag_when_the_late_reading_arrives_on_track(harbor, users):
    sweep(at(date(2025, 10, 14)))
    (overdue,) = flags(kind="overdue", metric_id=harbor["placements"].id)
    record_reading(harbor["placements"], users["contract_manager"], "2025-09-01", Decimal(23), now=at(date(2025, 10, 15)))
    result = sweep(at(date(2025, 10, 15)))
    _db.session.refresh(overdue)
    assert overdue.resolved_at is not None
    assert overdue.resolution_note == "Resolved automatically: the reading arrived."
    assert result.flags_resolved >= 1
    assert flags(kind="off_track", metric_id=harbor["placements"].id) == []


def test_it_opens_an_off_track_flag_when_the_late_reading_is_off_track(harbor, users):
    sweep(at(date(2025, 10, 14)))
    record_reading(harbor["placements"], users["contract_manager"], "2025-09-01", Decimal(10), now=at(date(2025, 10, 15)))
    sweep(at(date(2025, 10, 15)))
    assert [f.period_start for f in flags(kind="off_track", metric_id=harbor["placements"].id)] == [date(2025, 9, 1)]
    assert flags(kind="overdue", metric_id=harbor["placements"].id)[0].resolved_at is not None


def test_it_resolves_an_off_track_flag_when_a_later_reading_is_on_track(harbor, users):
    sweep(at(date(2025, 9, 15)))
    (flag,) = flags(kind="off_track")
    record_reading(harbor["median"], users["contract_manager"], "2025-09-01", Decimal(55), now=at(date(2025, 10, 2)))
    sweep(at(date(2025, 10, 2)))
    _db.session.refresh(flag)
    assert flag.resolved_at is not None
    assert flag.resolution_note == "Resolved automatically: a later reading (Sep 2025) is on track."


def test_it_flags_at_risk_only_when_two_consecutive_periods_are_at_risk(factory, users):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30), contract_manager_id=users["contract_manager"].id)
    metric = factory.make_metric(contract, direction="increase", baseline_value=Decimal(18), target_value=Decimal(30))
    factory.make_reading(metric, date(2025, 7, 1), 17, status="at_risk")
    factory.make_reading(metric, date(2025, 8, 1), 20, status="on_track")
    factory.make_reading(metric, date(2025, 9, 1), 18, status="at_risk")
    sweep(at(date(2025, 10, 5)))
    assert flags(kind="at_risk_twice") == []
    factory.make_reading(metric, date(2025, 10, 1), 18, status="at_risk")
    sweep(at(date(2025, 11, 5)))
    assert [f.period_start for f in flags(kind="at_risk_twice")] == [date(2025, 10, 1)]


def test_it_flags_a_missed_milestone_and_resolves_it_when_met(factory, users, db):
    contract = factory.make_contract(contract_manager_id=users["contract_manager"].id)
    milestone = factory.make_milestone(contract, title="Intake worker hired", due_date=date(2025, 11, 1))
    sweep(at(date(2025, 11, 1)))
    assert flags(kind="milestone_missed") == []
    sweep(at(date(2025, 11, 2)))
    (flag,) = flags(kind="milestone_missed")
    assert (flag.milestone_id, flag.period_start, flag.severity) == (milestone.id, date(2025, 11, 1), "high")
    milestone.status, milestone.completed_on = "met", date(2025, 11, 3)
    db.session.commit()
    sweep(at(date(2025, 11, 4)))
    db.session.refresh(flag)
    assert flag.resolution_note == "Resolved automatically: the milestone is no longer missed."


def test_it_flags_90_days_without_a_checkin_and_escalates_to_the_cdo_at_once(factory, users, db):
    contract = factory.make_contract(start_date=date(2025, 7, 1), contract_manager_id=users["contract_manager"].id)
    sweep(at(date(2025, 9, 29)))  # 1 Jul + 90 days = 29 Sep: not yet
    assert flags(kind="no_checkin") == []
    result = sweep(at(date(2025, 9, 30)))
    (flag,) = flags(kind="no_checkin")
    assert flag.period_start == date(2025, 9, 29)
    assert flag.escalated_at is not None
    assert result.escalations == 1
    escalation = _db.session.scalar(select(Notification).where(Notification.kind == "escalation"))
    assert escalation.recipient_id == users["cdo"].id
    assert escalation.body == f"This flag on {contract.reference} {contract.title} needs attention."
    # A held check-in clears it.
    db.session.add(CheckIn(contract=contract, status="held", scheduled_for=date(2025, 10, 3), held_on=date(2025, 10, 3)))
    db.session.commit()
    sweep(at(date(2025, 10, 4)))
    db.session.refresh(flag)
    assert flag.resolution_note == "Resolved automatically: a check-in was held on 3 Oct 2025."


def test_it_escalates_a_flag_open_over_14_days_with_no_checkin_held_once(harbor, users):
    sweep(at(date(2025, 9, 15)))
    assert sweep(at(date(2025, 9, 29))).escalations == 0  # 14 days: not yet longer than 14
    result = sweep(at(date(2025, 9, 30)))
    assert result.escalations == 1
    assert count(Notification, Notification.kind == "escalation", Notification.recipient_id == users["cdo"].id) == 1
    body = _db.session.scalar(select(Notification.body).where(Notification.kind == "escalation"))
    assert body.endswith(" has been open 15 days with no check-in held.")
    assert sweep(at(date(2025, 10, 1))).escalations == 0


def test_it_does_not_escalate_when_a_checkin_was_held_since_the_flag_opened(harbor, db):
    sweep(at(date(2025, 9, 15)))
    db.session.add(CheckIn(contract=harbor["contract"], status="held", scheduled_for=date(2025, 9, 20), held_on=date(2025, 9, 20)))
    db.session.commit()
    assert sweep(at(date(2025, 10, 1))).escalations == 0


def test_it_changes_nothing_on_a_second_sweep_for_the_same_now(harbor):
    now = at(date(2025, 10, 14))
    first = sweep(now)
    assert first.flags_opened > 0
    before = (count(Flag), count(Notification), count(CheckIn))
    second = sweep(now)
    assert second.as_dict() | {"metrics_evaluated": 0} == {
        "metrics_evaluated": 0, "flags_opened": 0, "flags_resolved": 0, "checkins_proposed": 0,
        "notifications_queued": 0, "escalations": 0, "statements_drafted": 0, "decision_tasks_opened": 0,
    }
    assert (count(Flag), count(Notification), count(CheckIn)) == before


def test_it_never_reopens_a_flag_resolved_by_hand(harbor, db, users):
    sweep(at(date(2025, 9, 15)))
    (flag,) = flags(kind="off_track")
    flag.resolved_at = at(date(2025, 9, 16))
    flag.resolved_by_id = users["contract_manager"].id
    flag.resolution_note = "Vendor explained the August spike; accepted."
    db.session.commit()
    assert sweep(at(date(2025, 9, 17))).flags_opened == 0
    db.session.refresh(flag)
    assert flag.resolution_note == "Vendor explained the August spike; accepted."


def test_it_leaves_inactive_and_archived_contracts_alone_and_resolves_their_flags(harbor, db):
    sweep(at(date(2025, 9, 15)))
    harbor["contract"].status = "terminated"
    db.session.commit()
    result = sweep(at(date(2025, 10, 14)))
    assert result.flags_opened == 0
    assert all(f.resolved_at is not None for f in flags())


def test_the_cli_reports_what_it_did_and_zero_new_flags_when_run_again(runner, harbor):
    first = runner.invoke(args=["sweep", "--now", "2025-10-14T12:00:00-05:00"])
    assert first.exit_code == 0, first.output
    assert "flags opened: 3" in first.output  # median off track (Aug); placements and median overdue (Sep)
    assert "metrics evaluated: 2" in first.output
    second = runner.invoke(args=["sweep", "--now", "2025-10-14T12:00:00-05:00"])
    assert "flags opened: 0" in second.output
    assert "notifications queued: 0" in second.output


def test_the_cli_refuses_a_bad_now(runner):
    result = runner.invoke(args=["sweep", "--now", "yesterday"])
    assert result.exit_code != 0
    assert "ISO-8601" in result.output


# --- Concurrency (PostgreSQL) -------------------------------------------------------------


@pytest.fixture
def busy_city(backend, factory, users):
    if backend != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    vendor = factory.make_vendor()
    for n in range(12):
        contract = factory.make_contract(vendor=vendor, start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
                                         contract_manager_id=users["contract_manager"].id)
        metric = factory.make_metric(contract, direction="decrease", baseline_value=Decimal(64), target_value=Decimal(40))
        factory.make_reading(metric, date(2025, 7, 1), 90, status="off_track")
        factory.make_milestone(contract, due_date=date(2025, 8, 1))
    return at(date(2025, 10, 14))


def _totals():
    _db.session.expire_all()
    return {
        "flags": count(Flag),
        "notifications": count(Notification),
        "checkins": count(CheckIn),
        "distinct_flag_keys": _db.session.execute(
            select(func.count()).select_from(
                select(Flag.subject_type, Flag.subject_id, Flag.period_start, Flag.kind).distinct().subquery()
            )
        ).scalar(),
    }


def test_two_sweeps_at_the_same_moment_in_two_threads_act_once(app, busy_city):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(sweep(busy_city).as_dict())
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    totals = _totals()
    opened = sum(r["flags_opened"] for r in results)
    assert opened == totals["flags"] == totals["distinct_flag_keys"] > 0
    assert sum(r["notifications_queued"] for r in results) == totals["notifications"]
    assert sum(r["checkins_proposed"] for r in results) == totals["checkins"] == 12
    assert count(Notification, Notification.kind == "escalation") == 12  # one per no_checkin flag, per cdo


def test_two_sweep_processes_against_one_database_act_once(app, busy_city):
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], RDC_CONFIG="development")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    command = [sys.executable, "-m", "flask", "--app", "contracts_app", "sweep", "--now", busy_city.isoformat()]
    processes = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    opened = sum(int(line.split(": ")[1]) for out, _ in outputs for line in out.splitlines() if line.startswith("flags opened"))
    totals = _totals()
    assert opened == totals["flags"] == totals["distinct_flag_keys"] > 0
    assert totals["checkins"] == 12
