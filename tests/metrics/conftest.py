"""Fixtures for the metric, target and reading tests."""
from decimal import Decimal

import pytest

from tests.metrics.helpers import recent_term


@pytest.fixture
def term(app):
    return recent_term()


@pytest.fixture
def contract(factory, users, term):
    """An active contract managed by the role fixture's contract manager."""
    start, end = term
    return factory.make_contract(start_date=start, end_date=end, contract_manager_id=users["contract_manager"].id)


@pytest.fixture
def metric(factory, contract):
    return factory.make_metric(contract, name="Placements into housing", baseline_value=Decimal(18), target_value=Decimal(30))
