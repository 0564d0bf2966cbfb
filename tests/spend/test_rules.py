"""Spend against the ceiling: the pure projection, with explicit dates."""
from datetime import date
from decimal import Decimal

from contracts_app.spend.rules import project_spend

START, END = date(2025, 1, 1), date(2025, 12, 31)  # 365 days


def test_it_has_no_rate_before_any_payment():
    spend = project_spend(Decimal("120000"), START, END, 0, 0, date(2025, 6, 30))
    assert spend.monthly_rate is None and spend.projected_total is None and spend.reaches_ceiling_on is None
    assert spend.remaining == Decimal("120000") and not spend.warning
    assert spend.elapsed_days == 181


def test_it_has_no_rate_before_the_term_starts():
    spend = project_spend(Decimal("120000"), START, END, Decimal("5000"), 1, date(2024, 12, 15))
    assert spend.elapsed_days == 0 and spend.monthly_rate is None and not spend.warning


def test_it_spreads_the_paid_amount_over_the_elapsed_term():
    # 73 days elapsed (1 Jan to 14 Mar), 24,000 paid: 328.767.../day; 365 days -> 120,000.00.
    spend = project_spend(Decimal("120000"), START, END, Decimal("24000"), 2, date(2025, 3, 14))
    assert spend.elapsed_days == 73
    assert spend.projected_total == Decimal("120000.00")
    assert spend.monthly_rate == Decimal("10006.85")  # 24,000 / 73 × 30.4375
    assert spend.reaches_ceiling_on is None and not spend.warning
    assert spend.share_paid == Decimal("20")


def test_it_warns_with_the_day_the_ceiling_would_be_reached():
    # 36,500 paid over the first 73 days: 500 a day; 120,000 is reached on day 240 (28 Aug).
    spend = project_spend(Decimal("120000"), START, END, Decimal("36500"), 3, date(2025, 3, 14))
    assert spend.projected_total == Decimal("182500.00")
    assert spend.reaches_ceiling_on == date(2025, 8, 28)
    assert spend.warning and not spend.over_ceiling


def test_it_does_not_warn_when_the_ceiling_is_reached_exactly_on_the_end_date():
    # 1,000 a day for 10 days of a 100-day term with a 100,000 ceiling: exactly on the last day.
    spend = project_spend(Decimal("100000"), date(2025, 1, 1), date(2025, 4, 10), Decimal("10000"), 1, date(2025, 1, 10))
    assert spend.projected_total == Decimal("100000.00")
    assert spend.reaches_ceiling_on is None and not spend.warning
    # One cent more a day over the elapsed days and it would be reached on the last day: a warning.
    spend = project_spend(Decimal("100000"), date(2025, 1, 1), date(2025, 4, 10), Decimal("10000.10"), 1, date(2025, 1, 10))
    assert spend.reaches_ceiling_on == date(2025, 4, 10) and spend.warning


def test_it_warns_once_the_paid_amount_passes_the_ceiling():
    spend = project_spend(Decimal("50000"), START, END, Decimal("50000.01"), 5, date(2025, 6, 1))
    assert spend.over_ceiling and spend.warning
    assert spend.remaining == Decimal("-0.01")


def test_it_takes_the_whole_term_once_it_is_over():
    spend = project_spend(Decimal("120000"), START, END, Decimal("110000"), 12, date(2026, 3, 1))
    assert spend.elapsed_days == 365 and spend.term_over
    assert spend.projected_total == Decimal("110000.00") and not spend.warning


def test_a_zero_ceiling_has_no_share():
    spend = project_spend(Decimal("0"), START, END, Decimal("10"), 1, date(2025, 2, 1))
    assert spend.share_paid is None and spend.over_ceiling
