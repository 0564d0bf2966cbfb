"""Read models for operating the app: the scheduler's health, the outbox's, and whether the
database schema is at the migrations' head. The operations page, /healthz and /metrics read
these (aggregate SQL at request time, so every web worker sees the same numbers)."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from contracts_app.extensions import db
from contracts_app.metrics.models import Reading
from contracts_app.notifications.models import Notification
from contracts_app.operations.models import JobHeartbeat
from contracts_app.publish.models import PortalPush

# The scheduler's jobs (scheduler/jobs.py), in the order the page lists them.
JOBS = ("sweep", "dispatch", "reminders", "publish")


@dataclass
class SchedulerHealth:
    jobs: list  # [(job name, JobHeartbeat or None)]
    last_ran_at: datetime | None
    stale_after: timedelta
    now: datetime

    @property
    def never_ran(self):
        return self.last_ran_at is None

    @property
    def minutes_ago(self):
        return None if self.last_ran_at is None else max(0, int((self.now - self.last_ran_at).total_seconds() // 60))

    @property
    def stale(self):
        """No job has started within the stale limit: the scheduler process is most likely not
        running (or cannot reach the database)."""
        return self.last_ran_at is None or self.now - self.last_ran_at > self.stale_after

    @property
    def failing(self):
        """Jobs whose last finished run failed."""
        return [name for name, beat in self.jobs if beat is not None and beat.last_error]


def stale_after():
    return timedelta(minutes=int(current_app.config["SCHEDULER_STALE_MINUTES"]))


def scheduler_health(now):
    """Each job's heartbeat (None for a job that never ran) and when any job last started."""
    beats = {beat.job: beat for beat in db.session.scalars(select(JobHeartbeat))}
    names = list(JOBS) + sorted(set(beats) - set(JOBS))
    starts = [beat.last_started_at for beat in beats.values()]
    return SchedulerHealth(
        jobs=[(name, beats.get(name)) for name in names], last_ran_at=max(starts) if starts else None,
        stale_after=stale_after(), now=now,
    )


def scheduler_warning(now):
    """The scheduler's health when admins should be warned about it, else None."""
    health = scheduler_health(now)
    return health if health.stale else None


@dataclass
class OutboxHealth:
    pending: int
    oldest_pending_at: datetime | None
    failed: int
    failed_rows: list = field(default_factory=list)
    now: datetime | None = None

    @property
    def oldest_pending_age(self):
        return None if self.oldest_pending_at is None else max(timedelta(0), self.now - self.oldest_pending_at)


PENDING = (Notification.sent_at.is_(None), Notification.failed_at.is_(None))
FAILED = (Notification.sent_at.is_(None), Notification.failed_at.is_not(None))


def outbox_counts(now):
    """Pending (not sent, not failed: waiting, claimed or backing off), the oldest pending's
    creation time, and failed notifications: two aggregate queries, no rows loaded. (min() keeps
    the column's type, so the time comes back timezone-aware on SQLite too.)"""
    pending, oldest = db.session.execute(
        select(func.count(), func.min(Notification.created_at)).where(*PENDING)
    ).one()
    failed = db.session.scalar(select(func.count()).select_from(Notification).where(*FAILED))
    return OutboxHealth(pending=pending, oldest_pending_at=oldest, failed=failed, now=now)


def outbox_health(now, limit=100):
    """outbox_counts plus the failed notifications, newest failure first (at most ``limit``)."""
    health = outbox_counts(now)
    health.failed_rows = db.session.scalars(
        select(Notification).options(joinedload(Notification.recipient)).where(*FAILED)
        .order_by(Notification.failed_at.desc(), Notification.id.desc()).limit(limit)
    ).all()
    return health


def portal_pushes():
    """What was last pushed to each open-data portal (publish/push.py), failing items first,
    then by portal, dataset and file: a few dozen rows at most."""
    return db.session.scalars(
        select(PortalPush).order_by(PortalPush.error.is_(None), PortalPush.portal, PortalPush.address,
                                    PortalPush.target, PortalPush.file)
    ).all()


def readings_count():
    return db.session.scalar(select(func.count()).select_from(Reading))


_HEADS = {}


def migration_heads():
    """The head revision(s) of the migration scripts shipped with this code (read once per
    process: the scripts do not change while it runs)."""
    if "heads" not in _HEADS:
        _HEADS["heads"] = tuple(sorted(_scripts().get_heads()))
    return _HEADS["heads"]


def known_revisions():
    return {script.revision for script in _scripts().walk_revisions()}


def _scripts():
    """The migration scripts the app was set up with (Flask-Migrate's directory)."""
    return ScriptDirectory(current_app.extensions["migrate"].directory)


@dataclass
class MigrationStatus:
    current: tuple
    heads: tuple

    @property
    def at_head(self):
        return bool(self.current) and set(self.current) == set(self.heads)


def migration_status():
    """The revision(s) stamped in the database (alembic_version) against the scripts' head."""
    with db.engine.connect() as connection:
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    return MigrationStatus(current=current, heads=migration_heads())
