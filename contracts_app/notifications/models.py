"""The notification outbox: written in the sweep's transaction, sent by the dispatcher."""
from contracts_app.i18n import lazy_gettext as _l

from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

NOTIFICATION_KINDS = {
    "flag_opened": _l("Flag opened"),
    "checkin_proposed": _l("Check-in proposed"),
    "escalation": _l("Escalation"),
    "reminder_before": _l("Reading due soon"),
    "reminder_due": _l("Reading due today"),
    "vendor_invitation": _l("Invitation"),
    "submission_returned": _l("Submission returned"),
    "statement_drafted": _l("Payment statement to review"),
    "decision_due": _l("Decision due"),
}


class Notification(db.Model):
    """One thing to tell one person, in their digest email and in-app inbox.

    ``dedupe_key`` is unique: queuing the same news for the same person twice (two sweeps at
    once) inserts one row. The dispatcher claims a row (claimed_at / claim_token) before
    sending, marks it sent after, or releases it with a later next_attempt_at on failure;
    after enough permanent refusals (SMTP 5xx) it is marked failed (failed_at), not claimed again.
    """

    __tablename__ = "notifications"

    id = db.Column(db.Integer, primary_key=True)
    recipient_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(24), nullable=False)
    dedupe_key = db.Column(db.String(120), nullable=False, unique=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    flag_id = db.Column(db.Integer, db.ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    checkin_id = db.Column(db.Integer, db.ForeignKey("checkins.id", ondelete="CASCADE"), index=True)
    # A reminder's metric and period: the dispatcher cancels it once that period has a reading.
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), index=True)
    period_start = db.Column(db.Date)
    subject = db.Column(db.String(255), nullable=False)
    body = db.Column(db.Text, nullable=False, default="")
    # Relative link into the app (e.g. /contracts/12); the digest makes it absolute.
    link = db.Column(db.String(255), nullable=False, default="")
    payload = db.Column(db.JSON)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    # Email delivery (the outbox).
    next_attempt_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    claimed_at = db.Column(UTCDateTime)
    claim_token = db.Column(db.String(36), index=True)
    sent_at = db.Column(UTCDateTime, index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text)
    # Given up: the mail server refused it permanently (a 5xx) NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS
    # times. Never claimed again until an admin retries it (operations page).
    failed_at = db.Column(UTCDateTime, index=True)
    # In-app inbox.
    read_at = db.Column(UTCDateTime)

    recipient = db.relationship("User")
    contract = db.relationship("Contract")
    flag = db.relationship("Flag")
    checkin = db.relationship("CheckIn")

    @property
    def kind_label(self):
        return NOTIFICATION_KINDS.get(self.kind, self.kind)
