"""A contract's options, the decision tasks opened before its end date and each option date,
and the renewal / option decisions recorded on them."""
from contracts_app.i18n import lazy_gettext as _l

from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

# What a decision can be (WWC RDC6: performance informs renewal and changes of scope).
CHOICES = {
    "renew": _l("Renew, or exercise the option"),
    "rebid": _l("Rebid"),
    "change_scope": _l("Change the scope"),
    "let_end": _l("Let it end"),
}
END_OF_TERM = "end"
OPTION = "option"
POINTS = {END_OF_TERM: _l("End of term"), OPTION: _l("Option")}
MAX_EXTENSION_MONTHS = 120


class ContractOption(db.Model):
    """An option the city may exercise: by ``option_date``, extend the contract by
    ``extension_months`` (a renewal option), as the contract describes it."""

    __tablename__ = "contract_options"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    option_date = db.Column(db.Date, nullable=False)
    description = db.Column(db.String(255), nullable=False)
    extension_months = db.Column(db.Integer, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        db.CheckConstraint(f"extension_months BETWEEN 1 AND {MAX_EXTENSION_MONTHS}", name="extension_months_range"),
    )

    contract = db.relationship("Contract", backref=db.backref(
        "options", order_by="ContractOption.option_date, ContractOption.id", cascade="all, delete-orphan",
    ))

    def __repr__(self):
        return f"<ContractOption {self.contract_id} {self.option_date}>"


class DecisionTask(db.Model):
    """A decision the city must take on a contract: at the end of its term or by an option's date.

    Opened by the sweep ``DECISION_NOTICE_DAYS`` before ``decision_date``; the unique key
    (contract, point, date) is the sweep's claim, so two schedulers at once open one task and
    tell each person once. ``point_key`` is "end" or "option:<id>". A task is open until a
    decision is recorded on it (``RenewalDecision.task_id`` is unique). An undecided task whose
    date no longer matches the contract (end date or option date changed, option removed) is
    deleted by the contract service in the same transaction.
    """

    __tablename__ = "decision_tasks"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    point = db.Column(db.String(8), nullable=False)
    point_key = db.Column(db.String(32), nullable=False)
    option_id = db.Column(db.Integer, db.ForeignKey("contract_options.id", ondelete="CASCADE"), index=True)
    decision_date = db.Column(db.Date, nullable=False)
    opened_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("contract_id", "point_key", "decision_date", name="uq_decision_tasks_point"),
        db.CheckConstraint("point IN ('end', 'option')", name="point_kind"),
        db.CheckConstraint("(point = 'option') = (option_id IS NOT NULL)", name="option_point_has_option"),
    )

    contract = db.relationship("Contract")
    option = db.relationship("ContractOption")
    decision = db.relationship("RenewalDecision", back_populates="task", uselist=False)

    @property
    def point_label(self):
        return POINTS[self.point]


class RenewalDecision(db.Model):
    """The decision on a task: what was decided, why, who and when, and whether it was made from
    the decision page with the performance summary in front of the decider (``summary_shown``:
    the page's summary token came back with the form and matched the summary at that moment).
    ``summary`` keeps the figures that were shown, so the record says what it was decided on."""

    __tablename__ = "renewal_decisions"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("decision_tasks.id", ondelete="CASCADE"), nullable=False, unique=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    # The option exercised (a decision to renew by exercising one of the contract's options).
    option_id = db.Column(db.Integer, db.ForeignKey("contract_options.id", ondelete="SET NULL"))
    choice = db.Column(db.String(16), nullable=False)
    rationale = db.Column(db.Text, nullable=False)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime, nullable=False)
    summary_shown = db.Column(db.Boolean, nullable=False, default=False)
    summary_token = db.Column(db.String(64))
    summary = db.Column(db.JSON)

    __table_args__ = (
        db.CheckConstraint("choice IN ('renew', 'rebid', 'change_scope', 'let_end')", name="choice_known"),
    )

    task = db.relationship("DecisionTask", back_populates="decision")
    contract = db.relationship("Contract")
    option = db.relationship("ContractOption")
    decided_by = db.relationship("User")

    @property
    def choice_label(self):
        return CHOICES[self.choice]
