"""The per-priority monthly health counts (priority_month_health) stay equal to the snapshots
added up, whichever way the snapshots, the priority links or archiving change."""
from datetime import date

import pytest
from sqlalchemy import delete, insert, text, update

from contracts_app.contracts import services as contract_services
from contracts_app.extensions import db
from contracts_app.portfolio import priority_months
from contracts_app.portfolio.models import HealthSnapshot
from contracts_app.portfolio.snapshots import record_current_month
from contracts_app.priorities.models import contract_priorities
from tests.demo.conftest import NOW


def kept():
    return {
        (p, m if isinstance(m, date) else date.fromisoformat(str(m)), h): n
        for p, m, h, n in db.session.execute(text(f"SELECT * FROM {priority_months.TABLE} WHERE contracts <> 0"))
    }


def counted():
    return {
        (p, m if isinstance(m, date) else date.fromisoformat(str(m)), h): n
        for p, m, h, n in db.session.execute(text(priority_months.COUNT_QUERY))
    }


def snapshot(contract, month, health):
    db.session.add(HealthSnapshot(contract_id=contract.id, month=month, health=health))
    db.session.commit()


@pytest.fixture
def city(factory):
    housing, streets = factory.make_priority(name="Housing"), factory.make_priority(name="Streets")
    a = factory.make_contract(priorities=[housing])
    b = factory.make_contract(priorities=[housing, streets])
    for month, (ha, hb) in {date(2026, 1, 1): ("on_track", "at_risk"), date(2026, 2, 1): ("on_track", "on_track")}.items():
        snapshot(a, month, ha)
        snapshot(b, month, hb)
    return housing, streets, a, b


def test_snapshots_are_counted_per_priority_month_and_health(city):
    housing, streets, _a, _b = city
    assert kept() == counted() == {
        (housing.id, date(2026, 1, 1), "on_track"): 1, (housing.id, date(2026, 1, 1), "at_risk"): 1,
        (housing.id, date(2026, 2, 1), "on_track"): 2,
        (streets.id, date(2026, 1, 1), "at_risk"): 1, (streets.id, date(2026, 2, 1), "on_track"): 1,
    }


def test_a_changed_moved_or_deleted_snapshot_moves_its_count(city):
    _housing, _streets, a, b = city
    db.session.execute(update(HealthSnapshot).where(HealthSnapshot.contract_id == b.id, HealthSnapshot.month == date(2026, 2, 1))
                       .values(health="off_track"))
    db.session.execute(update(HealthSnapshot).where(HealthSnapshot.contract_id == a.id, HealthSnapshot.month == date(2026, 1, 1))
                       .values(month=date(2025, 12, 1)))
    db.session.execute(delete(HealthSnapshot).where(HealthSnapshot.contract_id == a.id, HealthSnapshot.month == date(2026, 2, 1)))
    db.session.commit()
    assert kept() == counted()
    assert len(kept()) == 5


def test_the_sweeps_upsert_and_a_bulk_insert_are_counted(city, factory):
    housing, _streets, a, b = city
    c = factory.make_contract(priorities=[housing], health="off_track")
    record_current_month(NOW)  # every active contract's current month: inserts, and updates
    db.session.commit()
    assert kept() == counted()
    db.session.execute(update(type(a)).where(type(a).id == a.id).values(health="overdue"))
    record_current_month(NOW)
    db.session.execute(insert(HealthSnapshot), [
        {"contract_id": c.id, "month": date(2025, m, 1), "health": "at_risk", "recorded_at": NOW} for m in range(1, 7)
    ])
    db.session.commit()
    assert kept() == counted()
    assert kept()[(housing.id, date(2025, 3, 1), "at_risk")] == 1


def test_linking_unlinking_archiving_and_restoring_move_the_counts(city, users):
    housing, streets, a, b = city
    officer = users["procurement_officer"]
    data = {field: getattr(b, field) for field in contract_services.EDITABLE_FIELDS}
    data.update(vendor_id=b.vendor_id, priority_ids=[streets.id])
    contract_services.update_contract(b, data, officer)  # b leaves housing
    assert kept() == counted()
    assert (housing.id, date(2026, 1, 1), "at_risk") not in kept()

    contract_services.archive_contract(a, officer, "Duplicate entry")
    assert kept() == counted()
    assert not [key for key in kept() if key[0] == housing.id]
    contract_services.restore_contract(a, officer)
    assert kept() == counted()
    assert kept()[(housing.id, date(2026, 2, 1), "on_track")] == 1

    db.session.execute(insert(contract_priorities).values(contract_id=a.id, priority_id=streets.id))
    db.session.commit()
    assert kept() == counted()
    assert kept()[(streets.id, date(2026, 2, 1), "on_track")] == 2


def test_the_recount_repairs_the_counts(city):
    db.session.execute(text(f"UPDATE {priority_months.TABLE} SET contracts = 99"))
    for statement in priority_months.recount_statements():
        db.session.execute(statement)
    db.session.commit()
    assert kept() == counted()
