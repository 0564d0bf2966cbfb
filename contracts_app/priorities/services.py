"""Priorities: list with contract roll-ups, create, update. Services own the transaction."""
from flask_babel import gettext as _
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import User
from contracts_app.contracts.models import STATUSES as CONTRACT_STATUSES
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.contracts.queries import strategic_conditions
from contracts_app.db_types import max_length
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.priorities.models import MAX_TARGET_YEAR, MIN_TARGET_YEAR, Priority, contract_priorities

DUPLICATE_NAME = "A priority with this name already exists."


class PriorityError(ServiceError):
    """A priority change that cannot be made; ``field`` names the form field at fault."""


class PriorityRow:
    """A priority with the count and total value of its non-archived contracts."""

    def __init__(self, priority, contract_count=0, totals=None):
        self.priority = priority
        self.contract_count = contract_count
        # {currency: Decimal}; contracts in different currencies are not added together.
        self.totals = dict(sorted((totals or {}).items()))


def active_owner_choices():
    """Users who may own a priority: the active ones, by name."""
    return db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name, User.email)).all()


def list_priorities():
    """Every priority (owner loaded) with its strategic contracts' count and total value: the
    active, unarchived ones, which the portfolio's priority cards count too.

    Two queries whatever the number of priorities: the priorities, and one grouped roll-up.
    """
    priorities = db.session.scalars(
        select(Priority).options(joinedload(Priority.owner)).order_by(Priority.name)
    ).all()
    rollup = db.session.execute(
        select(
            contract_priorities.c.priority_id,
            Contract.currency,
            func.count(Contract.id),
            func.sum(Contract.value),
        )
        .join(Contract, Contract.id == contract_priorities.c.contract_id)
        .where(*strategic_conditions())
        .group_by(contract_priorities.c.priority_id, Contract.currency)
    ).all()
    counts = defaultdict(int)
    totals = defaultdict(dict)
    for priority_id, currency, count, total in rollup:
        counts[priority_id] += count
        totals[priority_id][currency] = Decimal(total or 0)
    return [PriorityRow(p, counts[p.id], totals[p.id]) for p in priorities]


def other_contracts_serving(priority):
    """The non-archived contracts serving ``priority`` that are not active (drafts, completed,
    terminated): the priority's figures count active ones only. By reference, as rows of the
    columns the priority page shows (id, reference, title, vendor_name, status_label, value,
    currency): a city's priority has hundreds of them, and loading each as a Contract with its
    Vendor cost more than the rest of the page."""
    return db.session.execute(
        select(
            Contract.id, Contract.reference, Contract.title, Vendor.name.label("vendor_name"),
            case({code: str(label) for code, label in CONTRACT_STATUSES.items()}, value=Contract.status, else_=Contract.status).label("status_label"),
            Contract.value, Contract.currency,
        )
        .join(contract_priorities, contract_priorities.c.contract_id == Contract.id)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .where(contract_priorities.c.priority_id == priority.id, Contract.archived_at.is_(None),
               Contract.status != "active")
        .order_by(Contract.reference)
    ).all()


def _clean(name, outcome, owner_id, target_year, priority=None):
    name = (name or "").strip()
    outcome = (outcome or "").strip()
    if not name:
        raise PriorityError(_('Give the priority a name.'), "name")
    if len(name) > max_length(Priority.name):
        raise PriorityError(_('Use at most %(name)s characters.', name=max_length(Priority.name)), "name")
    if not outcome:
        raise PriorityError(_('Describe the measurable outcome.'), "outcome")
    if target_year is not None and not MIN_TARGET_YEAR <= target_year <= MAX_TARGET_YEAR:
        raise PriorityError(_('Enter a year between %(MIN_TARGET_YEAR)s and %(MAX_TARGET_YEAR)s.', MIN_TARGET_YEAR=MIN_TARGET_YEAR, MAX_TARGET_YEAR=MAX_TARGET_YEAR), "target_year")
    owner_id = owner_id or None  # 0 / "" mean "no owner"
    if owner_id is not None:
        owner = db.session.get(User, owner_id)
        # An owner who has since been deactivated may stay, but nobody inactive can be newly picked.
        keeping = priority is not None and priority.owner_id == owner_id
        if owner is None or not (owner.active or keeping):
            raise PriorityError(_('Choose an active user as the owner.'), "owner_id")
    taken = select(Priority.id).where(func.lower(Priority.name) == name.lower())
    if priority is not None:
        taken = taken.where(Priority.id != priority.id)
    if db.session.scalar(taken) is not None:
        raise PriorityError(DUPLICATE_NAME, "name")
    return name, outcome, owner_id, target_year


def _snapshot(priority):
    """The priority's columns plus its owner's name, so the log reads "owner: Ana Ruiz", not "4"."""
    owner = db.session.get(User, priority.owner_id) if priority.owner_id else None
    return snapshot(priority, {"owner": owner.name if owner else None})


@contextmanager
def _saving():
    """Commit what the block adds; a unique-name clash found by the database is a PriorityError."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        # Two people saving the same name at once: the unique constraint decides.
        db.session.rollback()
        raise PriorityError(DUPLICATE_NAME, "name") from None


@command
def create_priority(actor, name, outcome, owner_id=None, target_year=None):
    """Create a priority and audit it; raises PriorityError (nothing written) on bad input."""
    name, outcome, owner_id, target_year = _clean(name, outcome, owner_id, target_year)
    priority = Priority(name=name, outcome=outcome, owner_id=owner_id, target_year=target_year)
    with _saving():
        db.session.add(priority)
        db.session.flush()  # the snapshot should carry the new id
        record(actor, "create", priority, after=_snapshot(priority), summary=f"Created priority {name}")
    return priority


@command
def update_priority(priority, actor, name, outcome, owner_id=None, target_year=None):
    """Change a priority and audit the before/after; returns False when nothing changed."""
    name, outcome, owner_id, target_year = _clean(name, outcome, owner_id, target_year, priority)
    before = _snapshot(priority)
    priority.name, priority.outcome, priority.owner_id, priority.target_year = name, outcome, owner_id, target_year
    after = _snapshot(priority)
    if after == before:
        return False
    with _saving():
        record(actor, "update", priority, before=before, after=after, summary=f"Updated priority {name}")
    return True
