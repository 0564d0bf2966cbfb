"""The sweep at scale: a bounded number of statements whatever the city's size, and the
shortcuts it takes to get there (periods found by position, readings judged from the two
latest) agreeing with the status rules."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.extensions import db as _db
from contracts_app.management.models import Flag
from contracts_app.management.sweep import Candidate, _existing_flag_keys, sweep
from contracts_app.metrics import rules
from contracts_app.metrics.status import PeriodIndex, refresh_all_statuses, status_from_latest_due
from tests.querycount import count_queries

CHICAGO = timezone(timedelta(hours=-5))
NOW = datetime(2025, 10, 14, 12, tzinfo=CHICAGO)


def _city(factory, manager, vendor, n):
    """n contracts, each with five flags to open: a metric off track in August with no
    September reading (off track, overdue), one at risk in August and September, a missed
    milestone, and no check-in since the start."""
    for _ in range(n):
        contract = factory.make_contract(vendor=vendor, start_date=date(2025, 6, 1), end_date=date(2027, 5, 31),
                                         contract_manager_id=manager.id)
        lagging = factory.make_metric(contract, direction="decrease",
                                      baseline_value=Decimal(64), target_value=Decimal(40))
        factory.make_reading(lagging, date(2025, 8, 1), 90, status="off_track")
        wobbly = factory.make_metric(contract)
        factory.make_reading(wobbly, date(2025, 8, 1), 17, status="at_risk")
        factory.make_reading(wobbly, date(2025, 9, 1), 17, status="at_risk")
        factory.make_milestone(contract, due_date=date(2025, 9, 1))


def _two_sweeps():
    with count_queries() as first_run:
        first = sweep(NOW)
    with count_queries() as second_run:
        second = sweep(NOW)
    return first, first_run.count, second, second_run.count


def test_its_statement_count_does_not_grow_with_the_number_of_contracts(factory, users):
    manager, vendor = users["contract_manager"], factory.make_vendor()
    _city(factory, manager, vendor, 5)
    first_small, first_small_count, second_small, steady_small = _two_sweeps()
    _city(factory, manager, vendor, 20)  # 25 in all, 20 of them new to the sweep
    first_large, first_large_count, second_large, steady_large = _two_sweeps()

    # Five flags per contract: off track, overdue, at risk twice, milestone missed, no check-in.
    assert first_small.flags_opened == 5 * 5 and first_large.flags_opened == 5 * 20
    assert first_large.checkins_proposed == 20 and first_large.escalations == 20
    assert second_small.flags_opened == second_large.flags_opened == 0
    assert second_large.notifications_queued == 0
    # The steady state (the hourly run) and the claiming run alike: one set of statements,
    # whether the city has 5 contracts with flags or 25.
    assert steady_large == steady_small
    assert first_large_count == first_small_count
    assert steady_small <= 20


@pytest.mark.parametrize("aug_recorded, overdue", [(False, True), (True, False)])
def test_a_due_period_behind_two_readings_entered_ahead_is_looked_up(factory, users, aug_recorded, overdue):
    """August is past due (31 Aug + 40 days + 3 days' grace = 13 Oct); September and October
    were entered early, so the two latest readings alone cannot tell whether August was."""
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
                                     contract_manager_id=users["contract_manager"].id)
    metric = factory.make_metric(contract, due_days=40)  # September due 10 Nov: not yet
    if aug_recorded:
        factory.make_reading(metric, date(2025, 8, 1), 25)
    factory.make_reading(metric, date(2025, 9, 1), 25)
    factory.make_reading(metric, date(2025, 10, 1), 25)
    sweep(NOW)
    flagged = _db.session.scalars(
        select(Flag.period_start).where(Flag.kind == "overdue", Flag.metric_id == metric.id)
    ).all()
    assert flagged == ([date(2025, 8, 1)] if overdue else [])


def test_the_bulk_refresh_shows_in_objects_already_loaded(factory):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 7, 1), 19, status="on_track")
    assert (metric.status, contract.health) == ("no_data", "no_data")  # loaded, as a caller would have them

    assert refresh_all_statuses(NOW) == {"metrics_changed": 1, "contracts_changed": 1}

    # No commit in between (the demo loader goes on in the same transaction).
    assert (metric.status, metric.status_period_start, metric.status_updated_at) == ("overdue", date(2025, 9, 1), NOW)
    assert (contract.health, contract.health_updated_at) == ("overdue", NOW)
    assert refresh_all_statuses(NOW) == {"metrics_changed": 0, "contracts_changed": 0}


TERMS = [
    (date(2025, 7, 1), date(2027, 6, 30)),
    (date(2024, 1, 31), date(2026, 2, 28)),  # month-end start: February clamps
    (date(2024, 2, 29), date(2029, 3, 1)),  # leap day start, five years
    (date(2025, 3, 15), date(2025, 3, 15)),  # one day
    (date(2025, 3, 15), date(2025, 4, 20)),  # shorter than a quarter
    (date(2023, 12, 31), date(2024, 12, 30)),
    (date(2025, 5, 1), date(2025, 4, 30)),  # end before start: no periods
]


@pytest.mark.parametrize("cadence", ["weekly", "monthly", "quarterly", "annually"])
def test_the_period_index_agrees_with_the_status_rules(cadence):
    for start, end in TERMS:
        expected = rules.periods(start, end, cadence)
        index = PeriodIndex(start, end, cadence)
        assert index.count == len(expected)
        assert [index.period(i) for i in range(index.count)] == list(expected)
        for i, period in enumerate(expected):
            assert index.position(period.start) == i
            assert index.starting(period.start) == period
            assert index.position(period.start + timedelta(days=1)) == (
                i + 1 if i + 1 < len(expected) and expected[i + 1].start == period.start + timedelta(days=1) else None
            )
        assert index.position(start - timedelta(days=7)) is None
        for offset in range(-20, (end - start).days + 80, 9):
            today = start + timedelta(days=offset)
            for due_days, grace in ((0, 0), (10, 3), (45, 3)):
                latest_due = next((p for p in reversed(expected) if rules.is_overdue(p, due_days, today, grace)), None)
                assert index.latest_due(due_days, today, grace) == latest_due
                metric = type("M", (), {"due_days": due_days})
                last = (expected[-1].start, rules.ON_TRACK) if expected else None
                for latest in (None, (start, rules.AT_RISK), last):
                    assert status_from_latest_due(latest_due, latest) == rules.metric_status(
                        metric, expected, latest, today, grace
                    )


def test_the_period_index_refuses_an_unknown_cadence():
    with pytest.raises(ValueError):
        PeriodIndex(date(2025, 1, 1), date(2025, 12, 31), "fortnightly")


def test_only_the_candidates_flags_are_read_to_skip_them(factory):
    """The hourly run looks up the flags of its candidates' kinds and periods, not the city's
    whole flag history (which only grows: resolved flags are kept)."""
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract)
    sweep(datetime(2025, 8, 14, 12, tzinfo=CHICAGO))  # July overdue
    sweep(NOW)  # September overdue too
    assert sorted(_db.session.scalars(select(Flag.period_start).where(Flag.kind == "overdue"))) == [
        date(2025, 7, 1), date(2025, 9, 1),
    ]
    september = Candidate(contract.id, "metric", metric.id, date(2025, 9, 1), "overdue", str, metric_id=metric.id)
    october = Candidate(contract.id, "metric", metric.id, date(2025, 10, 1), "overdue", str, metric_id=metric.id)
    assert _existing_flag_keys([september, october]) == {september.key}
    assert _existing_flag_keys([]) == set()
