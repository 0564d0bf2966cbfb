"""Fixtures for the renewal and option decision tests."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts_app.decisions.models import ContractOption
from contracts_app.extensions import db as _db

CHICAGO = timezone(timedelta(hours=-6))
# 3 March 2027, noon in Chicago: the contract below ends 120 days later, on 1 July 2027.
NOW = datetime(2027, 3, 3, 12, tzinfo=CHICAGO)
TODAY = date(2027, 3, 3)
END = TODAY + timedelta(days=120)


def count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def ending(factory, users):
    """An active contract ending 120 days after TODAY, with a procurement officer and a manager."""
    return factory.make_contract(
        reference="WD-2025-120", title="Job training", start_date=date(2025, 7, 1), end_date=END,
        procurement_officer_id=users["procurement_officer"].id, contract_manager_id=users["contract_manager"].id,
    )


@pytest.fixture
def make_option():
    def make(contract, option_date, description="One 12-month renewal", months=12):
        option = ContractOption(contract_id=contract.id, option_date=option_date, description=description,
                                extension_months=months)
        _db.session.add(option)
        _db.session.commit()
        return option

    return make
