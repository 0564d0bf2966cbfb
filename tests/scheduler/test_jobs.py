"""The scheduler's job table, inspected without starting it, and its jobs run against the db."""
from datetime import date

from apscheduler.triggers.interval import IntervalTrigger

from scheduler.jobs import build_scheduler, refresh_statuses_job


def test_it_defines_each_job_once_with_safe_options(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"refresh_statuses"}
    job = jobs["refresh_statuses"]
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval.total_seconds() == 60 * app.config["SCHEDULER_STATUS_REFRESH_MINUTES"]
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"]
    assert str(scheduler.timezone) == "UTC"
    assert scheduler.running is False


def test_it_takes_intervals_from_config(app):
    app.config["SCHEDULER_STATUS_REFRESH_MINUTES"] = 15
    job = build_scheduler(app).get_job("refresh_statuses")
    assert job.trigger.interval.total_seconds() == 15 * 60


def test_it_runs_the_refresh_job_against_the_database(app, db, factory):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract, due_days=10)
    # No reading ever entered: by now the first periods are long past due and grace.
    counts = refresh_statuses_job(app)
    db.session.refresh(metric)
    db.session.refresh(contract)
    assert counts == {"metrics_changed": 1, "contracts_changed": 1}
    assert metric.status == "overdue"
    assert contract.health == "overdue"
    # A second run changes nothing.
    assert refresh_statuses_job(app) == {"metrics_changed": 0, "contracts_changed": 0}


def test_it_does_not_start_inside_the_web_app(app):
    # The web app must never schedule jobs itself: no scheduler is attached to it.
    assert "apscheduler" not in app.extensions
    assert not any("scheduler" in name for name in app.blueprints)
