from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

# What an amendment changes. ``payment_rules`` is recorded by the payment-rules service.
VALUE = "value"
TERM = "term"
SCOPE = "scope"
PAYMENT_RULES = "payment_rules"
KINDS = {VALUE: "Value", TERM: "Term", SCOPE: "Scope", PAYMENT_RULES: "Payment rules"}


class Amendment(db.Model):
    """A change of value, term, scope or payment rules after the contract became active: its
    date, the reason, who approved it, and the values before and after (JSON, by field)."""

    __tablename__ = "amendments"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), nullable=False, index=True)
    amended_on = db.Column(db.Date, nullable=False)
    # Comma-separated KINDS keys, in KINDS order ("value,term").
    kinds = db.Column(db.String(64), nullable=False)
    before = db.Column(db.JSON, nullable=False)
    after = db.Column(db.JSON, nullable=False)
    rationale = db.Column(db.Text, nullable=False)
    approver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    contract = db.relationship("Contract")
    approver = db.relationship("User", foreign_keys=[approver_id])
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])

    @property
    def kind_list(self):
        return [kind for kind in self.kinds.split(",") if kind]

    @property
    def kind_labels(self):
        return [KINDS.get(kind, kind) for kind in self.kind_list]

    def __repr__(self):
        return f"<Amendment {self.contract_id} {self.kinds} {self.amended_on}>"
