"""Active management: flags that need attention, check-ins with the vendor, action items."""
from contracts_app.i18n import lazy_gettext as _l
from flask import current_app
from sqlalchemy import event

from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.management import flag_counts
from contracts_app.metrics import rules

FLAG_KINDS = {
    "off_track": _l("Metric off track"),
    "at_risk_twice": _l("Metric at risk two periods running"),
    "overdue": _l("Reading overdue"),
    "milestone_missed": _l("Milestone past due and not met"),
    "no_checkin": _l("No check-in for 90 days"),
    "group_gap": _l("A group lags behind the total"),
}
SEVERITIES = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
SEVERITY_ORDER = ("high", "medium", "low")
FLAG_SEVERITY = {
    "off_track": "high",
    "milestone_missed": "high",
    "overdue": "medium",
    "at_risk_twice": "medium",
    "no_checkin": "medium",
    "group_gap": "medium",
}

CHECKIN_STATUSES = {
    "proposed": _l("Proposed"),
    "scheduled": _l("Scheduled"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}
PENDING_CHECKIN_STATUSES = ("proposed", "scheduled")

ACTION_ITEM_STATUSES = {"open": _l("Open"), "done": _l("Done"), "dropped": _l("Dropped")}

checkin_flags = db.Table(
    "checkin_flags",
    db.Column("checkin_id", db.Integer, db.ForeignKey("checkins.id", ondelete="CASCADE"), primary_key=True),
    db.Column("flag_id", db.Integer, db.ForeignKey("flags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class FlagLabels:
    """The kind and severity of a flag in words, for Flag rows and for read models that carry a
    flag's kind and severity (work.queries.FlagReason)."""

    @property
    def kind_label(self):
        return FLAG_KINDS.get(self.kind, self.kind)

    @property
    def severity_label(self):
        return SEVERITIES.get(self.severity, self.severity)


class Flag(FlagLabels, db.Model):
    """Something needing active management. One per (subject, period, kind), enforced by the
    database, so that concurrent sweeps open it exactly once."""

    __tablename__ = "flags"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    # subject_type: "metric", "milestone" or "contract"; subject_id is that row's id.
    subject_type = db.Column(db.String(16), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), index=True)
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    # The reporting period (metric flags), the due date (milestones), or the day the 90 days
    # without a check-in ran out (contracts).
    period_start = db.Column(db.Date, nullable=False)
    kind = db.Column(db.String(24), nullable=False)
    severity = db.Column(db.String(8), nullable=False)
    summary = db.Column(db.String(255), nullable=False, default="")
    opened_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    resolved_at = db.Column(UTCDateTime)
    resolved_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    resolution_note = db.Column(db.Text)
    # When the chief data officer was told it has been open too long (once).
    escalated_at = db.Column(UTCDateTime)

    __table_args__ = (
        db.UniqueConstraint("subject_type", "subject_id", "period_start", "kind", name="uq_flags_subject_period_kind"),
        # Open flags per contract and severity (dashboard, sweep) read from the index alone.
        db.Index("ix_flags_resolved_contract_severity", "resolved_at", "contract_id", "severity"),
        # Open flags (resolved_at IS NULL), and the latest resolutions in order: a sweep resolves
        # many flags at the same instant, so the id breaks the tie from the index too.
        db.Index("ix_flags_resolved_at_id", "resolved_at", "id"),
    )

    contract = db.relationship("Contract")
    metric = db.relationship("Metric")
    milestone = db.relationship("Milestone")
    resolved_by = db.relationship("User")
    checkins = db.relationship("CheckIn", secondary=checkin_flags, back_populates="flags")

    @property
    def is_open(self):
        return self.resolved_at is None

    @property
    def subject_label(self):
        """What the flag is about, in words: the metric, the milestone, or the check-ins."""
        if self.metric is not None:
            return self.metric.name
        if self.milestone is not None:
            return self.milestone.title
        return "Check-ins"

    @property
    def period_label(self):
        """The flag's period in words: the metric period, the milestone due date, or the day the
        90 days without a check-in ran out."""
        day = self.period_start
        if self.metric is not None:
            return rules.period_label(day, self.metric.cadence)
        if self.subject_type == "milestone":
            return f"Due {long_date(day)}"
        return f"Since {long_date(day)}"

    def age_days(self, now=None):
        """Days the flag has been open (until ``now``), or was open (until it was resolved),
        counted in the city's dates. A method, not a property, so pages pass their ``now``."""
        zone = current_app.config["CITY_TIMEZONE"]
        end = self.resolved_at or now or utcnow()
        return max((rules.city_today(end, zone) - rules.city_today(self.opened_at, zone)).days, 0)


# The contracts' open-flag counters follow every write to this table (see flag_counts).
event.listen(Flag.__table__, "after_create", flag_counts.install)


class CheckIn(db.Model):
    """An active-management meeting with the vendor."""

    __tablename__ = "checkins"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    status = db.Column(db.String(16), nullable=False, default="scheduled", index=True)
    # Equal to contract_id while the check-in is proposed or scheduled, NULL otherwise: its
    # unique constraint allows one pending check-in per contract, so two sweeps cannot both
    # propose one (NULLs never collide).
    pending_contract_id = db.Column(db.Integer, unique=True)
    scheduled_for = db.Column(db.Date, nullable=False)
    start_time = db.Column(db.Time)
    duration_minutes = db.Column(db.Integer, nullable=False, default=60)
    location = db.Column(db.String(255), nullable=False, default="")
    held_on = db.Column(db.Date, index=True)
    city_attendees = db.Column(db.Text, nullable=False, default="")
    vendor_attendees = db.Column(db.Text, nullable=False, default="")
    notes = db.Column(db.Text, nullable=False, default="")
    decisions = db.Column(db.Text, nullable=False, default="")
    proposed_by_sweep = db.Column(db.Boolean, nullable=False, default=False)

    # The last held check-in per contract (sweep, dashboard, evidence) without a sort.
    __table_args__ = (
        db.Index("ix_checkins_status_contract_held", "status", "contract_id", "held_on"),
        # The most recent held check-ins (dashboard) in index order, without sorting them all.
        db.Index("ix_checkins_status_held", "status", "held_on"),
        # Pending check-ins past their date (the dashboard's "overdue" list).
        db.Index("ix_checkins_status_scheduled", "status", "scheduled_for", "contract_id"),
    )
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    contract = db.relationship("Contract")
    created_by = db.relationship("User")
    flags = db.relationship("Flag", secondary=checkin_flags, back_populates="checkins", order_by="Flag.opened_at")
    action_items = db.relationship(
        "ActionItem", back_populates="checkin", order_by="ActionItem.due_date, ActionItem.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self):
        return CHECKIN_STATUSES.get(self.status, self.status)

    @property
    def is_pending(self):
        return self.status in PENDING_CHECKIN_STATUSES


class ActionItem(db.Model):
    """A follow-up agreed at a check-in: who does what by when."""

    __tablename__ = "action_items"

    id = db.Column(db.Integer, primary_key=True)
    checkin_id = db.Column(db.Integer, db.ForeignKey("checkins.id", ondelete="CASCADE"), nullable=False, index=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    description = db.Column(db.Text, nullable=False)
    owner = db.Column(db.String(200), nullable=False)
    due_date = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(16), nullable=False, default="open", index=True)
    completed_on = db.Column(db.Date)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    checkin = db.relationship("CheckIn", back_populates="action_items")
    contract = db.relationship("Contract")

    @property
    def status_label(self):
        return ACTION_ITEM_STATUSES.get(self.status, self.status)
