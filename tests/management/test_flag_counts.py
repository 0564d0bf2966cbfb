"""Each contract's open-flag counters follow every write to the flags table (database triggers)."""
from datetime import date, timedelta

from sqlalchemy import func, select, update

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.management import flag_counts
from contracts_app.management.models import Flag
from contracts_app.management.services import resolve_flag
from contracts_app.management.sweep import sweep
from tests.factories import make_flag
from tests.management.conftest import NOW

COUNTERS = ("open_flags_high", "open_flags_medium", "open_flags_low", "open_flags_lapse")


def counters(contract):
    row = db.session.execute(select(*(getattr(Contract, name) for name in COUNTERS)).where(Contract.id == contract.id)).one()
    return tuple(row)


def recounted():
    """{contract_id: (high, medium, low, lapse)} straight from the flags, for comparison."""
    rows = db.session.execute(
        select(
            Contract.id,
            *(
                select(func.count(Flag.id))
                .where(Flag.contract_id == Contract.id, Flag.resolved_at.is_(None), condition)
                .scalar_subquery()
                for condition in (Flag.severity == "high", Flag.severity == "medium", Flag.severity == "low",
                                  Flag.kind == "no_checkin")
            ),
        )
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def stored():
    rows = db.session.execute(select(Contract.id, *(getattr(Contract, name) for name in COUNTERS))).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_new_contract_has_no_open_flags(factory):
    assert counters(factory.make_contract()) == (0, 0, 0, 0)


def test_opening_flags_counts_them_by_severity_and_lapse(factory):
    contract = factory.make_contract()
    make_flag(contract, kind="off_track")
    make_flag(contract, kind="off_track", period_start=date(2025, 9, 1))
    make_flag(contract, kind="overdue")
    make_flag(contract, kind="no_checkin")
    make_flag(contract, kind="overdue", severity="low", period_start=date(2025, 10, 1))
    assert counters(contract) == (2, 2, 1, 1)


def test_an_already_resolved_flag_is_not_counted(factory):
    contract = factory.make_contract()
    make_flag(contract, resolved_at=NOW)
    assert counters(contract) == (0, 0, 0, 0)


def test_resolving_and_reopening_a_flag_moves_the_count(factory, users):
    contract = factory.make_contract()
    flag = make_flag(contract, kind="no_checkin")
    assert counters(contract) == (0, 1, 0, 1)
    resolve_flag(flag, users["cdo"], "Met the vendor on site", now=NOW)
    assert counters(contract) == (0, 0, 0, 0)
    db.session.execute(update(Flag).where(Flag.id == flag.id).values(resolved_at=None))
    db.session.commit()
    assert counters(contract) == (0, 1, 0, 1)


def test_changing_a_flags_severity_or_contract_moves_the_count(factory):
    first, second = factory.make_contract(), factory.make_contract()
    flag = make_flag(first, kind="overdue")
    db.session.execute(update(Flag).where(Flag.id == flag.id).values(severity="high"))
    db.session.commit()
    assert counters(first) == (1, 0, 0, 0)
    db.session.execute(update(Flag).where(Flag.id == flag.id).values(contract_id=second.id))
    db.session.commit()
    assert (counters(first), counters(second)) == ((0, 0, 0, 0), (1, 0, 0, 0))


def test_an_update_of_other_columns_leaves_the_count_alone(factory):
    contract = factory.make_contract()
    flag = make_flag(contract)
    db.session.execute(update(Flag).where(Flag.id == flag.id).values(escalated_at=NOW, summary="Still off track"))
    db.session.commit()
    assert counters(contract) == (1, 0, 0, 0)


def test_deleting_an_open_flag_uncounts_it(factory):
    contract = factory.make_contract()
    flag = make_flag(contract)
    make_flag(contract, resolved_at=NOW, period_start=date(2025, 9, 1))
    db.session.delete(flag)
    db.session.commit()
    assert counters(contract) == (0, 0, 0, 0)


def test_a_rolled_back_flag_leaves_no_count(factory):
    contract = factory.make_contract()
    db.session.add(Flag(contract_id=contract.id, subject_type="contract", subject_id=contract.id,
                        period_start=date(2025, 8, 1), kind="no_checkin", severity="medium"))
    db.session.flush()
    db.session.rollback()
    assert counters(contract) == (0, 0, 0, 0)


def test_the_sweep_keeps_every_counter_equal_to_a_recount(factory, users):
    """Flags opened by the sweep's INSERT … ON CONFLICT, and resolved by it when the cause clears."""
    contract = factory.make_contract(start_date=date(2025, 1, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract, name="Placements", direction="increase", due_days=10)
    factory.make_reading(metric, date(2025, 7, 1), 1, status="off_track")
    quiet = factory.make_contract(start_date=date(2025, 1, 1), end_date=date(2027, 6, 30))
    sweep(NOW - timedelta(days=100))
    assert stored() == recounted()
    assert counters(contract)[0] >= 1 and counters(contract)[3] == 1 and counters(quiet)[3] == 1
    sweep(NOW)
    assert stored() == recounted()


def test_the_recount_statement_repairs_drifted_counters(factory):
    contract = factory.make_contract()
    make_flag(contract)
    db.session.execute(update(Contract).where(Contract.id == contract.id).values(open_flags_high=7, open_flags_low=3))
    db.session.execute(flag_counts.recount_statement())
    db.session.commit()
    assert counters(contract) == (1, 0, 0, 0)
