"""Where a reporting period stands for data entry, its label and the default period: pure
functions of the periods, the readings' starts and ``today`` (issue 10, section 2)."""
from datetime import date

import pytest

from contracts_app.metrics import rules

TERM = rules.periods(date(2026, 1, 1), date(2027, 12, 31), "monthly")
SEP, OCT, NOV, DEC = (rules.period_starting(TERM, date(2026, month, 1)) for month in (9, 10, 11, 12))
TODAY = date(2026, 12, 1)
DUE_DAYS, GRACE = 10, 3


def label(period, today=TODAY, cadence="monthly", recorded=False):
    return rules.period_option_label(period, cadence, DUE_DAYS, today, GRACE, recorded)


def test_it_labels_each_period_with_its_state():
    assert label(OCT) == "Oct 2026 — overdue since 14 Nov"
    assert label(NOV) == "Nov 2026 — due 10 Dec"
    assert label(DEC) == "Dec 2026 — in progress"
    assert label(SEP, recorded=True) == "Sep 2026 — already recorded"


def test_it_names_the_year_of_a_date_outside_todays_year():
    oct_2025 = rules.periods(date(2025, 1, 1), date(2025, 12, 31), "monthly")[9]
    assert label(oct_2025) == "Oct 2025 — overdue since 14 Nov 2025"


def test_it_uses_the_cadences_own_period_label():
    quarter = rules.periods(date(2026, 1, 1), date(2027, 12, 31), "quarterly")[2]  # Jul–Sep 2026
    assert label(quarter, cadence="quarterly") == "Q3 2026 — overdue since 14 Oct"
    year = rules.periods(date(2025, 1, 1), date(2027, 12, 31), "annually")[0]
    assert label(year, cadence="annually") == "2025 — overdue since 14 Jan"


@pytest.mark.parametrize(
    "today, state",
    [
        (date(2026, 9, 30), rules.NOT_STARTED),
        (date(2026, 10, 1), rules.IN_PROGRESS),
        (date(2026, 10, 31), rules.IN_PROGRESS),  # the last day is still in progress
        (date(2026, 11, 1), rules.DUE),  # ended: its data is due
        (date(2026, 11, 10), rules.DUE),  # the due date
        (date(2026, 11, 13), rules.DUE),  # the last day of grace
        (date(2026, 11, 14), rules.OVERDUE),  # overdue from the day after due date + grace
    ],
)
def test_it_gives_the_state_of_a_period_on_each_day(today, state):
    assert rules.period_state(OCT, DUE_DAYS, today, GRACE) == state


def test_its_overdue_since_agrees_with_is_overdue():
    since = rules.overdue_since(OCT, DUE_DAYS, GRACE)
    assert since == date(2026, 11, 14)
    assert rules.is_overdue(OCT, DUE_DAYS, since, GRACE)
    assert not rules.is_overdue(OCT, DUE_DAYS, date(2026, 11, 13), GRACE)


def test_it_labels_a_period_that_has_not_started():
    assert label(rules.period_starting(TERM, date(2027, 1, 1))) == "Jan 2027 — starts 1 Jan 2027"


def test_it_defaults_to_the_oldest_ended_period_without_a_reading():
    recorded = {p.start for p in TERM if p.start < OCT.start}
    assert rules.default_reading_period(TERM, recorded, TODAY) == OCT


def test_it_defaults_past_recorded_periods_to_the_next_one_lacking_a_reading():
    recorded = {p.start for p in TERM if p.start <= OCT.start}
    assert rules.default_reading_period(TERM, recorded, TODAY) == NOV


def test_it_skips_a_recorded_period_in_the_middle():
    recorded = {p.start for p in TERM if p.start < SEP.start} | {OCT.start}
    assert rules.default_reading_period(TERM, recorded, TODAY) == SEP


def test_it_defaults_to_the_period_in_progress_once_every_ended_period_is_recorded():
    recorded = {p.start for p in TERM if p.end < TODAY}
    assert rules.default_reading_period(TERM, recorded, TODAY) == DEC


def test_it_has_no_default_when_every_started_period_is_recorded_or_none_has_started():
    assert rules.default_reading_period(TERM, {p.start for p in TERM if p.start <= TODAY}, TODAY) is None
    assert rules.default_reading_period(TERM, set(), date(2025, 12, 31)) is None


def test_it_lists_the_ended_periods_without_a_reading_oldest_first():
    recorded = {p.start for p in TERM if p.start < SEP.start} | {OCT.start}
    assert rules.unrecorded_ended_periods(TERM, recorded, TODAY) == [SEP, NOV]
    assert rules.unrecorded_ended_periods(TERM, set(), date(2026, 1, 31)) == []


def test_it_finds_the_period_containing_a_day():
    assert rules.period_containing(TERM, date(2026, 10, 17)) == OCT
    assert rules.period_containing(TERM, date(2026, 10, 1)) == OCT
    assert rules.period_containing(TERM, date(2025, 12, 31)) is None
    quarters = rules.periods(date(2026, 1, 1), date(2027, 12, 31), "quarterly")
    assert rules.period_containing(quarters, date(2026, 11, 1)) == rules.Period(date(2026, 10, 1), date(2026, 12, 31))


def test_it_writes_short_dates():
    assert rules.short_date(date(2026, 11, 4), TODAY) == "4 Nov"
    assert rules.short_date(date(2027, 1, 10), TODAY) == "10 Jan 2027"
