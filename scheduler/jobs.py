"""Jobs are defined in code; each calls the services of its task and logs a one-line summary.
Every run writes the job's heartbeat (contracts_app/operations/heartbeat.py): when it started,
finished and last succeeded, how long it took, its last error, and the host and pid."""
import logging
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from contracts_app.api.idempotency import purge_expired_keys
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.sweep import sweep
from contracts_app.notifications.dispatcher import send_notifications
from contracts_app.notifications.reminders import queue_reminders
from contracts_app.operations.heartbeat import describe_error, record_finish, record_start
from contracts_app.portfolio.snapshots import record_current_month
from contracts_app.publish.push import PushFailed, portals_configured, push_published
from contracts_app.publish.run import publish_open_data

log = logging.getLogger("scheduler")


@contextmanager
def heartbeat(job, now):
    """Record the run of ``job`` (inside an app context): its start at ``now``, then its end
    ``now`` + the measured duration, as a success or with the error, which is re-raised (the
    scheduler logs it). The job's own transaction is rolled back first, so its failure cannot
    keep the heartbeat from being written."""
    record_start(job, now)
    clock = time.monotonic()
    try:
        yield
    except Exception as error:
        db.session.rollback()
        elapsed = time.monotonic() - clock
        try:
            record_finish(job, now + timedelta(seconds=elapsed), elapsed, error=describe_error(error))
        except Exception:
            # The database is likely what failed: say so, and let the job's own error be the
            # one the scheduler reports.
            db.session.rollback()
            log.exception("%s: could not record the failed run's heartbeat", job)
        raise
    elapsed = time.monotonic() - clock
    record_finish(job, now + timedelta(seconds=elapsed), elapsed)


def sweep_job(app, now=None):
    """Open and resolve flags, propose check-ins, queue notifications (includes the status
    refresh), then record this month's health snapshots. ``now`` is for tests; the scheduler
    passes nothing."""
    with app.app_context():
        now = now or utcnow()
        with heartbeat("sweep", now):
            result = _sweep(now)
    return result


def _sweep(now):
    """The sweep job's work: the sweep, this month's health snapshots, old Idempotency-Keys."""
    result = sweep(now).as_dict()
    # Said before the snapshots: the sweep has committed, whatever happens to them.
    log.info(
        "sweep: metrics evaluated %(metrics_evaluated)s, flags opened %(flags_opened)s, "
        "flags resolved %(flags_resolved)s, check-ins proposed %(checkins_proposed)s, "
        "notifications queued %(notifications_queued)s, escalations %(escalations)s, "
        "decision tasks opened %(decision_tasks_opened)s",
        result,
    )
    # After the sweep's own commit: the upsert is idempotent, so a separate transaction is
    # safe, and a failure here is repaired by the next run.
    record_current_month(now)
    db.session.commit()
    # API Idempotency-Keys past their lifetime: their responses are no longer replayed.
    purge_expired_keys(now)
    return result


def reminders_job(app, now=None):
    """Queue the reminders due today (days before a reading's due date, and on it); the
    dispatch job emails them on its next run. Its own job, so a failure here holds up neither
    the sweep nor the outbox."""
    with app.app_context():
        now = now or utcnow()
        with heartbeat("reminders", now):
            result = queue_reminders(now).as_dict()
    log.info("reminders: periods due %(periods_due)s, reminders queued %(reminders_queued)s", result)
    return result


def dispatch_job(app, now=None):
    """Send the outbox: one digest per recipient, retried with backoff when SMTP fails."""
    with app.app_context():
        now = now or utcnow()
        with heartbeat("dispatch", now):
            counts = send_notifications(now=now)
    log.info("dispatch: %s", ", ".join(f"{key} {value}" for key, value in counts.items()))
    return counts


def publish_job(app, now=None):
    """Write the open data files (OCDS packages, CSV tables, data.json); a file whose content
    did not change is left as it is. Then push them to the configured open-data portals (CKAN,
    Socrata), with a heartbeat of its own ("push"): a portal that is down fails the push, not
    the publication, and whatever it did not take is pushed again by the next run."""
    with app.app_context():
        now = now or utcnow()
        with heartbeat("publish", now):
            result = publish_open_data(now=now)
            db.session.rollback()  # it only reads: end the transaction before the heartbeat's
        log.info("publish: written %s, unchanged %s", ", ".join(result.written) or "none", len(result.unchanged))
        summary = result.as_dict()
        if portals_configured(app.config):
            summary["push"] = _push(result.folder, now).as_dict()
    return summary


def _push(folder, now):
    """The push after a publication; its outcome (a failed portal is in it, not raised)."""
    try:
        with heartbeat("push", now):
            outcome = push_published(folder, now)
            if outcome.failed:
                # Raised for the heartbeat to record the run as failed, with what failed.
                raise PushFailed(outcome)
    except PushFailed as failed:
        outcome = failed.outcome
    (log.warning if outcome.failed else log.info)("push: %s", outcome.summary())
    return outcome


def job_definitions(app):
    """(id, function, trigger) for every job; intervals come from config."""
    return [
        ("sweep", sweep_job, IntervalTrigger(minutes=app.config["SCHEDULER_SWEEP_MINUTES"], timezone="UTC")),
        ("reminders", reminders_job, IntervalTrigger(minutes=app.config["SCHEDULER_REMINDER_MINUTES"], timezone="UTC")),
        ("dispatch", dispatch_job, IntervalTrigger(seconds=app.config["SCHEDULER_DISPATCH_SECONDS"], timezone="UTC")),
        # Nightly, at PUBLISH_HOUR in the city (open-data portals harvest once a day).
        ("publish", publish_job, CronTrigger(hour=app.config["PUBLISH_HOUR"], timezone=app.config["CITY_TIMEZONE"])),
    ]


def build_scheduler(app, start_now=False):
    """A BlockingScheduler in UTC with every job added (not started).

    ``start_now`` makes each job's first run immediate instead of one interval away.
    """
    scheduler = BlockingScheduler(timezone="UTC")
    options = {
        # Runs missed while the process was down or busy are run once, not once per miss;
        # never two runs of one job at the same time.
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"],
    }
    if start_now:
        options["next_run_time"] = datetime.now(timezone.utc)
    for job_id, func, trigger in job_definitions(app):
        scheduler.add_job(func, trigger, args=[app], id=job_id, name=job_id, replace_existing=True, **options)
    return scheduler
