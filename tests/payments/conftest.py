"""Fixtures for the payment statement tests: Example A of ../shared/SCENARIOS.md on a contract."""
from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from contracts_app.extensions import db

from contracts_app.payments.services import add_rule, set_terms

# Q4 2026's data is due 10 Jan 2027 (its end + 10 days): on 20 Jan every quarter is due.
NOW = datetime(2027, 1, 20, 15, tzinfo=timezone.utc)
QUARTERS = [date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]
M1_VALUES = [30, 40, 36, 45]
M2_VALUES = [60, 58, 64, None]


@pytest.fixture
def officer(users):
    return users["procurement_officer"]


@pytest.fixture
def example_a(factory, users, officer):
    """Workforce training, $100,000 a quarter, two quarterly payment-linked metrics (targets 40
    and 65), 10% withheld (60/40), the first quarter exempt, half a share for +10 points. Draft
    contract (rules are set before it starts), made active after."""
    contract = factory.make_contract(
        reference="WF-2026-001", title="Workforce training", value=D("400000.00"), start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31), status="draft", procurement_officer_id=officer.id,
        contract_manager_id=users["contract_manager"].id,
    )
    m1 = factory.make_metric(contract, name="Participants placed in jobs", cadence="quarterly", payment_linked=True,
                             baseline_value=None, target_value=D(40), targets={q: 40 for q in QUARTERS})
    m2 = factory.make_metric(contract, name="Still employed after 6 months (percent)", unit="percent",
                             cadence="quarterly", payment_linked=True, baseline_value=None, target_value=D(65),
                             targets={q: 65 for q in QUARTERS})
    for quarter, v1, v2 in zip(QUARTERS, M1_VALUES, M2_VALUES):
        factory.make_reading(m1, quarter, v1)
        if v2 is not None:
            factory.make_reading(m2, quarter, v2)
    set_terms(contract, officer, {"billing_period": "quarterly", "amount_per_period": D("100000.00")}, now=NOW)
    add_rule(contract, officer, "withhold", {"percent": D(10), "metrics": [
        {"metric_id": m1.id, "weight": D(60), "aggregation": "sum"},
        {"metric_id": m2.id, "weight": D(40), "aggregation": "last"},
    ]}, now=NOW)
    add_rule(contract, officer, "grace", {"grace_periods": 1}, now=NOW)
    add_rule(contract, officer, "improvement", {"release_pct": D(50), "min_points": D(10)}, now=NOW)
    contract.status = "active"
    db.session.commit()
    return dict(contract=contract, m1=m1, m2=m2)
