"""Reading the audit log: the filtered browser query and a contract's history."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import User
from contracts_app.extensions import db

# The actor filter's value for events with no user (the CLI, the scheduler, the demo loader).
SYSTEM_ACTOR = "system"


def newest_first(stmt):
    # id breaks ties: events written in one transaction share a timestamp.
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def contract_history_select(contract_id):
    """The select of one contract's audit events (its own and its metrics', readings', ...),
    newest first, with their actors loaded: for a page of them (db.paginate)."""
    return newest_first(
        select(AuditEvent).where(AuditEvent.contract_id == contract_id).options(joinedload(AuditEvent.actor))
    )


def contract_history(contract_id, limit=None):
    """The audit events of one contract, newest first, with their actors loaded, ready for
    ``{{ history(events) }}`` from templates/audit/_macros.html."""
    stmt = contract_history_select(contract_id)
    if limit:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt).all()


def city_day_bounds(day, tz_name):
    """The UTC instants at which ``day`` starts and the next day starts, in the city's zone.

    Why not midnight UTC: an event at 8 pm in Chicago is stored on the next UTC day, and the
    people filtering the log think in their own calendar.
    """
    tz = ZoneInfo(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def filtered_events(entity_type=None, actor=None, action=None, date_from=None, date_to=None, tz_name="UTC"):
    """A select of audit events, newest first, actors joined-loaded, narrowed by the filters given.

    ``actor`` is a user id, or SYSTEM_ACTOR for events without a user; dates are inclusive
    calendar days in ``tz_name``.
    """
    stmt = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if actor == SYSTEM_ACTOR:
        stmt = stmt.where(AuditEvent.actor_id.is_(None))
    elif actor:
        stmt = stmt.where(AuditEvent.actor_id == int(actor))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if date_from:
        stmt = stmt.where(AuditEvent.created_at >= city_day_bounds(date_from, tz_name)[0])
    if date_to:
        stmt = stmt.where(AuditEvent.created_at < city_day_bounds(date_to, tz_name)[1])
    return newest_first(stmt)


def filter_choices():
    """(entity types, actions, users) present in the log, for the filter selects."""
    types = db.session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    # Every user, active or not: a deactivated user's past changes must stay findable.
    users = db.session.scalars(select(User).order_by(User.name, User.email)).all()
    return types, actions, users
