"""The scheduler's job table, inspected without starting it, and its jobs run against the db."""
from datetime import date, datetime, timedelta, timezone

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from contracts_app.management.models import Flag
from contracts_app.notifications.models import Notification
from contracts_app.portfolio.models import HealthSnapshot
from scheduler.jobs import build_scheduler, sweep_job


def test_it_defines_each_job_once_with_safe_options(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"sweep", "reminders", "dispatch", "publish"}
    assert jobs["reminders"].trigger.interval.total_seconds() == 60 * app.config["SCHEDULER_REMINDER_MINUTES"] == 3600
    assert jobs["sweep"].trigger.interval.total_seconds() == 60 * app.config["SCHEDULER_SWEEP_MINUTES"] == 3600
    assert jobs["dispatch"].trigger.interval.total_seconds() == app.config["SCHEDULER_DISPATCH_SECONDS"] == 60
    # The publication runs nightly at PUBLISH_HOUR in the city (tests/publish).
    assert str(jobs["publish"].trigger.timezone) == app.config["CITY_TIMEZONE"]
    for job in jobs.values():
        if job.id != "publish":
            assert isinstance(job.trigger, IntervalTrigger)
            assert str(job.trigger.timezone) == "UTC"
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"]
        assert job.args == (app,)
    assert str(scheduler.timezone) == "UTC"
    assert scheduler.running is False


def test_it_takes_intervals_from_config(app):
    app.config["SCHEDULER_SWEEP_MINUTES"] = 15
    app.config["SCHEDULER_DISPATCH_SECONDS"] = 30
    scheduler = build_scheduler(app)
    assert scheduler.get_job("sweep").trigger.interval.total_seconds() == 15 * 60
    assert scheduler.get_job("dispatch").trigger.interval.total_seconds() == 30


def test_it_runs_the_sweep_job_against_the_database(app, db, factory):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract, due_days=10)
    # No reading ever entered: by now the latest due period is long past due and grace.
    result = sweep_job(app)
    db.session.refresh(metric)
    assert metric.status == "overdue"
    assert result["flags_opened"] >= 1


def test_it_records_this_months_health_after_the_sweep(app, db, factory):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    factory.make_metric(contract, due_days=10)
    now = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
    sweep_job(app, now)
    sweep_job(app, now + timedelta(days=1))  # the same month again: updated, not duplicated
    snapshots = db.session.execute(select(HealthSnapshot.contract_id, HealthSnapshot.month, HealthSnapshot.health)).all()
    assert snapshots == [(contract.id, date(2026, 3, 1), "overdue")]


def test_it_does_not_duplicate_anything_when_restarted(app, db, factory):
    factory.make_metric(factory.make_contract(), due_days=10)
    # A restarted scheduler runs its jobs again straight away: the second run must add nothing.
    sweep_job(app)
    counts = (db.session.scalar(select(func.count(Flag.id))), db.session.scalar(select(func.count(Notification.id))))
    second = sweep_job(app)
    assert second["flags_opened"] == second["notifications_queued"] == second["checkins_proposed"] == 0
    assert (db.session.scalar(select(func.count(Flag.id))), db.session.scalar(select(func.count(Notification.id)))) == counts


def test_it_does_not_start_inside_the_web_app(app):
    # The web app must never schedule jobs itself: no scheduler is attached to it.
    assert "apscheduler" not in app.extensions
    assert not any("scheduler" in name for name in app.blueprints)
