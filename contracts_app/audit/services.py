"""The audit log: every create, update and archive records who, when, before and after."""
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import inspect

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.db_utils import DriverStatement
from contracts_app.extensions import db

# Never copied into the log.
_SECRET_FIELDS = {"password_hash"}
_SKIPPED_FIELDS = {"created_at", "updated_at", "health_updated_at", "status_updated_at",
                   # a user's sign-in bookkeeping (auth.services.authenticate), not an admin's change
                   "session_version", "failed_sign_ins", "failure_window_started_at", "locked_until"}


def _jsonable(value):
    if isinstance(value, Decimal):
        # Plain notation without trailing zeros: 1200000.00 -> "1200000", 0.50 -> "0.5".
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


_SNAPSHOT_KEYS = {}  # mapper -> the column attributes a snapshot keeps, in the mapper's order


def _snapshot_keys(mapper):
    keys = _SNAPSHOT_KEYS.get(mapper)
    if keys is None:
        keys = _SNAPSHOT_KEYS[mapper] = [
            column.key for column in mapper.column_attrs if column.key not in _SECRET_FIELDS | _SKIPPED_FIELDS
        ]
    return keys


def snapshot(obj, extra=None):
    """The column values of ``obj`` as a JSON-safe dict (plus ``extra``), for before/after."""
    values = {key: _jsonable(getattr(obj, key)) for key in _snapshot_keys(inspect(obj).mapper)}
    for key, value in (extra or {}).items():
        values[key] = _jsonable(value)
    return values


# Built once (its cache key is memoized); on PostgreSQL run on the driver's cursor.
_INSERT_EVENT = DriverStatement(AuditEvent.__table__.insert())


def event_values(actor, action, obj, before=None, after=None, contract_id=None, summary=""):
    """The columns of the audit event ``record`` writes (created_at as its default gives it),
    for a caller that inserts it in a statement of its own (status.refresh_metric_and_health)."""
    return dict(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=type(obj).__name__.lower(),
        entity_id=obj.id,
        contract_id=contract_id,
        summary=summary[:255],
        before=before,
        after=after,
        created_at=utcnow(),
    )


def record(actor, action, obj, before=None, after=None, contract_id=None, summary="", insert_now=False):
    """Add an audit event to the current transaction (the caller commits).

    ``insert_now``: write the event at once in one plain INSERT (the same columns; created_at
    as its default gives it) instead of adding an object for the commit's flush, and return
    None; for a command that writes everything else in plain statements too."""
    if inspect(obj).key is None:
        db.session.flush()  # a new obj: give it its id (the rest is flushed at the commit)
    values = event_values(actor, action, obj, before, after, contract_id, summary)
    if insert_now:
        _INSERT_EVENT.execute(values)
        return None
    del values["created_at"]
    event = AuditEvent(**values)
    db.session.add(event)
    return event


def snapshot_values(model, values):
    """What ``snapshot`` gives for a row of ``model`` that is not loaded as an object: the
    columns of ``values`` (a dict by column key) that ``snapshot`` keeps, JSON-safe."""
    keep = set(_snapshot_keys(inspect(model)))
    return {key: _jsonable(value) for key, value in values.items() if key in keep}


def record_many(actor, events, now):
    """Add many audit events to the current transaction in one executemany (bulk writes).

    ``events`` are dicts with action, entity_type, entity_id, contract_id, summary, before and
    after, as ``record`` would store them. The caller commits."""
    if not events:
        return
    actor_id = actor.id if actor is not None else None
    db.session.execute(
        AuditEvent.__table__.insert(),
        [
            {
                "actor_id": actor_id, "action": event["action"], "entity_type": event["entity_type"],
                "entity_id": event["entity_id"], "contract_id": event.get("contract_id"),
                "summary": (event.get("summary") or "")[:255], "before": event.get("before"),
                "after": event.get("after"), "created_at": now,
            }
            for event in events
        ],
    )
