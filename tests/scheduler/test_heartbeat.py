"""Every scheduler job run writes its heartbeat: start, finish, success, duration, error, host, pid."""
import os
import socket
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from contracts_app.operations.heartbeat import record_finish, record_start
from contracts_app.operations.models import JobHeartbeat
from scheduler import jobs
from scheduler.jobs import dispatch_job, reminders_job, sweep_job

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


def _beats(db):
    db.session.expire_all()
    return {beat.job: beat for beat in db.session.scalars(select(JobHeartbeat))}


def test_it_records_each_jobs_run(app, db):
    sweep_job(app, NOW)
    dispatch_job(app, NOW + timedelta(minutes=1))
    reminders_job(app, NOW + timedelta(minutes=2))

    beats = _beats(db)
    assert set(beats) == {"sweep", "dispatch", "reminders"}
    sweep = beats["sweep"]
    assert sweep.last_started_at == NOW
    assert sweep.last_success_at == sweep.last_finished_at >= NOW
    assert sweep.last_duration_seconds >= 0
    assert sweep.last_finished_at - sweep.last_started_at == timedelta(seconds=sweep.last_duration_seconds)
    assert sweep.last_error is None and sweep.runs == 1 and sweep.failures == 0
    assert sweep.host == socket.gethostname() and sweep.pid == os.getpid()
    assert beats["dispatch"].last_started_at == NOW + timedelta(minutes=1)
    assert beats["reminders"].last_started_at == NOW + timedelta(minutes=2)


def test_it_keeps_one_row_per_job_and_counts_the_runs(app, db):
    sweep_job(app, NOW)
    sweep_job(app, NOW + timedelta(hours=1))

    beats = _beats(db)
    assert list(beats) == ["sweep"]
    assert beats["sweep"].runs == 2 and beats["sweep"].last_started_at == NOW + timedelta(hours=1)


def test_it_records_a_failed_run_and_keeps_the_last_success(app, db, monkeypatch):
    sweep_job(app, NOW)

    def broken(now):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(jobs, "_sweep", broken)
    with pytest.raises(RuntimeError):
        sweep_job(app, NOW + timedelta(hours=1))

    beat = _beats(db)["sweep"]
    assert beat.last_started_at == NOW + timedelta(hours=1)
    assert beat.last_finished_at >= NOW + timedelta(hours=1)
    assert beat.last_success_at < NOW + timedelta(hours=1)
    assert beat.last_error == "RuntimeError: the database went away"
    assert beat.runs == 2 and beat.failures == 1

    monkeypatch.undo()
    sweep_job(app, NOW + timedelta(hours=2))
    beat = _beats(db)["sweep"]
    assert beat.last_error is None and beat.last_success_at >= NOW + timedelta(hours=2) and beat.failures == 1


def test_a_run_that_never_finished_shows_as_started_only(app, db):
    record_start("sweep", NOW, host="sched-1", pid=4242)
    beat = _beats(db)["sweep"]
    assert (beat.last_started_at, beat.last_finished_at, beat.last_success_at, beat.host, beat.pid) == (NOW, None, None, "sched-1", 4242)
    record_finish("sweep", NOW + timedelta(seconds=3), 3.0)
    beat = _beats(db)["sweep"]
    assert beat.last_success_at == NOW + timedelta(seconds=3) and beat.last_duration_seconds == 3.0


def test_a_job_that_fails_with_the_database_keeps_its_own_error(app, db, monkeypatch):
    sweep_job(app, NOW)

    def broken(now):
        raise RuntimeError("the sweep failed")

    def heartbeat_unwritable(*args, **kwargs):
        raise OSError("disk I/O error")

    monkeypatch.setattr(jobs, "_sweep", broken)
    monkeypatch.setattr(jobs, "record_finish", heartbeat_unwritable)
    with pytest.raises(RuntimeError, match="the sweep failed"):
        sweep_job(app, NOW + timedelta(hours=1))
    assert _beats(db)["sweep"].last_started_at == NOW + timedelta(hours=1)
