"""Fixtures for the disaggregation tests: a contract, a count metric by council district."""
from decimal import Decimal

import pytest

from contracts_app.dimensions import services as dimensions
from tests.metrics.helpers import recent_term


@pytest.fixture
def contract(factory, users):
    start, end = recent_term()
    return factory.make_contract(start_date=start, end_date=end, contract_manager_id=users["contract_manager"].id)


@pytest.fixture
def districts(app, users):
    return dimensions.create_dimension(users["procurement_officer"], "Council district", "District 1\nDistrict 2\nDistrict 3")


@pytest.fixture
def metric(factory, contract, districts, users):
    metric = factory.make_metric(contract, name="Placements", baseline_value=Decimal(0), target_value=Decimal(30), is_count=True)
    dimensions.set_metric_dimensions(metric, users["procurement_officer"], [districts.id])
    return metric
