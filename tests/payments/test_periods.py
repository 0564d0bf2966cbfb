"""Billing periods: pure functions of the term and the payment terms."""
from collections import namedtuple
from datetime import date

from contracts_app.payments.periods import billing_periods, cadence_fits

M = namedtuple("M", "id title due_date")


def test_calendar_billing_periods_are_counted_from_the_term_start_and_named():
    quarters = billing_periods("quarterly", date(2025, 7, 1), date(2027, 6, 30))
    assert len(quarters) == 8 and quarters[0].label == "Q3 2025" and quarters[-1].end == date(2027, 6, 30)
    assert [p.number for p in quarters[:3]] == [1, 2, 3]
    halves = billing_periods("semiannual", date(2026, 1, 1), date(2026, 12, 31))
    assert [(p.label, p.end) for p in halves] == [("H1 2026", date(2026, 6, 30)), ("H2 2026", date(2026, 12, 31))]
    odd = billing_periods("quarterly", date(2026, 1, 15), date(2026, 5, 31))
    assert [(p.label, p.start, p.end) for p in odd] == [
        ("Quarter from 15 Jan 2026", date(2026, 1, 15), date(2026, 4, 14)),
        ("Quarter from 15 Apr 2026", date(2026, 4, 15), date(2026, 5, 31))]
    assert [p.label for p in billing_periods("annual", date(2026, 1, 1), date(2027, 12, 31))] == ["2026", "2027"]


def test_per_milestone_billing_ends_a_period_at_each_milestone_due_in_the_term():
    milestones = [M(2, "Final report", date(2026, 12, 15)), M(1, "Staffed", date(2026, 3, 31)),
                  M(3, "After the term", date(2027, 3, 1))]
    periods = billing_periods("milestone", date(2026, 1, 1), date(2026, 12, 31), milestones)
    assert [(p.number, p.label, p.start, p.end) for p in periods] == [
        (1, "Staffed", date(2026, 1, 1), date(2026, 3, 31)),
        (2, "Final report", date(2026, 4, 1), date(2026, 12, 15))]


def test_a_metric_reported_less_often_than_billing_cannot_decide_a_payment():
    assert cadence_fits("monthly", "quarterly") and cadence_fits("quarterly", "quarterly")
    assert not cadence_fits("annually", "quarterly") and cadence_fits("annually", "milestone")
