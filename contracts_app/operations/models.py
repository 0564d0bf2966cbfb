"""The scheduler's heartbeat: one row per job, rewritten at every run."""
from contracts_app.db_types import UTCDateTime
from contracts_app.extensions import db


class JobHeartbeat(db.Model):
    """When a scheduler job last started, finished and succeeded, how long it took, its last
    error, and which process ran it. The web app reads it (operations page, /metrics), so the
    scheduler's health is visible across processes and hosts."""

    __tablename__ = "job_heartbeats"

    job = db.Column(db.String(40), primary_key=True)
    last_started_at = db.Column(UTCDateTime, nullable=False)
    last_finished_at = db.Column(UTCDateTime)
    last_success_at = db.Column(UTCDateTime)
    # Seconds the last finished run took (successful or not).
    last_duration_seconds = db.Column(db.Float)
    # The last run's error ("Type: message"), None when the last finished run succeeded.
    last_error = db.Column(db.Text)
    host = db.Column(db.String(255), nullable=False, default="")
    pid = db.Column(db.Integer)
    runs = db.Column(db.Integer, nullable=False, default=0)
    failures = db.Column(db.Integer, nullable=False, default=0)
