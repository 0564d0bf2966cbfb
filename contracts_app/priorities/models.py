from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

# The years a priority's target may name: outside them it is a typing mistake.
MIN_TARGET_YEAR = 2000
MAX_TARGET_YEAR = 2100

contract_priorities = db.Table(
    "contract_priorities",
    db.Column("contract_id", db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    db.Column("priority_id", db.Integer, db.ForeignKey("priorities.id", ondelete="CASCADE"), primary_key=True),
    # A priority's contracts straight from the index (the primary key leads with contract_id):
    # the priority page's figures read only the ids, so no row of the table is visited.
    db.Index("ix_contract_priorities_priority_contract", "priority_id", "contract_id"),
)


class Priority(db.Model):
    """A citywide strategic priority with a measurable outcome."""

    __tablename__ = "priorities"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    outcome = db.Column(db.Text, nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    target_year = db.Column(db.Integer)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    owner = db.relationship("User")
    contracts = db.relationship("Contract", secondary=contract_priorities, back_populates="priorities")

    def __repr__(self):
        return f"<Priority {self.name}>"
