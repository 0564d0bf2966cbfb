"""Fixtures and helpers for the active-management tests (flags, check-ins, action items).

Flags are made directly as Flag rows: opening them is the sweep's job, tested elsewhere.
"""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts_app.extensions import db as _db
from contracts_app.management.models import FLAG_SEVERITY, ActionItem, CheckIn, Flag
from tests.metrics.helpers import recent_term

# A fixed instant for service tests: 20 Jan 2026, 15:00 UTC (09:00 in Chicago).
NOW = datetime(2026, 1, 20, 15, 0, tzinfo=timezone.utc)


def count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def make_flag(contract, metric=None, milestone=None, kind="off_track", period_start=date(2025, 8, 1),
              opened_at=None, resolved_at=None, **kw):
    if metric is not None:
        subject = dict(subject_type="metric", subject_id=metric.id, metric_id=metric.id)
    elif milestone is not None:
        subject = dict(subject_type="milestone", subject_id=milestone.id, milestone_id=milestone.id)
    else:
        subject = dict(subject_type="contract", subject_id=contract.id)
    flag = Flag(
        contract_id=contract.id, period_start=period_start, kind=kind, severity=kw.pop("severity", FLAG_SEVERITY[kind]),
        opened_at=opened_at or NOW - timedelta(days=3), resolved_at=resolved_at, **subject, **kw,
    )
    _db.session.add(flag)
    _db.session.commit()
    return flag


def make_checkin(contract, status="scheduled", scheduled_for=date(2026, 1, 27), held_on=None, **kw):
    pending = contract.id if status in ("proposed", "scheduled") else None
    if status == "held" and held_on is None:
        held_on = scheduled_for
    checkin = CheckIn(
        contract_id=contract.id, status=status, pending_contract_id=pending, scheduled_for=scheduled_for,
        held_on=held_on, **kw,
    )
    _db.session.add(checkin)
    _db.session.commit()
    return checkin


def make_action_item(checkin, description="Hire a second intake worker", owner="Harbor Light", due_date=date(2026, 2, 1), **kw):
    item = ActionItem(
        checkin_id=checkin.id, contract_id=checkin.contract_id, description=description, owner=owner,
        due_date=due_date, **kw,
    )
    _db.session.add(item)
    _db.session.commit()
    return item


@pytest.fixture
def manager(users):
    return users["contract_manager"]


@pytest.fixture
def contract(factory, manager):
    """The Monday story's contract (1 Jul 2025 – 30 Jun 2027), managed by the role fixture's manager."""
    return factory.make_contract(reference="HS-2025-014", title="Street outreach", contract_manager_id=manager.id)


@pytest.fixture
def recent_contract(factory, manager):
    """A contract begun a year before the real today, for route tests that run at the real time."""
    start, end = recent_term()
    return factory.make_contract(start_date=start, end_date=end, contract_manager_id=manager.id)


@pytest.fixture
def cm(client_as):
    return client_as("contract_manager")


@pytest.fixture
def po(client_as):
    return client_as("procurement_officer")
