"""Fixtures for vendor reporting: Harbor Light's contract managed by Ben Okafor, two monthly
metrics the vendor reports, and Dana Cole, a contact of Harbor Light with access to it."""
from datetime import date, datetime, timezone

import pytest

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import REPORTED_BY_VENDOR
from contracts_app.metrics.status import today_for
from contracts_app.vendors.models import VendorAccess
from tests.conftest import Auth
from tests.notifications.conftest import mail_config, queue, smtp  # noqa: F401  (the real SMTP server)

# 10 November 2026, afternoon in the city: October's values are due today.
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)
OCTOBER = date(2026, 10, 1)


@pytest.fixture
def ben(factory):
    return factory.make_user("contract_manager", name="Ben Okafor", email="ben.okafor@city.test")


@pytest.fixture
def harbor(factory):
    return factory.make_vendor(name="Harbor Light")


@pytest.fixture
def contract(factory, ben, harbor):
    # A term running well past today, so route tests (which read the clock) see it active.
    return factory.make_contract(
        reference="HS-2025-014", title="Street outreach", vendor=harbor, contract_manager_id=ben.id,
        start_date=date(2025, 7, 1), end_date=date(2030, 6, 30),
    )


@pytest.fixture
def placements(factory, contract):
    return factory.make_metric(contract, name="Placements into housing", reported_by=REPORTED_BY_VENDOR,
                               baseline_value=18, target_value=30)


@pytest.fixture
def median_days(factory, contract):
    return factory.make_metric(contract, name="Median days to placement", unit="days", direction="decrease",
                               baseline_value=90, target_value=45, reported_by=REPORTED_BY_VENDOR)


@pytest.fixture
def manager_metric(factory, contract):
    """Reported by the contract manager: never shown to the vendor."""
    return factory.make_metric(contract, name="Outreach contacts made")


@pytest.fixture
def dana(factory, harbor, contract):
    user = factory.make_user("vendor", name="Dana Cole", email="dana@harborlight.test", vendor_id=harbor.id)
    db.session.add(VendorAccess(contract_id=contract.id, user_id=user.id, granted_by_id=contract.contract_manager_id))
    db.session.commit()
    return user


@pytest.fixture
def as_user(app):
    """as_user(user) -> a fresh client signed in as ``user``."""

    def make(user):
        client = app.test_client()
        response = Auth(client).login(user)
        assert response.status_code == 302, "sign-in failed in a fixture"
        return client

    return make


def ended_period(metric, back=1):
    """The period that ended ``back`` periods before the one in progress today (real clock)."""
    today = today_for(utcnow())
    contract = metric.contract
    ended = [p for p in rules.periods(contract.start_date, contract.end_date, metric.cadence) if p.end < today]
    return ended[-back]
