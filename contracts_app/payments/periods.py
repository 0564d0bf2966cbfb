"""Billing periods: pure functions of the contract's term and its payment terms (no database)."""
from __future__ import annotations

from datetime import timedelta

from contracts_app.formatting import long_date
from contracts_app.metrics.rules import add_months
from contracts_app.payments.compute import BillingPeriod
from contracts_app.payments.models import BILLING_MONTHS

_DAY = timedelta(days=1)


def _label(start, months):
    if months == 1 and start.day == 1:
        return f"{start:%b %Y}"
    if months == 3 and start.day == 1 and start.month in (1, 4, 7, 10):
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if months == 6 and start.day == 1 and start.month in (1, 7):
        return f"H{1 if start.month == 1 else 2} {start.year}"
    if months == 12 and start.day == 1 and start.month == 1:
        return str(start.year)
    step = {1: "Month", 3: "Quarter", 6: "Half-year", 12: "Year"}[months]
    return f"{step} from {long_date(start)}"


def billing_periods(billing_period, term_start, term_end, milestones=()):
    """The contract's billing periods, numbered from 1, each step counted from the term start
    (so month-end starts do not drift) and the last cut at the term end.

    Per milestone: one period per payment-linked milestone (``milestones``: objects with
    ``due_date`` and ``title``), from the day after the previous one's due date (the first from
    the term start) to its own due date; milestones due outside the term are left out."""
    if term_end < term_start:
        return ()
    if billing_period == "milestone":
        periods, start = [], term_start
        for milestone in sorted(milestones, key=lambda m: (m.due_date, m.id)):
            if not term_start <= milestone.due_date <= term_end or milestone.due_date < start:
                continue
            periods.append(BillingPeriod(start, milestone.due_date, len(periods) + 1, milestone.title))
            start = milestone.due_date + _DAY
        return tuple(periods)
    months = BILLING_MONTHS[billing_period]
    periods, index = [], 0
    while True:
        start = add_months(term_start, index * months)
        if start > term_end:
            break
        end = min(add_months(term_start, (index + 1) * months) - _DAY, term_end)
        periods.append(BillingPeriod(start, end, index + 1, _label(start, months)))
        index += 1
    return tuple(periods)


def metric_periods_in(all_metric_periods, period):
    """The metric's reporting periods that end inside the billing period: what its readings
    for the billing period are (three months for a quarter; the quarter itself)."""
    return [p for p in all_metric_periods if period.start <= p.end <= period.end]


CADENCE_MONTHS = {"weekly": 0, "monthly": 1, "quarterly": 3, "annually": 12}


def cadence_fits(cadence, billing_period):
    """A metric can be tied to payments billed no more often than it is reported (an annual
    metric cannot decide a quarterly payment: three quarters would have no reading)."""
    if billing_period == "milestone":
        return True
    return CADENCE_MONTHS.get(cadence, 0) <= BILLING_MONTHS[billing_period]
