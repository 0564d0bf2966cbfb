"""A contract manager's contract with two monthly metrics, and a moment well inside its term."""
from datetime import date, datetime, timezone

import pytest

# 15 Feb 2026: Jul 2025 to Jan 2026 have ended (seven periods per metric), Feb 2026 is in progress.
NOW = datetime(2026, 2, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def city(app, factory, users):
    manager = users["contract_manager"]
    contract = factory.make_contract(reference="HS-001", title="Rapid rehousing", department="Human Services",
                                     contract_manager_id=manager.id)
    placed = factory.make_metric(contract, name="Families placed", unit="families", position=0)
    days = factory.make_metric(contract, name="Days to placement", unit="days", direction="decrease",
                               baseline_value=60, target_value=30, position=1)
    other = factory.make_contract(reference="PW-001", title="Street repair", department="Public Works",
                                  contract_manager_id=factory.make_user("contract_manager").id)
    others = factory.make_metric(other, name="Potholes filled", unit="potholes")
    return {"contract": contract, "placed": placed, "days": days, "other": other, "others": others,
            "manager": manager}


def row(metric, start, value, note="", version=None):
    data = {"metric_id": metric.id, "period_start": start.isoformat() if isinstance(start, date) else start,
            "value": value, "note": note}
    if version is not None:
        data["version"] = version
    return data
