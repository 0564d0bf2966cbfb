"""/metrics in the Prometheus text format: the request metrics (observability.py; summed over
every gunicorn worker in multiprocess mode) and figures read from the database at scrape time
with aggregate SQL (the scheduler's heartbeat, the outbox, readings), which therefore agree
whichever worker answers and whichever process (the scheduler) wrote them."""
import logging
import os

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from contracts_app.extensions import db
from contracts_app.operations import queries
from contracts_app.operations.observability import LATENCY, REQUESTS


def _timestamp(value):
    return value.timestamp() if value is not None else None


class DatabaseCollector:
    """Collects once, when the registry is rendered (one scrape)."""

    def __init__(self, now):
        self.now = now

    def collect(self):
        # Everything is read before anything is yielded: if the database fails half-way, the
        # scrape still answers, with rdc_database_up 0 instead of half the figures.
        try:
            families = list(self._families())
        except Exception:
            logging.getLogger(__name__).exception("/metrics: the database figures could not be read")
            db.session.rollback()
            families = []
        yield GaugeMetricFamily("rdc_database_up", "1 when the database answered this scrape's queries.", value=1 if families else 0)
        yield from families

    def _families(self):
        now = self.now
        health = queries.scheduler_health(now)
        started = GaugeMetricFamily("rdc_scheduler_job_last_start_timestamp_seconds", "When each scheduler job last started (Unix time).", labels=["job"])
        succeeded = GaugeMetricFamily("rdc_scheduler_job_last_success_timestamp_seconds", "When each scheduler job last finished without error (Unix time).", labels=["job"])
        duration = GaugeMetricFamily("rdc_scheduler_job_last_duration_seconds", "How long each scheduler job's last finished run took.", labels=["job"])
        failing = GaugeMetricFamily("rdc_scheduler_job_failing", "1 when the job's last finished run failed.", labels=["job"])
        for name, beat in health.jobs:
            if beat is None:
                continue
            started.add_metric([name], _timestamp(beat.last_started_at))
            if beat.last_success_at is not None:
                succeeded.add_metric([name], _timestamp(beat.last_success_at))
            if beat.last_duration_seconds is not None:
                duration.add_metric([name], beat.last_duration_seconds)
            failing.add_metric([name], 1 if beat.last_error else 0)
        yield from (started, succeeded, duration, failing)
        yield GaugeMetricFamily(
            "rdc_scheduler_stale", "1 when no scheduler job has started within SCHEDULER_STALE_MINUTES (or ever).",
            value=1 if health.stale else 0,
        )

        outbox = queries.outbox_counts(now)
        yield GaugeMetricFamily("rdc_outbox_pending", "Notifications not yet sent (waiting, claimed or backing off).", value=outbox.pending)
        age = outbox.oldest_pending_age
        yield GaugeMetricFamily(
            "rdc_outbox_oldest_pending_age_seconds", "Age of the oldest notification not yet sent (0 when none).",
            value=age.total_seconds() if age is not None else 0,
        )
        yield GaugeMetricFamily("rdc_notifications_failed", "Notifications refused permanently and given up on.", value=outbox.failed)
        yield CounterMetricFamily("rdc_readings_written", "Readings in the database (each period's reading counts once; corrections are revisions).", value=queries.readings_count())
        status = queries.migration_status()
        yield GaugeMetricFamily("rdc_migrations_at_head", "1 when the database schema is at the migrations' head.", value=1 if status.at_head else 0)


def render(now):
    """The scrape's body (bytes)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker's request metrics, from the files they write.
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector(now))
    return generate_latest(registry)
