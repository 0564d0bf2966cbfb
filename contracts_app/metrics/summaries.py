"""Read models of metrics for the pages and the API: the periods a reading can be entered for,
a metric's periods with their targets and readings, and each metric's latest state for its contract."""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.auth.models import User
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.formatting import plain_number
from contracts_app.metrics.models import INDICATOR_TYPES
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import Metric, MetricTarget, Reading, ReadingRevision


@dataclass
class PeriodOption:
    """A started period offered on the reading form: its label says where it stands
    ("Oct 2026 — overdue since 14 Nov"), with its reading's id if one is recorded."""

    period: rules.Period
    label: str
    reading_id: int | None
    state: str = rules.DUE
    suggested: bool = False

    @property
    def recorded(self):
        return self.reading_id is not None

    @property
    def in_progress(self):
        return self.state == rules.IN_PROGRESS


def reading_period_options(metric, now=None):
    """The periods a reading can be entered for: every period of the term that has started,
    labelled with its state, with the id of its reading when one is recorded already. The
    default (``suggested``) is the oldest ended period without a reading
    (``rules.default_reading_period``)."""
    today = status.today_for(now or utcnow())
    grace = status.grace_days()
    recorded = dict(
        db.session.execute(select(Reading.period_start, Reading.id).where(Reading.metric_id == metric.id)).all()
    )
    all_periods = status.metric_periods(metric)
    default = rules.default_reading_period(all_periods, recorded, today)
    return [
        PeriodOption(
            p, rules.period_option_label(p, metric.cadence, metric.due_days, today, grace, p.start in recorded),
            recorded.get(p.start), rules.period_state(p, metric.due_days, today, grace), p == default,
        )
        for p in all_periods
        if p.start <= today
    ]


def suggested_period(options):
    """The period a new reading most likely is for (see ``reading_period_options``), or None."""
    return next((option.period for option in options if option.suggested), None)


def _recorded_starts(metric_ids):
    """{metric id: set of period starts with a reading}, in one query."""
    recorded = {metric_id: set() for metric_id in metric_ids}
    if metric_ids:
        for metric_id, start in db.session.execute(
            select(Reading.metric_id, Reading.period_start).where(Reading.metric_id.in_(metric_ids))
        ):
            recorded[metric_id].add(start)
    return recorded


@dataclass
class ReadingGaps:
    """The ended periods of a contract's metrics that have no reading (the back-fill prompt)."""

    by_metric: dict  # metric id -> [Period, ...], oldest first; only metrics with a gap
    labels: dict  # period start -> label, for the periods in ``starts``
    overdue: int = 0  # how many of them are past their due date and grace

    @property
    def count(self):
        return sum(len(periods) for periods in self.by_metric.values())

    @property
    def starts(self):
        """The distinct period starts lacking a reading, oldest first: the dates the
        contract-period form is opened on."""
        return sorted({p.start for periods in self.by_metric.values() for p in periods})

    @property
    def oldest(self):
        starts = self.starts
        return starts[0] if starts else None


def reading_gaps(contract, now=None):
    """Which ended periods of ``contract``'s metrics lack a reading (``ReadingGaps``), in one
    query for the readings whatever the number of metrics."""
    today = status.today_for(now or utcnow())
    metrics = list(contract.metrics)
    recorded = _recorded_starts([m.id for m in metrics])
    grace = status.grace_days()
    by_metric, labels, overdue = {}, {}, 0
    for metric in metrics:
        all_periods = rules.periods(contract.start_date, contract.end_date, metric.cadence)
        missing = rules.unrecorded_ended_periods(all_periods, recorded[metric.id], today)
        if missing:
            by_metric[metric.id] = missing
            for period in missing:
                labels.setdefault(period.start, period.label(metric.cadence))
                overdue += rules.is_overdue(period, metric.due_days, today, grace)
    return ReadingGaps(by_metric, labels, overdue)


@dataclass
class PeriodEntryRow:
    """One metric on the contract-period reading form: its period containing the chosen date."""

    metric: Metric
    period: rules.Period
    label: str


def period_entry_rows(contract, day, now=None, only=None):
    """The metrics of ``contract`` to enter on the form for the period of ``day``.

    Each metric's period is the one of its own cadence that contains ``day`` (for a monthly
    metric the month, for a quarterly one the quarter, ...). A metric is listed when that
    period has ended (its data is due or overdue) and has no reading yet: what a contract
    manager has in hand for "October" is every figure of October, and of the quarter that
    October closes. Periods in progress are left to the single-metric form, which asks for a
    confirmation.

    ``only`` (metric ids, as a submitted form names them) lists those metrics in that order
    whatever their period's state, so that the service reports a row recorded meanwhile; a
    metric not of this contract, or without a period containing ``day``, is left out.
    """
    today = status.today_for(now or utcnow())
    grace = status.grace_days()
    by_id = {m.id: m for m in contract.metrics}
    metrics = [by_id[i] for i in only if i in by_id] if only is not None else list(by_id.values())
    recorded = _recorded_starts([m.id for m in metrics]) if only is None else {}
    rows = []
    for metric in metrics:
        period = rules.period_containing(rules.periods(contract.start_date, contract.end_date, metric.cadence), day)
        if period is None:
            continue
        if only is None and (
            period.start in recorded[metric.id]
            or rules.period_state(period, metric.due_days, today, grace) not in (rules.DUE, rules.OVERDUE)
        ):
            continue
        label = rules.period_option_label(period, metric.cadence, metric.due_days, today, grace)
        rows.append(PeriodEntryRow(metric, period, label))
    return rows


@dataclass
class PeriodRow:
    """One period of a metric's term as the detail page shows it."""

    period: rules.Period
    label: str
    due: date
    target: Decimal | None
    reading: Reading | None
    attainment: Decimal | None
    # A rules status for a reading or an overdue period; "awaiting" (started, not yet overdue)
    # or "upcoming" (not started) otherwise.
    state: str
    in_term: bool = True


def range_text(metric):
    """A range metric's bounds as "low–high", or None without both."""
    if metric.range_low is None or metric.range_high is None:
        return None
    return f"{plain_number(metric.range_low)}–{plain_number(metric.range_high)}"


def metric_period_rows(metric, now=None):
    """Every period of the term with its target, reading, attainment and status.

    Readings (with their revisions and who recorded them) and explicit targets are each loaded
    in one query. Readings left outside the term (after the term changed) are listed at the end.
    """
    now = now or utcnow()
    today = status.today_for(now)
    grace = status.grace_days()
    explicit = dict(
        db.session.execute(
            select(MetricTarget.period_start, MetricTarget.value).where(MetricTarget.metric_id == metric.id)
        ).all()
    )
    readings = {
        r.period_start: r
        for r in db.session.scalars(
            select(Reading)
            .where(Reading.metric_id == metric.id)
            .options(
                joinedload(Reading.recorded_by), joinedload(Reading.submitted_by), joinedload(Reading.verified_by),
                selectinload(Reading.revisions).joinedload(ReadingRevision.recorded_by),
                selectinload(Reading.revisions).joinedload(ReadingRevision.replaced_by),
                selectinload(Reading.revisions).joinedload(ReadingRevision.submitted_by),
                selectinload(Reading.revisions).joinedload(ReadingRevision.verified_by),
            )
        ).unique()
    }
    rows = []
    for period in status.metric_periods(metric):
        target = status.target_for(metric, period, explicit)
        reading = readings.pop(period.start, None)
        achieved = rules.attainment(metric, reading.value, target) if reading is not None else None
        if reading is not None:
            state = reading.status
        elif rules.is_overdue(period, metric.due_days, today, grace):
            state = rules.OVERDUE
        elif period.start > today:
            state = "upcoming"
        else:
            state = "awaiting"
        rows.append(
            PeriodRow(period, period.label(metric.cadence), rules.due_date(period, metric.due_days), target, reading, achieved, state)
        )
    for reading in readings.values():
        period = rules.Period(reading.period_start, reading.period_end)
        rows.append(
            PeriodRow(period, period.label(metric.cadence), rules.due_date(period, metric.due_days), None, reading,
                      None, reading.status, in_term=False)
        )
    return rows


@dataclass
class ReadingRow:
    """One reading as the API answers it: its period's target and attainment (as its row of
    ``metric_period_rows`` has them) and how many times it was corrected."""

    reading: Reading
    target: Decimal | None
    attainment: Decimal | None
    corrections: int


def reading_row(reading_id):
    """The ``ReadingRow`` of one reading: the reading, its number of revisions and its period's
    explicit target, not the metric's whole period table. None when there is no such reading.

    One statement reads the count, the explicit target and who recorded the reading; the
    reading, its metric and contract come from the session (read only if not loaded, or
    expired by a commit). The target and attainment are those of the reading's row in
    ``metric_period_rows``: its period's target when the reading starts a period of the term,
    else none."""
    reading = db.session.get(Reading, reading_id)
    if reading is None:
        return None
    corrections = (
        select(func.count(ReadingRevision.id)).where(ReadingRevision.reading_id == Reading.id).scalar_subquery()
    )
    explicit = (
        select(MetricTarget.value)
        .where(MetricTarget.metric_id == Reading.metric_id, MetricTarget.period_start == Reading.period_start)
        .scalar_subquery()
    )
    # The recorder is loaded here (an outer join), so that reading.recorded_by finds it in the
    # session without a statement of its own.
    _user, count, explicit_value = db.session.execute(
        select(User, corrections, explicit)
        .select_from(Reading)
        .outerjoin(User, User.id == Reading.recorded_by_id)
        .where(Reading.id == reading_id)
    ).one()
    metric = reading.metric
    period = rules.period_starting(status.metric_periods(metric), reading.period_start)
    if period is None:
        return ReadingRow(reading, None, None, count)
    explicit_targets = {period.start: explicit_value} if explicit_value is not None else {}
    target = status.target_for(metric, period, explicit_targets)
    return ReadingRow(reading, target, rules.attainment(metric, reading.value, target), count)


@dataclass
class MetricSummary:
    """A metric with its latest reading, that reading's target and attainment, for the contract page."""

    metric: Metric
    latest: Reading | None = None
    latest_label: str | None = None
    target: Decimal | None = None
    attainment: Decimal | None = None
    next_period: rules.Period | None = None
    next_due: date | None = None
    tags: list = dataclass_field(default_factory=list)
    # Ended periods without a reading (oldest first), and the contract's ReadingGaps, for the
    # back-fill prompt.
    missing: list = dataclass_field(default_factory=list)
    gaps: "ReadingGaps | None" = None

    @property
    def status(self):
        # The stored status: overdue and "no data yet" come from there, not from the reading.
        return self.metric.status

    @property
    def range_text(self):
        return range_text(self.metric)


def contract_metric_summaries(contract, now=None):
    """One MetricSummary per metric of ``contract``, in their order, for the contract page.

    Bounded queries whatever the number of metrics: the metrics (if not loaded), the latest
    reading of every metric in one query, their explicit targets in one query, and the period
    starts of their readings in one query (``reading_gaps``).
    """
    now = now or utcnow()
    today = status.today_for(now)
    metrics = list(contract.metrics)
    if not metrics:
        return []
    ids = [m.id for m in metrics]
    latest = latest_readings(ids)
    explicit = {}
    starts = {r.period_start for r in latest.values()}
    if starts:
        for metric_id, start, value in db.session.execute(
            select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value).where(
                MetricTarget.metric_id.in_(ids), MetricTarget.period_start.in_(starts)
            )
        ):
            explicit.setdefault(metric_id, {})[start] = value

    gaps = reading_gaps(contract, now)
    summaries = []
    for metric in metrics:
        summary = MetricSummary(metric, missing=gaps.by_metric.get(metric.id, []), gaps=gaps)
        periods = rules.periods(contract.start_date, contract.end_date, metric.cadence)
        reading = latest.get(metric.id)
        if reading is not None:
            period = rules.period_starting(periods, reading.period_start) or rules.Period(reading.period_start, reading.period_end)
            summary.latest = reading
            summary.latest_label = period.label(metric.cadence)
            summary.target = rules.target_for_period(
                metric, period, contract.start_date, contract.end_date, explicit.get(metric.id)
            )
            summary.attainment = rules.attainment(metric, reading.value, summary.target)
        after = reading.period_start if reading is not None else None
        for period in periods:
            if (after is None or period.start > after) and period.start <= today:
                summary.next_period = period
                summary.next_due = rules.due_date(period, metric.due_days)
                break
        summary.tags = ([str(INDICATOR_TYPES.get(metric.indicator_type, metric.indicator_type.capitalize()))]
                        + ([_("Payment-linked")] if metric.payment_linked else []))
        summaries.append(summary)
    return summaries


def latest_readings(metric_ids):
    """{metric id: its reading for the latest period} for ``metric_ids``, in one statement."""
    if not metric_ids:
        return {}
    latest_start = (
        select(Reading.metric_id, func.max(Reading.period_start).label("period_start"))
        .where(Reading.metric_id.in_(metric_ids))
        .group_by(Reading.metric_id)
        .subquery()
    )
    return {
        reading.metric_id: reading
        for reading in db.session.scalars(
            select(Reading).join(
                latest_start,
                and_(Reading.metric_id == latest_start.c.metric_id, Reading.period_start == latest_start.c.period_start),
            )
        )
    }

