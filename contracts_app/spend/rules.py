"""Spend against the ceiling: pure arithmetic on (ceiling, term, paid to date, today).

The burn rate is the money paid so far spread over the part of the term elapsed: from the start
date to today (or to the end date, once the term is over), days counted inclusively. Payments
usually come in arrears, so the elapsed term, not the span between the first and the last
payment, is what they pay for. Projected at that rate over the whole term, the spend reaches the
ceiling on the day the accumulated rate first covers it; a warning is due when that day falls
on or before the end date (or the ceiling is already passed). Money is Decimal, rounded half-up
to cents when shown; dates are plain dates; nothing here reads the clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The average month: a year of 365.25 days over 12.
DAYS_PER_MONTH = Decimal("365.25") / 12


def cents(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SpendProjection:
    ceiling: Decimal
    paid: Decimal
    payments: int
    start: date
    end: date
    today: date
    elapsed_days: int  # of the term, up to today (0 before it starts)
    monthly_rate: Decimal | None  # None before the term starts or with nothing paid
    projected_total: Decimal | None  # at the end date, at that rate
    reaches_ceiling_on: date | None  # when the projection reaches the ceiling, if by the end date

    @property
    def remaining(self):
        """The ceiling less what is paid (negative once over it)."""
        return self.ceiling - self.paid

    @property
    def share_paid(self):
        """Paid as a percentage of the ceiling (42 for 42%), or None for a zero ceiling."""
        return None if not self.ceiling else self.paid * 100 / self.ceiling

    @property
    def over_ceiling(self):
        return self.paid > self.ceiling

    @property
    def warning(self):
        """The projection (or what is already paid) exceeds the ceiling before the term ends."""
        return self.over_ceiling or self.reaches_ceiling_on is not None

    @property
    def term_over(self):
        return self.today > self.end


def project_spend(ceiling, start, end, paid, payments, today):
    """The SpendProjection of a contract with value ``ceiling`` and term ``start``–``end`` that
    has been paid ``paid`` in ``payments`` payments, as of ``today``."""
    ceiling, paid = Decimal(ceiling), Decimal(paid)
    term_days = (end - start).days + 1
    elapsed = 0 if today < start else (min(today, end) - start).days + 1
    if elapsed == 0 or paid <= 0:
        return SpendProjection(ceiling, paid, payments, start, end, today, elapsed, None, None, None)
    daily = paid / elapsed
    projected = cents(daily * term_days)
    reaches = None
    if paid > ceiling:
        reaches = None  # already over: over_ceiling says so
    elif projected > ceiling:
        # The first day whose accumulated rate covers the ceiling (day 1 is the start date).
        day_number = max(math.ceil(ceiling / daily), 1)
        reached = start + timedelta(days=day_number - 1)
        if reached <= end:
            reaches = reached
    return SpendProjection(
        ceiling, paid, payments, start, end, today, elapsed, cents(daily * DAYS_PER_MONTH), projected, reaches,
    )
