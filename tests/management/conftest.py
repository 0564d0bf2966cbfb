"""Fixtures and helpers for the active-management tests (flags, check-ins, action items).

The flag, check-in and action-item factories are in tests/factories.py.
"""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from contracts_app.extensions import db as _db
from tests.metrics.helpers import recent_term

# A fixed instant for service tests: 20 Jan 2026, 15:00 UTC (09:00 in Chicago). The factories'
# make_flag opens flags three days before it by default (tests.factories.FLAG_OPENED_AT).
NOW = datetime(2026, 1, 20, 15, 0, tzinfo=timezone.utc)


def count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


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
