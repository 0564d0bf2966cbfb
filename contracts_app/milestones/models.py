"""Milestones: a contract's deliverables with due dates; a missed one counts against its health."""
from contracts_app.i18n import lazy_gettext as _l
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

MILESTONE_STATUSES = {
    "scheduled": _l("Scheduled"),
    "met": _l("Met"),
    "partially_met": _l("Partially met"),
    "not_met": _l("Not met"),
}

# The OCDS milestoneType codes that apply to a signed contract's milestones.
MILESTONE_TYPES = {
    "delivery": _l("Delivery"),
    "reporting": _l("Reporting"),
    "financing": _l("Financing (payment)"),
    "assessment": _l("Assessment"),
    "approval": _l("Approval"),
    "engagement": _l("Engagement"),
}


class Milestone(db.Model):
    """A deliverable with a due date."""

    __tablename__ = "milestones"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    title = db.Column(db.String(255), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    due_date = db.Column(db.Date, nullable=False)
    milestone_type = db.Column(db.String(16), nullable=False, default="delivery", server_default="delivery")
    status = db.Column(db.String(16), nullable=False, default="scheduled")
    completed_on = db.Column(db.Date)
    payment_linked = db.Column(db.Boolean, nullable=False, default=False)
    notes = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # The milestone's id in the OCDS contract it was imported from (contracts_app.ocds.importer).
    ocds_id = db.Column(db.String(255))

    contract = db.relationship("Contract", back_populates="milestones")

    @property
    def status_label(self):
        return MILESTONE_STATUSES.get(self.status, self.status)

    @property
    def type_label(self):
        return MILESTONE_TYPES.get(self.milestone_type, self.milestone_type)

    def __repr__(self):
        return f"<Milestone {self.title} {self.due_date}>"
