"""Fixtures for the milestone tests."""
import pytest

from tests.metrics.helpers import recent_term


@pytest.fixture
def contract(factory, users, app):
    """An active contract managed by the role fixture's contract manager, begun a year ago."""
    start, end = recent_term()
    return factory.make_contract(start_date=start, end_date=end, contract_manager_id=users["contract_manager"].id)
