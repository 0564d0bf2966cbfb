"""Status rules: pure functions of (metric definition, readings, today).

Nothing here reads the clock or the database. Callers pass ``today`` — the date in the city's
time zone (see ``city_today``) — so tests pin time exactly and the sweep, the pages and the API
all judge a reading the same way.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from contracts_app.formatting import FORMAT_LOCALES, in_english, language, long_date

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
OVERDUE = "overdue"
NO_DATA = "no_data"

STATUS_LABELS = {
    ON_TRACK: _l("On track"),
    AT_RISK: _l("At risk"),
    OFF_TRACK: _l("Off track"),
    OVERDUE: _l("Overdue"),
    NO_DATA: _l("No data yet"),
}
# Worst first: contract health is the worst of its parts.
SEVERITY = (OFF_TRACK, OVERDUE, AT_RISK, ON_TRACK, NO_DATA)
_RANK = {status: rank for rank, status in enumerate(SEVERITY)}

DEFAULT_ON_TRACK_PCT = Decimal(100)
DEFAULT_AT_RISK_PCT = Decimal(90)
DEFAULT_TOLERANCE_PCT = Decimal(5)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Period:
    """A reporting period; both ends inclusive."""

    start: date
    end: date

    def label(self, cadence):
        return period_label(self.start, cadence)


def period_label(start: date, cadence: str) -> str:
    """A reporting period as people say it, the one label for a period everywhere: "Jul 2026",
    "Q3 2026", "2026"; a period that does not start on a calendar boundary (a weekly cadence, a
    term that starts mid-month) by its first day: "Week of 6 Jul 2026", "Quarter from 15 Jan 2026"."""
    if not in_english():
        return _period_label_translated(start, cadence)
    if cadence == "monthly" and start.day == 1:
        return f"{start:%b %Y}"
    if cadence == "quarterly" and start.day == 1 and start.month in (1, 4, 7, 10):
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if cadence == "annually" and start.month == 1 and start.day == 1:
        return str(start.year)
    step = {"weekly": "Week of", "monthly": "Month from", "quarterly": "Quarter from", "annually": "Year from"}
    return f"{step.get(cadence, 'Period from')} {long_date(start)}"


def _period_label_translated(start: date, cadence: str) -> str:
    """``period_label`` in the language being written (the English above is the same text)."""
    if cadence == "monthly" and start.day == 1:
        code = language()
        return format_date(start, "MMM y", locale=FORMAT_LOCALES.get(code, code))
    if cadence == "quarterly" and start.day == 1 and start.month in (1, 4, 7, 10):
        return _("Q%(quarter)s %(year)s", quarter=(start.month - 1) // 3 + 1, year=start.year)
    if cadence == "annually" and start.month == 1 and start.day == 1:
        return str(start.year)
    day = long_date(start)
    if cadence == "weekly":
        return _("Week of %(day)s", day=day)
    if cadence == "monthly":
        return _("Month from %(day)s", day=day)
    if cadence == "quarterly":
        return _("Quarter from %(day)s", day=day)
    if cadence == "annually":
        return _("Year from %(day)s", day=day)
    return _("Period from %(day)s", day=day)


@lru_cache(maxsize=256)  # a write asks it for the same ``now`` two or three times
def city_today(now: datetime, tz_name: str) -> date:
    """The calendar date in the city at the instant ``now`` (which must be timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(tz_name)).date()


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if day.day <= 28:  # every month has the day: no clamping (and no calendar look-up, which
        return date(year, month, day.day)  # the sweep would make ~50,000 times a run)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


_MONTHS_PER_STEP = {"monthly": 1, "quarterly": 3, "annually": 12}


@lru_cache(maxsize=4096)
def periods(start: date, end: date, cadence: str) -> tuple[Period, ...]:
    """Reporting periods from the contract start, one per cadence step, up to the contract end.

    Each step is counted from ``start`` (not from the previous period) so month-end starts do
    not drift; the last period is cut at ``end``.
    """
    if end < start:
        return ()
    result = []
    index = 0
    while True:
        if cadence == "weekly":
            period_start = start + timedelta(days=7 * index)
            next_start = period_start + timedelta(days=7)
        elif cadence in _MONTHS_PER_STEP:
            step = _MONTHS_PER_STEP[cadence]
            period_start = add_months(start, index * step)
            next_start = add_months(start, (index + 1) * step)
        else:
            raise ValueError(f"unknown cadence {cadence!r}")
        if period_start > end:
            break
        result.append(Period(period_start, min(next_start - timedelta(days=1), end)))
        index += 1
    return tuple(result)


_DAY = timedelta(days=1)


_MEMO_LIMIT = 512  # answers a PeriodIndex remembers of each kind


class PeriodIndex:
    """The periods of ``periods(start, end, cadence)``, computed by position on demand.

    Period ``i`` starts ``i`` cadence steps after the term start (the same expressions as
    ``periods``) and ends the day before the next one starts, cut at the term end. Starts
    and ends increase with ``i``, so the lookups the status rules need (the latest period past
    due, the period starting on a date) are binary searches over a few positions, not a walk
    over a term's every period (hundreds for a weekly metric).
    """

    __slots__ = ("term_start", "term_end", "cadence", "count", "_step", "_due", "_positions")

    def __init__(self, start, end, cadence):
        if cadence != "weekly" and cadence not in _MONTHS_PER_STEP:
            raise ValueError(f"unknown cadence {cadence!r}")
        self.term_start, self.term_end, self.cadence = start, end, cadence
        self._step = _MONTHS_PER_STEP.get(cadence)
        self._due = {}
        self._positions = {}
        if end < start:
            self.count = 0
        elif self._step is None:
            self.count = (end - start).days // 7 + 1
        else:
            months = (end.year - start.year) * 12 + end.month - start.month
            self.count = self._first(0, months // self._step + 2, lambda i: self._start(i) > end)

    def _start(self, i):
        if self._step is None:
            return self.term_start + timedelta(days=7 * i)
        return add_months(self.term_start, i * self._step)

    def _end(self, i):
        try:
            next_start = self._start(i + 1)
        except (OverflowError, ValueError):  # beyond the calendar: the term end cuts it
            return self.term_end
        return min(next_start - _DAY, self.term_end)

    @staticmethod
    def _first(low, high, test):
        """The smallest i in [low, high) for which test(i) holds (test is monotonic), else high."""
        while low < high:
            middle = (low + high) // 2
            if test(middle):
                high = middle
            else:
                low = middle + 1
        return low

    def period(self, i):
        return Period(self._start(i), self._end(i))

    def position(self, start):
        """The position of the period starting on ``start``, or None."""
        if start not in self._positions:
            if len(self._positions) >= _MEMO_LIMIT:  # a shared index (period_index) stays small
                self._positions.clear()
            i = self._first(0, self.count, lambda i: self._start(i) >= start)
            self._positions[start] = i if i < self.count and self._start(i) == start else None
        return self._positions[start]

    def starting(self, start):
        """The period starting on ``start`` (period_starting), or None."""
        i = self.position(start)
        return None if i is None else self.period(i)

    def latest_due(self, due_days, today, grace):
        """The latest period past its due date plus grace (``is_overdue``), or None."""
        key = (due_days, today, grace)
        if key not in self._due:
            if len(self._due) >= _MEMO_LIMIT:  # one key a day: a shared index's would grow for ever
                self._due.clear()
            try:
                cutoff = today - timedelta(days=due_days + grace)
            except OverflowError:  # due days beyond the calendar: nothing is ever overdue
                cutoff = None
            # is_overdue(p) <=> today > p.end + due_days + grace <=> p.end < cutoff
            i = 0 if cutoff is None else self._first(0, self.count, lambda i: self._end(i) >= cutoff)
            self._due[key] = self.period(i - 1) if i else None
        return self._due[key]

    def due_between(self, due_days, first, last):
        """The periods whose due date (``due_date``) falls in [first, last], in order."""
        try:
            low, high = first - timedelta(days=due_days), last - timedelta(days=due_days)
        except OverflowError:  # due days beyond the calendar: nothing falls due in the window
            return []
        # due_date(p) in [first, last] <=> p.end in [low, high]; ends increase with position.
        # Run hourly over every metric of a city, so the first position is found from a guess
        # (the period holding ``low``, counted in whole steps) moved a step or two, not by a
        # binary search over the whole term; the window then holds a period or two.
        i = self._first_ending_on_or_after(low)
        found = []
        while i < self.count and self._end(i) <= high:
            found.append(self.period(i))
            i += 1
        return found

    def _first_ending_on_or_after(self, day):
        """The smallest position whose period ends on or after ``day``, else ``count``."""
        if self.count == 0 or day <= self.term_start:
            return 0
        if self._step is None:
            guess = (day - self.term_start).days // 7
        else:
            guess = ((day.year - self.term_start.year) * 12 + day.month - self.term_start.month) // self._step
        i = min(max(guess, 0), self.count)
        while i > 0 and self._end(i - 1) >= day:
            i -= 1
        while i < self.count and self._end(i) < day:
            i += 1
        return i


@lru_cache(maxsize=4096)
def period_index(start: date, end: date, cadence: str) -> PeriodIndex:
    """The ``PeriodIndex`` of a term, shared (as ``periods`` is): a single write's lookups (the
    period a reading starts, the latest one past due) without listing the term's periods."""
    return PeriodIndex(start, end, cadence)


def period_starting(all_periods, start: date) -> Period | None:
    for period in all_periods:
        if period.start == start:
            return period
    return None


def due_date(period: Period, due_days: int) -> date:
    """The day a period's reading is due."""
    return period.end + timedelta(days=due_days)


REMINDER_BEFORE = "before"
REMINDER_DUE = "due"


def reminder_due(due: date, today: date, days_before: int) -> str | None:
    """Which reminder a period due on ``due`` earns today: REMINDER_DUE on the due date itself,
    REMINDER_BEFORE on any day of the ``days_before`` days before it (so a run missed on the
    first of them still reminds later in the window), else None (never after the due date:
    then the overdue flag follows)."""
    if today == due:
        return REMINDER_DUE
    if days_before > 0 and due - timedelta(days=days_before) <= today < due:
        return REMINDER_BEFORE
    return None


def is_overdue(period: Period, due_days: int, today: date, grace_days: int) -> bool:
    """Overdue once the due date plus the grace days have fully passed (the day after)."""
    return today > due_date(period, due_days) + timedelta(days=grace_days)


# Where a period stands for data entry, on the city's today (``period_state``).
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DUE = "due"  # ended, its reading not yet overdue (OVERDUE once due date + grace have passed)


def overdue_since(period: Period, due_days: int, grace_days: int) -> date:
    """The first day a period without a reading counts as overdue (``is_overdue``): the day
    after its due date plus the grace days."""
    return due_date(period, due_days) + timedelta(days=grace_days + 1)


def period_state(period: Period, due_days: int, today: date, grace_days: int) -> str:
    """not started (starts after today), in progress (today is within it), overdue (past its
    due date and grace, ``is_overdue``), else due (ended, reading not yet overdue)."""
    if period.start > today:
        return NOT_STARTED
    if today <= period.end:
        return IN_PROGRESS
    if is_overdue(period, due_days, today, grace_days):
        return OVERDUE
    return DUE


def short_date(day: date, today: date) -> str:
    """"14 Nov" within today's year, "14 Nov 2025" outside it."""
    if not in_english():
        code = language()
        locale = FORMAT_LOCALES.get(code, code)
        return format_date(day, "d MMM" if day.year == today.year else "d MMM y", locale=locale)
    text = f"{day.day} {day.strftime('%b')}"
    return text if day.year == today.year else f"{text} {day.year}"


def period_option_label(period: Period, cadence: str, due_days: int, today: date, grace_days: int,
                        recorded: bool = False) -> str:
    """A period as the reading form offers it, saying where it stands:
    "Oct 2026 — overdue since 14 Nov", "Nov 2026 — due 10 Dec", "Dec 2026 — in progress",
    "Sep 2026 — already recorded"."""
    label = period.label(cadence)
    if recorded:
        return _("%(period)s — already recorded", period=label)
    state = period_state(period, due_days, today, grace_days)
    if state == OVERDUE:
        return _("%(period)s — overdue since %(day)s", period=label,
                 day=short_date(overdue_since(period, due_days, grace_days), today))
    if state == DUE:
        return _("%(period)s — due %(day)s", period=label, day=short_date(due_date(period, due_days), today))
    if state == IN_PROGRESS:
        return _("%(period)s — in progress", period=label)
    return _("%(period)s — starts %(day)s", period=label, day=short_date(period.start, today))


def unrecorded_ended_periods(all_periods, recorded_starts, today: date) -> list[Period]:
    """The periods that have ended (their data is due or overdue) and have no reading, oldest
    first: what a contract registered mid-term, or a missed month, leaves to back-fill."""
    return [p for p in all_periods if p.end < today and p.start not in recorded_starts]


def default_reading_period(all_periods, recorded_starts, today: date) -> Period | None:
    """The period a new reading is most likely for: the oldest ended period without a reading
    (so a value meant for an overdue October is not saved to December and October left
    overdue); when every ended period is recorded, the period in progress if it has none."""
    for period in all_periods:
        if period.start > today:
            break
        if period.start not in recorded_starts:
            return period
    return None


def period_containing(all_periods, day: date) -> Period | None:
    """The period that ``day`` falls in, or None outside the term."""
    for period in all_periods:
        if period.start <= day <= period.end:
            return period
    return None


def linear_target(baseline, final, term_start: date, term_end: date, at: date):
    """Target on day ``at`` on the straight line from baseline (term start) to final (term end)."""
    if final is None:
        return None
    if baseline is None:
        return Decimal(final)
    total = (term_end - term_start).days
    if total <= 0:
        return Decimal(final)
    elapsed = min(max((at - term_start).days, 0), total)
    baseline, final = Decimal(baseline), Decimal(final)
    return baseline + (final - baseline) * Decimal(elapsed) / Decimal(total)


def metric_places(metric) -> int:
    """The decimal places a metric is stated in: the most that its baseline, target and range
    have (18 and 30: none; 96.5: one). ``metric`` is a Metric or a row with those columns."""
    places = 0
    for name in ("baseline_value", "target_value", "range_low", "range_high"):
        value = getattr(metric, name, None)
        if value is not None:
            exponent = Decimal(value).normalize().as_tuple().exponent
            places = max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return min(places, 4)


def shown_target(target, metric) -> Decimal | None:
    """A computed target (a linear one for a period) as people are shown it: to the metric's
    precision, rounded toward what meets it, so a reading equal to the shown target is on
    target. 38.76 placements shows as 39 (38 would not meet it); 52.3 days to a placement, a
    target to come down to, as 52; a target to hold, to the nearest. A target typed with a few
    decimals (an explicit period target of 19.5) is shown as typed."""
    if target is None:
        return None
    target = Decimal(target)
    exponent = target.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    places = metric_places(metric)
    if own <= 4:  # as typed (a computed linear target runs to many more places)
        places = max(places, own)
    rounding = {"increase": ROUND_CEILING, "decrease": ROUND_FLOOR}.get(metric.direction, ROUND_HALF_UP)
    return target.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def target_for_period(metric, period: Period, term_start: date, term_end: date, explicit=None):
    """The period's explicit target if there is one, else linear to the period's end."""
    if explicit and period.start in explicit:
        return Decimal(explicit[period.start])
    return linear_target(metric.baseline_value, metric.target_value, term_start, term_end, period.end)


def _ratio(numerator, denominator):
    """numerator / denominator in percent; a zero denominator means the goal is met outright."""
    if denominator == 0:
        return HUNDRED if numerator >= 0 else Decimal(0)
    return Decimal(numerator) / Decimal(denominator) * HUNDRED


def share(part, whole) -> Decimal | None:
    """``part`` as a percentage of ``whole`` (a Decimal, not rounded); None when ``whole`` is 0.

    The one "share on track" of the portfolio pages: periods, readings, contracts or vendors.
    """
    if not whole:
        return None
    return Decimal(part) * HUNDRED / whole


def thresholds(metric) -> tuple[Decimal, Decimal]:
    """The metric's (on track, at risk) attainment thresholds in percent, defaults filled in."""
    on_track = metric.on_track_pct if metric.on_track_pct is not None else DEFAULT_ON_TRACK_PCT
    at_risk = metric.at_risk_pct if metric.at_risk_pct is not None else DEFAULT_AT_RISK_PCT
    return Decimal(on_track), Decimal(at_risk)


def tolerance_pct(metric) -> Decimal:
    """A maintain metric's tolerance in percent of the target, default filled in."""
    return Decimal(metric.tolerance_pct if metric.tolerance_pct is not None else DEFAULT_TOLERANCE_PCT)


def attainment(metric, actual, target) -> Decimal | None:
    """How far ``actual`` meets ``target``, in percent (100 = exactly on target).

    increase: actual / target.  decrease: target / actual.  maintain: 100 while within the
    tolerance of the target, then one point less per point of further deviation.  range:
    100 inside [low, high]; below it actual / low, above it high / actual.
    """
    if actual is None:
        return None
    actual = Decimal(actual)
    direction = metric.direction
    if direction == "range":
        low, high = metric.range_low, metric.range_high
        if low is None or high is None:
            return None
        low, high = Decimal(low), Decimal(high)
        if actual < low:
            return _ratio(actual, low)
        if actual > high:
            return _ratio(high, actual) if actual != 0 else HUNDRED
        return HUNDRED
    if target is None:
        return None
    target = Decimal(target)
    if direction == "increase":
        return _ratio(actual, target) if target != 0 else HUNDRED
    if direction == "decrease":
        return _ratio(target, actual) if actual != 0 else HUNDRED
    if direction == "maintain":
        tolerance = tolerance_pct(metric)
        if target == 0:
            deviation = Decimal(0) if actual == 0 else HUNDRED
        else:
            deviation = abs(actual - target) / abs(target) * HUNDRED
        return max(HUNDRED - max(deviation - tolerance, Decimal(0)), Decimal(0))
    raise ValueError(f"unknown direction {direction!r}")


def status_for_attainment(metric, value) -> str:
    """on track at or above the on-track threshold, at risk at or above the at-risk one."""
    if value is None:
        return NO_DATA
    on_track, at_risk = thresholds(metric)
    if value >= on_track:
        return ON_TRACK
    if value >= at_risk:
        return AT_RISK
    return OFF_TRACK


def reading_status(metric, actual, target) -> str:
    return status_for_attainment(metric, attainment(metric, actual, target))


def _band(threshold, low, high):
    """The (low, high) values whose attainment is at least ``threshold``, inverting
    ``attainment``'s actual / low below ``low`` and high / actual above ``high``; None as a
    bound means unbounded on that side (``low`` or ``high`` None, or a threshold of 0)."""
    return (
        low * threshold / HUNDRED if low is not None else None,
        high * HUNDRED / threshold if high is not None and threshold > 0 else None,
    )


def threshold_bands(metric, target):
    """``((on_low, on_high), (risk_low, risk_high))``: the values of the metric at which a
    period with ``target`` is on track, and at risk or better — where ``reading_status`` changes.

    The inverse of ``attainment`` by direction, with the metric's own ``thresholds`` (and
    tolerance): increase is bounded below, decrease above, maintain around the target, range
    around [low, high] (``target`` unused). None as a bound means unbounded on that side; None
    in all when there is nothing to judge against (no target, or a range without both ends).
    """
    on, risk = thresholds(metric)
    direction = metric.direction
    if direction == "range":
        if metric.range_low is None or metric.range_high is None:
            return None
        low, high = Decimal(metric.range_low), Decimal(metric.range_high)
        return _band(on, low, high), _band(risk, low, high)
    if target is None:
        return None
    target = Decimal(target)
    if direction == "increase":
        return _band(on, target, None), _band(risk, target, None)
    if direction == "decrease":
        return _band(on, None, target), _band(risk, None, target)
    if direction == "maintain":
        # attainment = 100 - (deviation - tolerance) once past the tolerance, so a status holds
        # while the deviation is within tolerance + 100 - threshold percent of the target.
        tolerance = tolerance_pct(metric)

        def around(threshold):
            spread = max(tolerance + HUNDRED - threshold, Decimal(0)) * abs(target) / HUNDRED
            return target - spread, target + spread

        return around(on), around(risk)
    return None


@dataclass(frozen=True)
class MetricStatus:
    status: str
    period_start: date | None


def metric_status(metric, all_periods, latest_reading, today: date, grace_days: int) -> MetricStatus:
    """A metric's current status.

    ``latest_reading`` is ``(period_start, status)`` of its most recent reading, or None.
    Overdue when a period after the latest reading is past its due date and grace; else the
    latest reading's status; before any period is due and with no reading, no data yet.
    """
    latest_due = None
    for period in reversed(all_periods):
        if is_overdue(period, metric.due_days, today, grace_days):
            latest_due = period
            break
    if latest_due is not None and (latest_reading is None or latest_due.start > latest_reading[0]):
        return MetricStatus(OVERDUE, latest_due.start)
    if latest_reading is not None:
        return MetricStatus(latest_reading[1], latest_reading[0])
    return MetricStatus(NO_DATA, None)


def milestone_status(due: date, status: str, today: date) -> str | None:
    """What a milestone contributes to contract health (None: nothing)."""
    if status == "not_met" or (status == "scheduled" and due < today):
        return OFF_TRACK
    if status == "partially_met":
        return AT_RISK
    return None


def worst(statuses) -> str:
    statuses = [s for s in statuses if s]
    if not statuses:
        return NO_DATA
    return min(statuses, key=lambda s: _RANK.get(s, len(SEVERITY)))


def contract_health(metric_statuses, milestones, today: date) -> str:
    """The worst of the metrics' statuses and the missed milestones.

    ``milestones`` is an iterable of ``(due_date, status)``. Order: off track > overdue >
    at risk > on track > no data yet.
    """
    parts = list(metric_statuses)
    parts.extend(milestone_status(due, status, today) for due, status in milestones)
    return worst(parts)
