"""A vendor contact's access to a contract, and the values they submit for verification."""
from contracts_app.i18n import lazy_gettext as _l
from contracts_app.contracts.models import Contract
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.metrics.models import VALUE

PENDING = "pending"
ACCEPTED = "accepted"
RETURNED = "returned"
SUBMISSION_STATES = {PENDING: _l("Waiting for verification"), ACCEPTED: _l("Accepted"), RETURNED: _l("Returned")}


class VendorAccess(db.Model):
    """A vendor contact (a user with the vendor role) may report on one contract of their vendor.

    Granted by an invitation from a procurement officer or the contract's manager; it ends when
    ``revoked_at`` is set, when the contract ends or is archived, or when the user is deactivated.
    """

    __tablename__ = "vendor_access"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    granted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    granted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    revoked_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    revoked_at = db.Column(UTCDateTime)

    __table_args__ = (db.UniqueConstraint("contract_id", "user_id", name="uq_vendor_access_contract_user"),)

    contract = db.relationship("Contract")
    user = db.relationship("User", foreign_keys=[user_id])
    granted_by = db.relationship("User", foreign_keys=[granted_by_id])
    revoked_by = db.relationship("User", foreign_keys=[revoked_by_id])


def live_access_conditions(today):
    """SQL conditions, over VendorAccess joined to its Contract, for the grant and contract half
    of a vendor contact's ACTIVE access on ``today`` (the city's date): not revoked, and the
    contract active, unarchived and not past its end date. The user half (an active account of
    the vendor role and of the contract's vendor) is the caller's: per user in vendors.queries,
    set-based over users in notifications.reminders. The one statement of the rule."""
    return [
        VendorAccess.revoked_at.is_(None),
        VendorAccess.contract_id == Contract.id,
        Contract.archived_at.is_(None),
        Contract.status == "active",
        Contract.end_date >= today,
    ]


class VendorSubmission(db.Model):
    """A value a vendor contact submits for one metric and period; not a reading until a
    contract manager accepts it (then ``reading_id``), or returned with ``return_reason``."""

    __tablename__ = "vendor_submissions"

    id = db.Column(db.Integer, primary_key=True)
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), nullable=False, index=True)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    value = db.Column(VALUE, nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    state = db.Column(db.String(16), nullable=False, default=PENDING, index=True)
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    submitted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    reviewed_at = db.Column(UTCDateTime)
    return_reason = db.Column(db.Text, nullable=False, default="")
    reading_id = db.Column(db.Integer, db.ForeignKey("readings.id", ondelete="SET NULL"))
    # The values per group submitted with the total ({group id: value, as text}; contracts_app.dimensions).
    group_values = db.Column(db.JSON)

    __table_args__ = (
        db.CheckConstraint("period_end >= period_start", name="submission_period_order"),
        # One submission waiting per metric and period: two submits at once (two tabs, two
        # contacts of the vendor) cannot both wait; the second insert fails and is refused.
        db.Index(
            "uq_vendor_submissions_pending", "metric_id", "period_start", unique=True,
            sqlite_where=db.text("state = 'pending'"), postgresql_where=db.text("state = 'pending'"),
        ),
    )

    metric = db.relationship("Metric")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = db.relationship("User", foreign_keys=[reviewed_by_id])
    reading = db.relationship("Reading")

    @property
    def state_label(self):
        return SUBMISSION_STATES.get(self.state, self.state)


class VendorInvitation(db.Model):
    """A one-time link a vendor contact follows to choose a password.

    Only the SHA-256 digest of the token is stored (the token itself is only in the email). It
    works once (``used_at``), until ``expires_at``, and only while it is the contact's newest
    invitation (``superseded_at`` is set on the older ones when a new one is sent).
    """

    __tablename__ = "vendor_invitations"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    used_at = db.Column(UTCDateTime)
    superseded_at = db.Column(UTCDateTime)

    user = db.relationship("User", foreign_keys=[user_id])
    contract = db.relationship("Contract")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
