"""Portfolio data: monthly health snapshots (for roll-ups over time), their per-priority counts,
and closeout evaluations."""
from contracts_app.i18n import lazy_gettext as _l
from sqlalchemy import event

from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.portfolio import priority_months

RATING_FIELDS = {
    "quality": _l('Quality of work'),
    "schedule": _l('Schedule'),
    "cost_control": _l('Cost control'),
    "management": _l('Management'),
}


class HealthSnapshot(db.Model):
    """A contract's health in a calendar month (the last value the sweep saw that month).

    After each sweep, the sweep job upserts the current month for every active contract; history
    before the tracker was used is backfilled from readings. Roll-ups over time aggregate these
    rows in SQL instead of replaying readings.
    """

    __tablename__ = "health_snapshots"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False)
    month = db.Column(db.Date, nullable=False, index=True)  # first day of the month
    health = db.Column(db.String(16), nullable=False)
    recorded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("contract_id", "month", name="uq_health_snapshots_contract_month"),
        # Covering: a priority's share on track per month reads (contract, month, health) of each
        # of its contracts from the index alone, not a table row per contract and month.
        db.Index("ix_health_snapshots_contract_month_health", "contract_id", "month", "health"),
    )


class PriorityMonthHealth(db.Model):
    """How many (unarchived) contracts serving a priority had each health in a month: the
    snapshots added up, kept by triggers (portfolio/priority_months.py). Never written by the app."""

    __tablename__ = priority_months.TABLE

    priority_id = db.Column(db.Integer, db.ForeignKey("priorities.id", ondelete="CASCADE"), primary_key=True)
    month = db.Column(db.Date, primary_key=True)
    health = db.Column(db.String(16), primary_key=True)
    contracts = db.Column(db.Integer, nullable=False)


# The counts follow every write to the snapshots, the priority links and archiving (see
# priority_months); after the whole schema exists, as the triggers name four tables.
event.listen(db.metadata, "after_create", priority_months.install)


class CloseoutEvaluation(db.Model):
    """How a vendor performed on a completed contract, so performance informs renewals
    (WWC RDC3, RDC6). One per contract."""

    __tablename__ = "closeout_evaluations"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, unique=True)
    vendor_id = db.Column(db.Integer, db.ForeignKey("vendors.id"), nullable=False, index=True)
    quality = db.Column(db.Integer, nullable=False)
    schedule = db.Column(db.Integer, nullable=False)
    cost_control = db.Column(db.Integer, nullable=False)
    management = db.Column(db.Integer, nullable=False)
    narrative = db.Column(db.Text, nullable=False)
    vendor_comment = db.Column(db.Text, nullable=False, default="")
    evaluated_on = db.Column(db.Date, nullable=False)
    evaluated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = tuple(
        db.CheckConstraint(f"{field} BETWEEN 1 AND 5", name=f"{field}_rating") for field in RATING_FIELDS
    )

    contract = db.relationship("Contract")
    vendor = db.relationship("Vendor")
    evaluated_by = db.relationship("User")

    @property
    def average(self):
        return sum(getattr(self, field) for field in RATING_FIELDS) / len(RATING_FIELDS)
