"""The audit log: every create, update and archive records who, when, before and after."""
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import inspect

from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db

# Never copied into the log.
_SECRET_FIELDS = {"password_hash"}
_SKIPPED_FIELDS = {"created_at", "updated_at", "health_updated_at", "status_updated_at"}


def _jsonable(value):
    if isinstance(value, Decimal):
        # Plain notation without trailing zeros: 1200000.00 -> "1200000", 0.50 -> "0.5".
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


def snapshot(obj, extra=None):
    """The column values of ``obj`` as a JSON-safe dict (plus ``extra``), for before/after."""
    values = {}
    for column in inspect(obj).mapper.column_attrs:
        key = column.key
        if key in _SECRET_FIELDS or key in _SKIPPED_FIELDS:
            continue
        values[key] = _jsonable(getattr(obj, key))
    for key, value in (extra or {}).items():
        values[key] = _jsonable(value)
    return values


def record(actor, action, obj, before=None, after=None, contract_id=None, summary=""):
    """Add an audit event to the current transaction (the caller commits)."""
    if inspect(obj).key is None:
        db.session.flush()  # a new obj: give it its id (the rest is flushed at the commit)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=type(obj).__name__.lower(),
        entity_id=obj.id,
        contract_id=contract_id,
        summary=summary[:255],
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
