"""The pure status rules of contracts_app.metrics.rules: no database, no app."""
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from contracts_app.metrics import rules
from contracts_app.metrics.rules import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, OVERDUE, Period

TERM_START = date(2025, 7, 1)
TERM_END = date(2027, 6, 30)


@dataclass
class M:
    """Just the metric fields the rules read."""

    direction: str = "increase"
    baseline_value: object = Decimal(18)
    target_value: object = Decimal(30)
    range_low: object = None
    range_high: object = None
    tolerance_pct: object = Decimal(5)
    on_track_pct: object = Decimal(100)
    at_risk_pct: object = Decimal(90)
    due_days: int = 10


def D(value):
    return Decimal(str(value))


# --- periods -----------------------------------------------------------------------------


def test_it_makes_monthly_periods_from_the_contract_start():
    result = rules.periods(TERM_START, TERM_END, "monthly")
    assert len(result) == 24
    assert result[0] == Period(date(2025, 7, 1), date(2025, 7, 31))
    assert result[2] == Period(date(2025, 9, 1), date(2025, 9, 30))
    assert result[-1] == Period(date(2027, 6, 1), date(2027, 6, 30))


def test_it_makes_weekly_periods_of_seven_days():
    result = rules.periods(date(2025, 7, 1), date(2025, 7, 28), "weekly")
    assert result[0] == Period(date(2025, 7, 1), date(2025, 7, 7))
    assert result[1] == Period(date(2025, 7, 8), date(2025, 7, 14))
    assert [p.end - p.start for p in result[:4]] == [date(2025, 7, 7) - date(2025, 7, 1)] * 4


def test_it_makes_quarterly_periods():
    result = rules.periods(TERM_START, TERM_END, "quarterly")
    assert len(result) == 8
    assert result[0] == Period(date(2025, 7, 1), date(2025, 9, 30))
    assert result[1] == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert result[-1] == Period(date(2027, 4, 1), date(2027, 6, 30))


def test_it_makes_annual_periods():
    result = rules.periods(TERM_START, TERM_END, "annually")
    assert result == (Period(date(2025, 7, 1), date(2026, 6, 30)), Period(date(2026, 7, 1), date(2027, 6, 30)))


def test_it_counts_month_end_starts_from_the_start_without_drifting():
    result = rules.periods(date(2025, 1, 31), date(2025, 6, 30), "monthly")
    starts = [p.start for p in result]
    # February clamps to the 28th, but March goes back to the 31st (no drift to the 28th).
    assert starts == [
        date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30)
    ]
    assert result[0].end == date(2025, 2, 27)
    assert result[1].end == date(2025, 3, 30)
    # The step that starts on the term's last day is a one-day period.
    assert result[-1] == Period(date(2025, 6, 30), date(2025, 6, 30))


def test_it_leaves_no_gaps_or_overlaps_between_periods():
    result = rules.periods(date(2024, 1, 31), date(2026, 1, 30), "monthly")
    for earlier, later in zip(result, result[1:]):
        assert (later.start - earlier.end).days == 1


def test_it_cuts_the_last_period_at_the_term_end():
    result = rules.periods(date(2025, 7, 1), date(2025, 11, 15), "quarterly")
    assert result[-1] == Period(date(2025, 10, 1), date(2025, 11, 15))


def test_it_cuts_the_last_weekly_period_at_the_term_end():
    result = rules.periods(date(2025, 7, 1), date(2025, 7, 10), "weekly")
    assert result == (Period(date(2025, 7, 1), date(2025, 7, 7)), Period(date(2025, 7, 8), date(2025, 7, 10)))


def test_it_makes_one_period_for_a_one_day_term():
    assert rules.periods(date(2025, 7, 1), date(2025, 7, 1), "monthly") == (Period(date(2025, 7, 1), date(2025, 7, 1)),)


def test_it_makes_no_periods_when_the_end_is_before_the_start():
    assert rules.periods(date(2025, 7, 1), date(2025, 6, 30), "monthly") == ()


def test_it_refuses_an_unknown_cadence():
    with pytest.raises(ValueError):
        rules.periods(TERM_START, TERM_END, "fortnightly")


def test_it_finds_the_period_starting_on_a_date():
    result = rules.periods(TERM_START, TERM_END, "monthly")
    assert rules.period_starting(result, date(2025, 9, 1)) == Period(date(2025, 9, 1), date(2025, 9, 30))
    assert rules.period_starting(result, date(2025, 9, 2)) is None


def test_it_labels_monthly_and_annual_periods_readably():
    assert Period(date(2025, 9, 1), date(2025, 9, 30)).label("monthly") == "Sep 2025"
    assert Period(date(2025, 1, 1), date(2025, 12, 31)).label("annually") == "2025"
    assert Period(date(2025, 7, 1), date(2025, 9, 30)).label("quarterly") == "Q3 2025"


def test_it_labels_a_period_off_the_calendar_by_its_first_day():
    assert Period(date(2026, 11, 2), date(2026, 11, 8)).label("weekly") == "Week of 2 Nov 2026"
    assert Period(date(2026, 1, 15), date(2026, 4, 14)).label("quarterly") == "Quarter from 15 Jan 2026"
    assert Period(date(2026, 3, 15), date(2026, 4, 14)).label("monthly") == "Month from 15 Mar 2026"
    assert Period(date(2025, 7, 1), date(2026, 6, 30)).label("annually") == "Year from 1 Jul 2025"


# --- add_months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 1, 31), 2, date(2025, 3, 31)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
    ],
)
def test_it_adds_months_clamping_to_the_last_day(day, months, expected):
    assert rules.add_months(day, months) == expected


# --- due dates and overdue ----------------------------------------------------------------

SEPTEMBER = Period(date(2025, 9, 1), date(2025, 9, 30))


def test_it_puts_the_due_date_due_days_after_the_period_end():
    assert rules.due_date(SEPTEMBER, 10) == date(2025, 10, 10)
    assert rules.due_date(SEPTEMBER, 0) == date(2025, 9, 30)


def test_it_is_not_overdue_on_the_due_date():
    assert not rules.is_overdue(SEPTEMBER, 10, date(2025, 10, 10), 3)


def test_it_is_not_overdue_on_the_last_day_of_grace():
    assert not rules.is_overdue(SEPTEMBER, 10, date(2025, 10, 13), 3)


def test_it_is_overdue_the_day_after_grace_ends():
    assert rules.is_overdue(SEPTEMBER, 10, date(2025, 10, 14), 3)


def test_it_is_overdue_the_day_after_the_due_date_with_no_grace():
    assert not rules.is_overdue(SEPTEMBER, 10, date(2025, 10, 10), 0)
    assert rules.is_overdue(SEPTEMBER, 10, date(2025, 10, 11), 0)


def test_it_is_overdue_the_day_after_the_period_with_no_due_days_and_no_grace():
    assert not rules.is_overdue(SEPTEMBER, 0, date(2025, 9, 30), 0)
    assert rules.is_overdue(SEPTEMBER, 0, date(2025, 10, 1), 0)


# --- city_today ---------------------------------------------------------------------------


def test_it_gives_the_city_date_not_the_utc_date():
    now = datetime(2025, 10, 14, 3, 0, tzinfo=timezone.utc)
    assert rules.city_today(now, "America/Chicago") == date(2025, 10, 13)
    assert rules.city_today(now, "UTC") == date(2025, 10, 14)


def test_it_turns_the_city_date_at_local_midnight():
    # 05:00 UTC is midnight in Chicago during daylight saving time (CDT, UTC-5).
    assert rules.city_today(datetime(2025, 10, 14, 4, 59, tzinfo=timezone.utc), "America/Chicago") == date(2025, 10, 13)
    assert rules.city_today(datetime(2025, 10, 14, 5, 0, tzinfo=timezone.utc), "America/Chicago") == date(2025, 10, 14)


def test_it_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        rules.city_today(datetime(2025, 10, 14, 3, 0), "America/Chicago")


def test_it_judges_the_scenario_overdue_in_city_time():
    # Early on 14 Oct UTC it is still 13 Oct in Chicago: the last day of grace, not overdue yet.
    today = rules.city_today(datetime(2025, 10, 14, 3, 0, tzinfo=timezone.utc), "America/Chicago")
    assert not rules.is_overdue(SEPTEMBER, 10, today, 3)


# --- targets ------------------------------------------------------------------------------


def test_it_starts_the_linear_target_at_the_baseline():
    assert rules.linear_target(D(18), D(30), TERM_START, TERM_END, TERM_START) == D(18)


def test_it_ends_the_linear_target_at_the_final_target():
    assert rules.linear_target(D(18), D(30), TERM_START, TERM_END, TERM_END) == D(30)


def test_it_puts_the_linear_target_halfway_at_the_midpoint():
    assert rules.linear_target(D(0), D(100), date(2025, 1, 1), date(2025, 1, 11), date(2025, 1, 6)) == D(50)


def test_it_uses_the_final_target_when_there_is_no_baseline():
    assert rules.linear_target(None, D(30), TERM_START, TERM_END, date(2025, 8, 31)) == D(30)


def test_it_has_no_target_without_a_final_target():
    assert rules.linear_target(D(18), None, TERM_START, TERM_END, date(2025, 8, 31)) is None


def test_it_clamps_the_linear_target_outside_the_term():
    assert rules.linear_target(D(18), D(30), TERM_START, TERM_END, date(2025, 1, 1)) == D(18)
    assert rules.linear_target(D(18), D(30), TERM_START, TERM_END, date(2028, 1, 1)) == D(30)


def test_it_uses_the_final_target_for_a_one_day_term():
    assert rules.linear_target(D(18), D(30), TERM_START, TERM_START, TERM_START) == D(30)


def test_it_gives_the_scenario_august_target_for_placements():
    august = Period(date(2025, 8, 1), date(2025, 8, 31))
    target = rules.target_for_period(M(baseline_value=D(18), target_value=D(30)), august, TERM_START, TERM_END)
    assert abs(target - D(19)) < D("0.05")


def test_it_gives_the_scenario_august_target_for_a_decreasing_metric():
    august = Period(date(2025, 8, 1), date(2025, 8, 31))
    metric = M(direction="decrease", baseline_value=D(64), target_value=D(40))
    target = rules.target_for_period(metric, august, TERM_START, TERM_END)
    assert abs(target - D(62)) < D("0.05")


def test_it_prefers_an_explicit_period_target_to_the_linear_one():
    august = Period(date(2025, 8, 1), date(2025, 8, 31))
    explicit = {date(2025, 8, 1): D(25)}
    assert rules.target_for_period(M(), august, TERM_START, TERM_END, explicit) == D(25)


def test_it_falls_back_to_linear_for_periods_without_an_explicit_target():
    september = Period(date(2025, 9, 1), date(2025, 9, 30))
    explicit = {date(2025, 8, 1): D(25)}
    linear = rules.linear_target(D(18), D(30), TERM_START, TERM_END, september.end)
    assert rules.target_for_period(M(), september, TERM_START, TERM_END, explicit) == linear


def test_it_honours_an_explicit_target_of_zero():
    august = Period(date(2025, 8, 1), date(2025, 8, 31))
    assert rules.target_for_period(M(), august, TERM_START, TERM_END, {date(2025, 8, 1): 0}) == D(0)


# --- attainment ---------------------------------------------------------------------------


def test_it_measures_increase_as_actual_over_target():
    assert rules.attainment(M(direction="increase"), D(21), D(20)) == D(105)
    assert rules.attainment(M(direction="increase"), D(18), D(20)) == D(90)


def test_it_treats_an_increase_target_of_zero_as_met():
    assert rules.attainment(M(direction="increase"), D(0), D(0)) == D(100)
    assert rules.attainment(M(direction="increase"), D(5), D(0)) == D(100)


def test_it_measures_decrease_as_target_over_actual():
    assert rules.attainment(M(direction="decrease"), D(50), D(60)) == D(120)
    assert rules.attainment(M(direction="decrease"), D(80), D(40)) == D(50)


def test_it_treats_a_decrease_actual_of_zero_as_met():
    assert rules.attainment(M(direction="decrease"), D(0), D(40)) == D(100)
    assert rules.attainment(M(direction="decrease"), D(0), D(0)) == D(100)


def test_it_gives_no_attainment_to_a_decrease_above_a_zero_target():
    assert rules.attainment(M(direction="decrease"), D(3), D(0)) == D(0)


def test_it_is_on_target_when_maintained_within_tolerance():
    metric = M(direction="maintain", tolerance_pct=D(5))
    assert rules.attainment(metric, D(100), D(100)) == D(100)
    assert rules.attainment(metric, D(105), D(100)) == D(100)
    assert rules.attainment(metric, D(95), D(100)) == D(100)


def test_it_loses_a_point_per_point_outside_the_maintain_tolerance():
    metric = M(direction="maintain", tolerance_pct=D(5))
    assert rules.attainment(metric, D(108), D(100)) == D(97)
    assert rules.attainment(metric, D(80), D(100)) == D(85)


def test_it_uses_the_default_tolerance_when_none_is_set():
    metric = M(direction="maintain", tolerance_pct=None)
    assert rules.attainment(metric, D(105), D(100)) == D(100)
    assert rules.attainment(metric, D(106), D(100)) == D(99)


def test_it_never_gives_negative_maintain_attainment():
    assert rules.attainment(M(direction="maintain", tolerance_pct=D(0)), D(500), D(100)) == D(0)


def test_it_guards_a_maintain_target_of_zero():
    metric = M(direction="maintain", tolerance_pct=D(5))
    assert rules.attainment(metric, D(0), D(0)) == D(100)
    assert rules.attainment(metric, D(1), D(0)) == D(5)


def range_metric(low=90, high=98):
    return M(direction="range", baseline_value=None, target_value=None, range_low=D(low), range_high=D(high))


def test_it_is_on_target_inside_the_range():
    assert rules.attainment(range_metric(), D(95), None) == D(100)


def test_it_is_on_target_at_the_range_bounds():
    assert rules.attainment(range_metric(), D(90), None) == D(100)
    assert rules.attainment(range_metric(), D(98), None) == D(100)


def test_it_measures_below_the_range_as_actual_over_low():
    assert rules.attainment(range_metric(low=80, high=90), D(72), None) == D(90)


def test_it_measures_above_the_range_as_high_over_actual():
    assert rules.attainment(range_metric(low=80, high=90), D(100), None) == D(90)


def test_it_gives_no_range_attainment_without_both_bounds():
    metric = M(direction="range", range_low=D(10), range_high=None)
    assert rules.attainment(metric, D(5), None) is None


def test_it_gives_no_attainment_without_a_value():
    assert rules.attainment(M(), None, D(20)) is None


def test_it_gives_no_attainment_without_a_target():
    assert rules.attainment(M(direction="increase"), D(20), None) is None


def test_it_refuses_an_unknown_direction():
    with pytest.raises(ValueError):
        rules.attainment(M(direction="sideways"), D(1), D(1))


def test_it_accepts_ints_and_strings_as_values():
    assert rules.attainment(M(direction="increase"), 21, "20") == D(105)


# --- status thresholds --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", ON_TRACK),
        ("100", ON_TRACK),
        ("99.99", AT_RISK),
        ("90", AT_RISK),
        ("89.99", OFF_TRACK),
        ("0", OFF_TRACK),
    ],
)
def test_it_applies_the_default_thresholds_at_their_boundaries(value, expected):
    assert rules.status_for_attainment(M(), D(value)) == expected


def test_it_applies_custom_thresholds():
    metric = M(on_track_pct=D(95), at_risk_pct=D(80))
    assert rules.status_for_attainment(metric, D(95)) == ON_TRACK
    assert rules.status_for_attainment(metric, D("94.99")) == AT_RISK
    assert rules.status_for_attainment(metric, D(80)) == AT_RISK
    assert rules.status_for_attainment(metric, D("79.99")) == OFF_TRACK


def test_it_uses_default_thresholds_when_unset():
    metric = M(on_track_pct=None, at_risk_pct=None)
    assert rules.status_for_attainment(metric, D(100)) == ON_TRACK
    assert rules.status_for_attainment(metric, D(90)) == AT_RISK
    assert rules.status_for_attainment(metric, D("89.99")) == OFF_TRACK


def test_it_gives_no_data_without_attainment():
    assert rules.status_for_attainment(M(), None) == NO_DATA


def test_it_judges_the_scenario_august_readings():
    august = Period(date(2025, 8, 1), date(2025, 8, 31))
    placements = M(direction="increase", baseline_value=D(18), target_value=D(30))
    median_days = M(direction="decrease", baseline_value=D(64), target_value=D(40))
    placements_target = rules.target_for_period(placements, august, TERM_START, TERM_END)
    days_target = rules.target_for_period(median_days, august, TERM_START, TERM_END)
    assert rules.reading_status(placements, D(21), placements_target) == ON_TRACK
    # 62 / 70 is about 88.6%: below the at-risk threshold.
    assert rules.reading_status(median_days, D(70), days_target) == OFF_TRACK


# --- metric status ------------------------------------------------------------------------

MONTHS = rules.periods(TERM_START, TERM_END, "monthly")
AUG, SEP = date(2025, 8, 1), date(2025, 9, 1)


def test_it_has_no_data_before_any_period_is_due():
    # July is due 10 Aug, overdue from 14 Aug.
    result = rules.metric_status(M(), MONTHS, None, date(2025, 8, 13), 3)
    assert result == rules.MetricStatus(NO_DATA, None)


def test_it_is_overdue_when_the_first_period_passes_grace_without_a_reading():
    result = rules.metric_status(M(), MONTHS, None, date(2025, 8, 14), 3)
    assert result == rules.MetricStatus(OVERDUE, date(2025, 7, 1))


def test_it_is_overdue_when_a_period_after_the_latest_reading_is_past_grace():
    # The scenario: August read, September's reading missing on 14 October.
    result = rules.metric_status(M(), MONTHS, (AUG, ON_TRACK), date(2025, 10, 14), 3)
    assert result == rules.MetricStatus(OVERDUE, SEP)


def test_it_keeps_the_latest_status_on_the_last_day_of_grace():
    result = rules.metric_status(M(), MONTHS, (AUG, ON_TRACK), date(2025, 10, 13), 3)
    assert result == rules.MetricStatus(ON_TRACK, AUG)


def test_it_takes_the_latest_readings_status_when_nothing_is_overdue():
    result = rules.metric_status(M(), MONTHS, (SEP, AT_RISK), date(2025, 10, 20), 3)
    assert result == rules.MetricStatus(AT_RISK, SEP)


def test_it_is_not_overdue_for_an_old_missing_period_when_a_later_reading_exists():
    # July and August were never read, September was: only the latest due period counts.
    result = rules.metric_status(M(), MONTHS, (SEP, OFF_TRACK), date(2025, 10, 20), 3)
    assert result == rules.MetricStatus(OFF_TRACK, SEP)


def test_it_keeps_an_early_readings_status_before_its_period_is_due():
    result = rules.metric_status(M(), MONTHS, (date(2025, 7, 1), ON_TRACK), date(2025, 8, 2), 3)
    assert result == rules.MetricStatus(ON_TRACK, date(2025, 7, 1))


def test_it_honours_the_metrics_due_days():
    metric = M(due_days=30)
    # July due 30 Aug, overdue from 3 Sep with 3 days' grace.
    assert rules.metric_status(metric, MONTHS, None, date(2025, 9, 2), 3).status == NO_DATA
    assert rules.metric_status(metric, MONTHS, None, date(2025, 9, 3), 3).status == OVERDUE


def test_it_reports_the_latest_overdue_period_after_the_term():
    result = rules.metric_status(M(), MONTHS, (AUG, ON_TRACK), date(2028, 1, 1), 3)
    assert result == rules.MetricStatus(OVERDUE, date(2027, 6, 1))


def test_it_is_not_overdue_after_the_term_when_the_last_period_is_read():
    result = rules.metric_status(M(), MONTHS, (date(2027, 6, 1), ON_TRACK), date(2028, 1, 1), 3)
    assert result == rules.MetricStatus(ON_TRACK, date(2027, 6, 1))


def test_it_has_no_data_with_no_periods():
    assert rules.metric_status(M(), (), None, date(2025, 10, 14), 3) == rules.MetricStatus(NO_DATA, None)


# --- milestones and contract health -------------------------------------------------------

TODAY = date(2025, 10, 14)


def test_it_counts_a_scheduled_milestone_past_due_as_off_track():
    assert rules.milestone_status(date(2025, 10, 13), "scheduled", TODAY) == OFF_TRACK


def test_it_does_not_count_a_scheduled_milestone_due_today():
    assert rules.milestone_status(TODAY, "scheduled", TODAY) is None
    assert rules.milestone_status(date(2025, 12, 1), "scheduled", TODAY) is None


def test_it_counts_a_not_met_milestone_as_off_track():
    assert rules.milestone_status(date(2026, 1, 1), "not_met", TODAY) == OFF_TRACK


def test_it_counts_a_partially_met_milestone_as_at_risk():
    assert rules.milestone_status(date(2025, 9, 1), "partially_met", TODAY) == AT_RISK


def test_it_counts_a_met_milestone_as_nothing():
    assert rules.milestone_status(date(2025, 9, 1), "met", TODAY) is None


@pytest.mark.parametrize(
    "statuses, expected",
    [
        ([ON_TRACK, AT_RISK, OFF_TRACK, OVERDUE, NO_DATA], OFF_TRACK),
        ([ON_TRACK, AT_RISK, OVERDUE, NO_DATA], OVERDUE),
        ([ON_TRACK, AT_RISK, NO_DATA], AT_RISK),
        ([ON_TRACK, NO_DATA], ON_TRACK),
        ([NO_DATA, NO_DATA], NO_DATA),
        ([], NO_DATA),
    ],
)
def test_it_takes_the_worst_metric_status_as_contract_health(statuses, expected):
    assert rules.contract_health(statuses, [], TODAY) == expected


def test_it_ranks_overdue_above_at_risk_whatever_the_order():
    assert rules.contract_health([OVERDUE, AT_RISK], [], TODAY) == OVERDUE
    assert rules.contract_health([AT_RISK, OVERDUE], [], TODAY) == OVERDUE


def test_it_makes_a_contract_off_track_for_a_missed_milestone():
    health = rules.contract_health([ON_TRACK, ON_TRACK], [(date(2025, 10, 1), "scheduled")], TODAY)
    assert health == OFF_TRACK


def test_it_makes_a_contract_off_track_for_a_not_met_milestone():
    assert rules.contract_health([ON_TRACK], [(date(2025, 9, 1), "not_met")], TODAY) == OFF_TRACK


def test_it_makes_a_contract_at_risk_for_a_partially_met_milestone():
    assert rules.contract_health([ON_TRACK], [(date(2025, 9, 1), "partially_met")], TODAY) == AT_RISK


def test_it_lets_an_overdue_metric_outrank_a_partially_met_milestone():
    assert rules.contract_health([OVERDUE], [(date(2025, 9, 1), "partially_met")], TODAY) == OVERDUE


def test_it_ignores_met_and_future_milestones_in_health():
    milestones = [(date(2025, 9, 1), "met"), (date(2026, 3, 1), "scheduled")]
    assert rules.contract_health([ON_TRACK], milestones, TODAY) == ON_TRACK


def test_it_gives_a_contract_with_only_a_missed_milestone_off_track():
    assert rules.contract_health([], [(date(2025, 9, 1), "scheduled")], TODAY) == OFF_TRACK


def test_it_gives_no_data_to_a_contract_with_only_met_milestones():
    assert rules.contract_health([], [(date(2025, 9, 1), "met")], TODAY) == NO_DATA


# --- the precision targets are shown to -------------------------------------------------------


def _metric(direction="increase", baseline=None, target=None, low=None, high=None):
    return SimpleNamespace(direction=direction, baseline_value=baseline, target_value=target, range_low=low, range_high=high)


@pytest.mark.parametrize("values, places", [
    ((Decimal(18), Decimal(30)), 0),
    ((Decimal("18.0000"), Decimal("30.0000")), 0),  # as the database returns them
    ((Decimal("92.5"), Decimal(96)), 1),
    ((Decimal("0.125"), None), 3),
    ((None, None), 0),
])
def test_a_metric_is_stated_in_the_places_its_baseline_and_target_have(values, places):
    assert rules.metric_places(_metric(baseline=values[0], target=values[1])) == places


def test_a_range_counts_toward_the_places():
    assert rules.metric_places(_metric("range", low=Decimal("1.5"), high=Decimal("2.25"))) == 2


# Linear targets run to many places (Decimal's 28 digits): 38 + 0.76 + a long tail.
LONG = Decimal("0.00001369863013698630136986")


@pytest.mark.parametrize("direction, target, shown", [
    ("increase", Decimal("38.76") + LONG, Decimal(39)),  # 38 people would not meet 38.76...
    ("increase", Decimal("38.01") + LONG, Decimal(39)),
    ("increase", Decimal("38"), Decimal(38)),
    ("decrease", Decimal("52.3") + LONG, Decimal(52)),  # 53 days would not meet 52.3...
    ("decrease", Decimal("52.9") + LONG, Decimal(52)),
    ("maintain", Decimal("52.5") + LONG, Decimal(53)),
    ("maintain", Decimal("52.4") + LONG, Decimal(52)),
    ("increase", Decimal("19.5"), Decimal("19.5")),  # an explicit target, shown as typed
])
def test_a_shown_target_is_one_that_a_reading_equal_to_it_meets(direction, target, shown):
    assert rules.shown_target(target, _metric(direction, Decimal(18), Decimal(40))) == shown


def test_a_shown_target_keeps_the_metrics_decimals():
    assert rules.shown_target(Decimal("94.4417") + LONG, _metric("increase", Decimal("92.5"), Decimal(96))) == Decimal("94.5")
    assert rules.shown_target(None, _metric()) is None


# --- Reminders --------------------------------------------------------------------------


@pytest.mark.parametrize("today, expected", [
    (date(2026, 3, 4), None),
    (date(2026, 3, 5), rules.REMINDER_BEFORE),
    (date(2026, 3, 9), rules.REMINDER_BEFORE),
    (date(2026, 3, 10), rules.REMINDER_DUE),
    (date(2026, 3, 11), None),
])
def test_reminder_due_is_the_days_before_and_the_due_date(today, expected):
    assert rules.reminder_due(date(2026, 3, 10), today, 5) == expected


def test_reminder_due_with_no_days_before_is_the_due_date_only():
    assert rules.reminder_due(date(2026, 3, 10), date(2026, 3, 9), 0) is None
    assert rules.reminder_due(date(2026, 3, 10), date(2026, 3, 10), 0) == rules.REMINDER_DUE


@pytest.mark.parametrize("cadence, due_days", [("weekly", 3), ("monthly", 10), ("quarterly", 45), ("annually", 0)])
@pytest.mark.parametrize("first", [date(2025, 6, 1), date(2025, 7, 1), date(2026, 3, 6), date(2027, 7, 10), date(2027, 9, 1)])
def test_due_between_finds_the_periods_due_in_the_window(cadence, due_days, first):
    start, end = date(2025, 7, 15), date(2027, 6, 30)
    last = date.fromordinal(first.toordinal() + 40)
    expected = [p for p in rules.periods(start, end, cadence) if first <= rules.due_date(p, due_days) <= last]
    assert rules.PeriodIndex(start, end, cadence).due_between(due_days, first, last) == expected


def test_due_between_finds_a_period_cut_at_the_term_end():
    index = rules.PeriodIndex(date(2025, 7, 1), date(2026, 2, 20), "monthly")
    assert index.due_between(10, date(2026, 3, 2), date(2026, 3, 2)) == [Period(date(2026, 2, 1), date(2026, 2, 20))]
    assert index.due_between(10, date(2026, 3, 3), date(2026, 4, 30)) == []


@pytest.mark.parametrize("cadence", ["weekly", "monthly", "quarterly", "annually"])
@pytest.mark.parametrize("start", [date(2025, 1, 31), date(2024, 2, 29), date(2025, 7, 1), date(2025, 11, 30)])
def test_due_between_agrees_with_listing_every_period_on_every_day(cadence, start):
    end = date(2027, 3, 15)
    index = rules.PeriodIndex(start, end, cadence)
    every = rules.periods(start, end, cadence)
    for offset in range(-40, (end - start).days + 80, 3):
        first = date.fromordinal(start.toordinal() + offset)
        last = date.fromordinal(first.toordinal() + 5)
        expected = [p for p in every if first <= rules.due_date(p, 10) <= last]
        assert index.due_between(10, first, last) == expected, first


def test_a_shared_period_index_remembers_a_bounded_number_of_answers_and_stays_right():
    """rules.period_index shares one index per term for the life of a process: asked about a
    new day every day, it forgets old answers instead of growing, and still answers right."""
    start, end = date(2024, 1, 1), date(2027, 12, 31)
    index = rules.period_index(start, end, "weekly")
    every = rules.periods(start, end, "weekly")
    for offset in range(0, 1400, 2):
        today = date.fromordinal(start.toordinal() + offset)
        expected = next((p for p in reversed(every) if rules.is_overdue(p, 10, today, 3)), None)
        assert index.latest_due(10, today, 3) == expected, today
        assert index.starting(every[offset // 14].start) == every[offset // 14]
    assert len(index._due) <= rules._MEMO_LIMIT and len(index._positions) <= rules._MEMO_LIMIT
    assert rules.period_index(start, end, "weekly") is index
