from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db


class AuditEvent(db.Model):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_events"

    id = db.Column(db.Integer, primary_key=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    action = db.Column(db.String(32), nullable=False)  # create, update, archive, restore, ...
    entity_type = db.Column(db.String(40), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    # The contract an event belongs to, so a contract page shows its whole history.
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="SET NULL"), index=True)
    summary = db.Column(db.String(255), nullable=False, default="")
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    __table_args__ = (db.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    actor = db.relationship("User")

    def changes(self):
        """(field, before, after) for every field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
