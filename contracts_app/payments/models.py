"""Payment terms, payment rules and payment statements of a contract.

``PaymentTerms`` (one per contract) say how often the vendor is billed and the scheduled amount
per billing period, in the contract's currency. ``PaymentRule`` rows adjust it (withhold,
penalty, incentive, outcome payment, milestone payment, grace, improvement credit), each with
the dates it applies and who set it and why; a change on an active contract ends the old rule
the day before its effective date and starts a new one that names it (``replaces_id``), so the
history stays and a later amendment can point at it. ``PaymentStatement`` is one billing
period's computed statement (``payments.compute``), drafted by the sweep exactly once (the
unique (contract, period start, revision)), approved by a procurement officer; a correction
after approval is the next revision, and the earlier one is kept, marked superseded.
"""
from contracts_app.i18n import lazy_gettext as _l

from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

MONEY = db.Numeric(14, 2)
PCT = db.Numeric(7, 4)
VALUE = db.Numeric(18, 4)

BILLING_PERIODS = {
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "semiannual": _l("Every six months"),
    "annual": _l("Annually"),
    "milestone": _l("Per milestone"),
}
# Months per billing period (per milestone: the periods end at the payment-linked milestones' due dates).
BILLING_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}

WITHHOLD, PENALTY, INCENTIVE, OUTCOME, MILESTONE, GRACE, IMPROVEMENT = (
    "withhold", "penalty", "incentive", "outcome", "milestone", "grace", "improvement",
)
RULE_KINDS = {
    WITHHOLD: _l("Withhold and release"),
    PENALTY: _l("Penalty"),
    INCENTIVE: _l("Incentive"),
    OUTCOME: _l("Outcome payment (pay for success)"),
    MILESTONE: _l("Milestone payment"),
    GRACE: _l("Grace periods"),
    IMPROVEMENT: _l("Improvement credit"),
}
# Kinds that name metrics (withhold: one or more; the others exactly one).
METRIC_KINDS = (WITHHOLD, PENALTY, INCENTIVE, OUTCOME)

# How a metric reported more often than the vendor is billed counts for a billing period:
# a count adds up over the months of a quarter, a rate or a median is averaged, a stock (a
# share still housed, a backlog) is its last reading. The target is formed the same way.
AGGREGATIONS = {
    "sum": _l("Sum of the period's readings"),
    "average": _l("Average of the period's readings"),
    "last": _l("The period's last reading"),
}

DRAFT, APPROVED = "draft", "approved"
STATEMENT_STATUSES = {DRAFT: _l("Draft"), APPROVED: _l("Approved")}

LINE_KINDS = {
    "scheduled": _l("Scheduled payment"),
    "withheld": _l("Withholding"),
    "penalty": _l("Penalty"),
    "incentive": _l("Incentive"),
    "outcome": _l("Outcome payment"),
    "milestone": _l("Milestone payment"),
}


class PaymentTerms(db.Model):
    """How a contract is billed: the billing period and the scheduled amount per period."""

    __tablename__ = "payment_terms"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, unique=True)
    billing_period = db.Column(db.String(16), nullable=False)
    amount_per_period = db.Column(MONEY, nullable=False)
    # Why the terms were last changed (required once the contract is active).
    reason = db.Column(db.Text, nullable=False, default="")
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (db.CheckConstraint("amount_per_period >= 0", name="amount_not_negative"),)

    contract = db.relationship("Contract")
    updated_by = db.relationship("User")

    @property
    def currency(self):
        return self.contract.currency

    @property
    def billing_label(self):
        return BILLING_PERIODS.get(self.billing_period, self.billing_period)


class PaymentRule(db.Model):
    """One adjustment of the scheduled payment. Which columns apply depends on ``kind``
    (``payments.services.rule_problems`` checks them); tiers are a JSON list of
    {"threshold", "amount"} or {"threshold", "percent"} as text decimals."""

    __tablename__ = "payment_rules"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)
    percent = db.Column(PCT)  # withhold: W% of the scheduled payment
    at_risk_release_pct = db.Column(PCT)  # withhold: share of a metric's share released when at risk
    missing_releases = db.Column(db.Boolean, nullable=False, default=False)  # withhold
    missing_penalised = db.Column(db.Boolean, nullable=False, default=False)  # penalty
    release_pct = db.Column(PCT)  # improvement credit
    min_points = db.Column(PCT)  # improvement credit
    tiers = db.Column(db.JSON)  # penalty, incentive
    cap_per_period = db.Column(MONEY)  # penalty
    cap_per_contract = db.Column(MONEY)  # penalty, incentive
    price_per_unit = db.Column(MONEY)  # outcome
    floor = db.Column(VALUE)  # outcome
    minimum = db.Column(VALUE)  # outcome
    cap_total = db.Column(MONEY)  # outcome
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    amount = db.Column(MONEY)  # milestone payment
    partial_share_pct = db.Column(PCT)  # milestone payment
    grace_periods = db.Column(db.Integer)  # grace
    effective_from = db.Column(db.Date)  # None: from the start of the contract
    effective_to = db.Column(db.Date)  # the last day it applies; None: open
    # Who set the rule, and why (a change on an active contract must give a reason).
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    reason = db.Column(db.Text, nullable=False, default="")
    replaces_id = db.Column(db.Integer, db.ForeignKey("payment_rules.id"), index=True)
    # Ended (on an active contract rules are ended, not deleted): by whom and why.
    ended_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    end_reason = db.Column(db.Text, nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        db.CheckConstraint("effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from",
                           name="effective_order"),
        db.CheckConstraint("grace_periods IS NULL OR grace_periods >= 0", name="grace_not_negative"),
    )

    contract = db.relationship("Contract")
    milestone = db.relationship("Milestone")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    ended_by = db.relationship("User", foreign_keys=[ended_by_id])
    replaces = db.relationship("PaymentRule", remote_side=[id])
    metrics = db.relationship(
        "PaymentRuleMetric", back_populates="rule", order_by="PaymentRuleMetric.position",
        cascade="all, delete-orphan",
    )

    @property
    def key(self):
        """The key statements' lines and caps refer to; a replacement keeps its first rule's
        key (see services), so a contract cap counts across a change of tiers."""
        return f"rule-{self.id}"

    @property
    def kind_label(self):
        return RULE_KINDS.get(self.kind, self.kind)


class PaymentRuleMetric(db.Model):
    """A metric a rule is tied to: its weight in a withholding (None: equal shares) and how its
    readings count for a billing period."""

    __tablename__ = "payment_rule_metrics"

    id = db.Column(db.Integer, primary_key=True)
    rule_id = db.Column(db.Integer, db.ForeignKey("payment_rules.id", ondelete="CASCADE"), nullable=False, index=True)
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), nullable=False, index=True)
    weight = db.Column(PCT)
    aggregation = db.Column(db.String(8), nullable=False, default="sum")
    position = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (
        db.UniqueConstraint("rule_id", "metric_id", name="uq_payment_rule_metrics"),
        db.CheckConstraint("weight IS NULL OR (weight > 0 AND weight <= 100)", name="weight_range"),
    )

    rule = db.relationship("PaymentRule", back_populates="metrics")
    metric = db.relationship("Metric")

    @property
    def aggregation_label(self):
        return AGGREGATIONS.get(self.aggregation, self.aggregation)


class PaymentStatement(db.Model):
    """A billing period's statement: drafted once by the sweep (the unique key), recomputed
    while a draft, approved by a procurement officer, revised (revision + 1) after approval."""

    __tablename__ = "payment_statements"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    period_number = db.Column(db.Integer, nullable=False)
    period_label = db.Column(db.String(80), nullable=False)
    # "HS-2025-014-03": the contract's reference and the billing period's number.
    number = db.Column(db.String(80), nullable=False)
    revision = db.Column(db.Integer, nullable=False, default=1)
    status = db.Column(db.String(16), nullable=False, default=DRAFT, index=True)
    currency = db.Column(db.String(3), nullable=False)
    total = db.Column(MONEY, nullable=False)
    # What was computed from: per metric the billing period's value, target and the reporting
    # periods behind it, and which were missing; shown on the page and kept for the record.
    inputs = db.Column(db.JSON)
    missing = db.Column(db.JSON)  # [{"metric_id", "name", "periods": [labels]}]
    computed_at = db.Column(UTCDateTime, nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))  # None: drafted by the sweep
    approved_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    approved_at = db.Column(UTCDateTime)
    revision_reason = db.Column(db.Text, nullable=False, default="")
    superseded_by_id = db.Column(db.Integer, db.ForeignKey("payment_statements.id"))
    superseded_at = db.Column(UTCDateTime)
    superseded_reason = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        # "Drafted exactly once": two sweeps at once insert one revision 1 of a period.
        db.UniqueConstraint("contract_id", "period_start", "revision", name="uq_payment_statements_revision"),
        db.CheckConstraint("period_end >= period_start", name="period_order"),
        db.CheckConstraint("revision >= 1", name="revision_positive"),
        db.CheckConstraint("status IN ('draft', 'approved')", name="status_known"),
    )

    contract = db.relationship("Contract")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    approved_by = db.relationship("User", foreign_keys=[approved_by_id])
    superseded_by = db.relationship("PaymentStatement", remote_side=[id], foreign_keys=[superseded_by_id])
    lines = db.relationship(
        "PaymentStatementLine", back_populates="statement", order_by="PaymentStatementLine.position",
        cascade="all, delete-orphan",
    )

    @property
    def status_label(self):
        if self.superseded_by_id is not None:
            return _l("Superseded")
        return STATEMENT_STATUSES.get(self.status, self.status)

    @property
    def is_draft(self):
        return self.status == DRAFT

    @property
    def is_current(self):
        return self.superseded_by_id is None

    @property
    def title(self):
        revision = f" (revision {self.revision})" if self.revision > 1 else ""
        return f"{self.number}{revision}"


class PaymentStatementLine(db.Model):
    """One line of a statement: a signed amount and its reason in words."""

    __tablename__ = "payment_statement_lines"

    id = db.Column(db.Integer, primary_key=True)
    statement_id = db.Column(
        db.Integer, db.ForeignKey("payment_statements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position = db.Column(db.Integer, nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    rule_key = db.Column(db.String(40))
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="SET NULL"))
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id", ondelete="SET NULL"))
    amount = db.Column(MONEY, nullable=False)
    reason = db.Column(db.Text, nullable=False)

    __table_args__ = (db.UniqueConstraint("statement_id", "position", name="uq_payment_statement_lines_position"),)

    statement = db.relationship("PaymentStatement", back_populates="lines")

    @property
    def kind_label(self):
        return LINE_KINDS.get(self.kind, self.kind)
