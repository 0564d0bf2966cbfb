from sqlalchemy import func, select

from contracts_app.contracts.models import Contract
from contracts_app.metrics.models import Metric, Reading


def test_it_builds_a_city_that_grows(build_city, db):
    city = build_city(10)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 10
    build_city(15)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 25
    assert db.session.scalar(select(func.count()).select_from(Metric)) == 75
    assert db.session.scalar(select(func.count()).select_from(Reading)) == 25 * (14 + 2 + 2)
    assert len(city.contracts) == 25
