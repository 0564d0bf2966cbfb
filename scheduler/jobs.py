"""Jobs are defined in code; each calls one service and logs a one-line summary."""
import logging
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("scheduler")


def refresh_statuses_job(app):
    """Time alone turns a missing reading overdue: refresh stored statuses and health."""
    from contracts_app.metrics.services import refresh_statuses

    with app.app_context():
        counts = refresh_statuses()
    log.info("refresh_statuses: metrics changed %(metrics_changed)s, contracts changed %(contracts_changed)s", counts)
    return counts


def job_definitions(app):
    """(id, function, trigger) for every job; read from config so intervals can be tuned."""
    return [
        (
            "refresh_statuses",
            refresh_statuses_job,
            IntervalTrigger(minutes=app.config["SCHEDULER_STATUS_REFRESH_MINUTES"], timezone="UTC"),
        ),
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
