"""The scheduler's heartbeat: each job run writes when it started, and then when it finished,
how long it took and whether it failed, in ``job_heartbeats``. The web processes read it (the
operations page, /metrics), which is how they know the separate scheduler process is alive."""
import os
import socket

from sqlalchemy import update

from contracts_app.db_utils import dialect_insert
from contracts_app.extensions import db
from contracts_app.operations.models import JobHeartbeat

ERROR_LENGTH = 1000


def record_start(job, now, host=None, pid=None):
    """Upsert ``job``'s row with this run's start and process, and commit.

    One INSERT ... ON CONFLICT DO UPDATE, so two schedulers started by accident (or the first
    run of a job) never fail on the primary key; the row then names whichever ran last."""
    table = JobHeartbeat.__table__
    host = (host if host is not None else socket.gethostname())[:255]
    pid = pid if pid is not None else os.getpid()
    statement = dialect_insert(table).values(job=job, last_started_at=now, host=host, pid=pid, runs=1, failures=0)
    statement = statement.on_conflict_do_update(
        index_elements=["job"],
        set_=dict(last_started_at=now, host=host, pid=pid, runs=table.c.runs + 1),
    )
    db.session.execute(statement)
    db.session.commit()


def record_finish(job, finished_at, duration_seconds, error=None):
    """Record the end of ``job``'s run and commit: success (last_success_at, error cleared) or
    the error's text (the last success stays as it was, so "failing since" is visible)."""
    values = dict(last_finished_at=finished_at, last_duration_seconds=duration_seconds)
    if error is None:
        values.update(last_success_at=finished_at, last_error=None)
    else:
        values.update(last_error=str(error)[:ERROR_LENGTH], failures=JobHeartbeat.failures + 1)
    db.session.execute(update(JobHeartbeat).where(JobHeartbeat.job == job).values(**values))
    db.session.commit()


def describe_error(error):
    return f"{type(error).__name__}: {error}"
