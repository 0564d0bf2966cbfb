from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db


class Payment(db.Model):
    """Money paid to the vendor against a contract's value ceiling, in the contract's currency.

    A wrong payment is corrected (audited, before and after) or voided with a reason; it is
    never deleted, and a voided one no longer counts toward the spend. The invoice reference is
    unique per contract, voided payments included: a voided invoice is corrected, not re-entered.
    """

    __tablename__ = "payments"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), nullable=False, index=True)
    paid_on = db.Column(db.Date, nullable=False)
    amount = db.Column(db.Numeric(14, 2), nullable=False)
    # The billing period the payment is for (both or neither).
    period_start = db.Column(db.Date)
    period_end = db.Column(db.Date)
    invoice_reference = db.Column(db.String(64), nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    voided_at = db.Column(UTCDateTime)
    voided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    void_reason = db.Column(db.Text)

    __table_args__ = (
        db.UniqueConstraint("contract_id", "invoice_reference", name="uq_payments_invoice"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("(period_start IS NULL) = (period_end IS NULL)", name="period_complete"),
        db.CheckConstraint("period_end IS NULL OR period_end >= period_start", name="period_order"),
        # The spend roll-up: sums per contract over the payments that count, from the index.
        db.Index("ix_payments_spend", "contract_id", "voided_at", "paid_on", "amount"),
    )

    contract = db.relationship("Contract")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])
    voided_by = db.relationship("User", foreign_keys=[voided_by_id])

    @property
    def is_voided(self):
        return self.voided_at is not None

    def __repr__(self):
        return f"<Payment {self.invoice_reference} {self.amount}>"
