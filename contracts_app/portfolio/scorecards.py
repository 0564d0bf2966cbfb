"""Read models for the contract and vendor scorecards.

- ``contract_scorecard`` (page ``portfolio.scorecard``): each metric's actuals against its
  targets over the periods so far (an SVG chart and its table), flag history, check-in history
  and the closeout evaluation.
- ``vendor_scorecard`` (page ``portfolio.vendor_scorecard``): a vendor's contracts, the share of
  their reporting periods on track, flags, and closeout evaluations against the city's average.

Every page runs a fixed number of queries whatever the number of contracts, metrics or
readings: rows of one kind come in one query, figures are aggregated in SQL.
"""
from __future__ import annotations

from flask_babel import gettext as _, ngettext
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.contracts.models import Contract
from contracts_app.milestones.models import Milestone
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn, Flag
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.metrics.status import grace_days, metric_periods, target_for, today_for
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation
from contracts_app.portfolio.scorecard_charts import metric_chart

PENDING = "pending"  # a period whose reading is not yet due (or due but inside the grace days)


# --- contract scorecard ---------------------------------------------------------------------


@dataclass
class PeriodRow:
    period: rules.Period
    label: str
    target: Decimal | None
    actual: Decimal | None
    attainment: Decimal | None
    status: str
    bands: tuple | None
    flags: list = field(default_factory=list)


@dataclass
class MetricSeries:
    metric: object
    rows: list
    summary: str
    chart_id: str

    @property
    def chart(self):
        return metric_chart(self, self.chart_id)


def _summary(metric, rows):
    """The chart's text equivalent in one sentence."""
    read = [row for row in rows if row.actual is not None]
    counts = defaultdict(int)
    for row in read:
        counts[row.status] += 1
    flagged = sum(1 for row in rows if row.flags)
    parts = [ngettext('%(num)s period so far, %(read)s with a reading', '%(num)s periods so far, %(read)s with a reading', len(rows), read=len(read))]
    if read:
        parts.append(", ".join(f"{counts[s]} {rules.STATUS_LABELS[s].lower()}" for s in (rules.ON_TRACK, rules.AT_RISK, rules.OFF_TRACK) if counts[s]))
        latest = read[-1]
        parts.append(_('latest %(label)s: %(actual)s against a target of %(target)s', label=latest.label, actual=_plain(latest.actual), target=_plain(rules.shown_target(latest.target, metric))))
    if flagged:
        parts.append(ngettext('%(num)s flagged period', '%(num)s flagged periods', flagged))
    return "; ".join(p for p in parts if p) + "."


def _plain(value, places=4):
    """A number for the chart's summary: rounded, no trailing zeros."""
    if value is None:
        return "—"
    text = format(round(Decimal(value), places).normalize(), "f")
    return text


def metric_series(contract, metrics, now):
    """Each metric's periods up to today with target, actual, attainment, status, bands and flags.

    Three queries in all (readings, explicit targets, metric flags), whatever the number of
    metrics; the flags are returned too, for the flag history.
    """
    today = today_for(now)
    grace = grace_days()
    ids = [m.id for m in metrics]
    readings = {}
    explicit = defaultdict(dict)
    if ids:
        for metric_id, start, value, status in db.session.execute(
            select(Reading.metric_id, Reading.period_start, Reading.value, Reading.status).where(Reading.metric_id.in_(ids))
        ):
            readings[(metric_id, start)] = (value, status)
        for metric_id, start, value in db.session.execute(
            select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value).where(MetricTarget.metric_id.in_(ids))
        ):
            explicit[metric_id][start] = value
    flags = db.session.scalars(
        select(Flag)
        .where(Flag.contract_id == contract.id)
        .options(joinedload(Flag.resolved_by))
        .order_by(Flag.opened_at.desc(), Flag.id.desc())
    ).all()
    # flag.metric needs no query: the many-to-one lazy load finds the metric, already loaded,
    # in the session's identity map.
    flags_by_period = defaultdict(list)
    for flag in flags:
        if flag.metric_id is not None:
            flags_by_period[(flag.metric_id, flag.period_start)].append(flag)
    series = []
    for metric in metrics:
        targets = explicit.get(metric.id, {})
        rows = []
        for period in metric_periods(metric):
            if period.start > today:
                break
            target = target_for(metric, period, targets) if metric.direction != "range" else None
            actual, status = readings.get((metric.id, period.start), (None, None))
            achieved = rules.attainment(metric, actual, target) if actual is not None else None
            if actual is None:
                status = rules.OVERDUE if rules.is_overdue(period, metric.due_days, today, grace) else PENDING
            rows.append(PeriodRow(
                period=period, label=period.label(metric.cadence), target=target, actual=actual, attainment=achieved,
                status=status, bands=rules.threshold_bands(metric, target),
                flags=flags_by_period.get((metric.id, period.start), []),
            ))
        series.append(MetricSeries(metric=metric, rows=rows, summary="", chart_id=f"metric-{metric.id}-chart"))
        series[-1].summary = _summary(metric, rows)
    return series, flags


def held_checkins(contract_id):
    """Held check-ins, latest first, with their action items (two queries)."""
    return db.session.scalars(
        select(CheckIn)
        .where(CheckIn.contract_id == contract_id, CheckIn.status == "held")
        .options(selectinload(CheckIn.action_items))
        .order_by(CheckIn.held_on.desc(), CheckIn.id.desc())
    ).all()


def contract_scorecard(contract, now):
    """The scorecard's figures for ``contract`` (loaded with its metrics): the metric series,
    flags, the milestones the flags name, held check-ins, the closeout evaluation and the number
    of open flags. At most seven queries, whatever the number of metrics, readings and flags."""
    series, flags = metric_series(contract, contract.metrics, now)
    # Milestone flags name their milestone: load those in one query, so that flag.milestone
    # finds them in the identity map instead of a query per flag.
    # (The list is kept while the page renders: the identity map holds rows weakly.)
    milestone_ids = {f.milestone_id for f in flags if f.milestone_id is not None}
    milestones = (
        db.session.scalars(select(Milestone).where(Milestone.id.in_(milestone_ids))).all() if milestone_ids else []
    )
    checkins = held_checkins(contract.id)
    evaluation = db.session.scalar(
        select(CloseoutEvaluation)
        .where(CloseoutEvaluation.contract_id == contract.id)
        .options(joinedload(CloseoutEvaluation.evaluated_by))
    )
    return {
        "series": series, "flags": flags, "milestones": milestones, "checkins": checkins, "evaluation": evaluation,
        "open_flags": sum(1 for f in flags if f.is_open),
    }


# --- vendor scorecard -------------------------------------------------------------------------


def _rating_sum():
    return (
        CloseoutEvaluation.quality + CloseoutEvaluation.schedule
        + CloseoutEvaluation.cost_control + CloseoutEvaluation.management
    )


def _average(total, count=len(RATING_FIELDS)):
    """An average from SQL (float on SQLite, Decimal on PostgreSQL) as Decimal to 2 places."""
    if total is None:
        return None
    return (Decimal(str(total)) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def vendor_figures(vendor_id):
    """Per-contract reading shares and flag counts, totals, and rating averages: three queries."""
    period_rows = db.session.execute(
        select(
            Metric.contract_id,
            func.count(Reading.id),
            func.count(Reading.id).filter(Reading.status == rules.ON_TRACK),
        )
        .select_from(Reading)
        .join(Metric, Reading.metric_id == Metric.id)
        .join(Contract, Metric.contract_id == Contract.id)
        .where(Contract.vendor_id == vendor_id)
        .group_by(Metric.contract_id)
    ).all()
    periods = {cid: (total, on_track) for cid, total, on_track in period_rows}
    flag_rows = db.session.execute(
        select(Flag.contract_id, func.count(Flag.id), func.count(Flag.id).filter(Flag.resolved_at.is_(None)))
        .join(Contract, Flag.contract_id == Contract.id)
        .where(Contract.vendor_id == vendor_id)
        .group_by(Flag.contract_id)
    ).all()
    flags = {cid: (total, open_) for cid, total, open_ in flag_rows}
    is_vendor = CloseoutEvaluation.vendor_id == vendor_id
    ratings = db.session.execute(
        select(
            func.avg(_rating_sum()),
            func.count(CloseoutEvaluation.id),
            func.avg(_rating_sum()).filter(is_vendor),
            func.count(CloseoutEvaluation.id).filter(is_vendor),
            *[func.avg(getattr(CloseoutEvaluation, name)).filter(is_vendor) for name in RATING_FIELDS],
        )
    ).one()
    readings_total = sum(total for total, _ in periods.values())
    readings_on_track = sum(on for _, on in periods.values())
    return {
        "periods": periods,
        "flags": flags,
        "readings_total": readings_total,
        "readings_on_track": readings_on_track,
        "share_on_track": rules.share(readings_on_track, readings_total),
        "flags_total": sum(total for total, _ in flags.values()),
        "flags_open": sum(open_ for _, open_ in flags.values()),
        "city_average": _average(ratings[0]),
        "city_evaluations": ratings[1],
        "vendor_average": _average(ratings[2]),
        "vendor_evaluations": ratings[3],
        "vendor_by_rating": {name: _average(value, 1) for name, value in zip(RATING_FIELDS, ratings[4:])},
    }


def vendor_scorecard(vendor):
    """The vendor scorecard's figures: its contracts (latest first), ``vendor_figures``, its
    closeout evaluations (latest first), and the total value of its contracts when they share
    one currency. Five queries."""
    contracts = db.session.scalars(
        select(Contract).where(Contract.vendor_id == vendor.id).order_by(Contract.start_date.desc(), Contract.id.desc())
    ).all()
    figures = vendor_figures(vendor.id)
    evaluation_rows = db.session.scalars(
        select(CloseoutEvaluation)
        .where(CloseoutEvaluation.vendor_id == vendor.id)
        .options(joinedload(CloseoutEvaluation.contract), joinedload(CloseoutEvaluation.evaluated_by))
        .order_by(CloseoutEvaluation.evaluated_on.desc(), CloseoutEvaluation.id.desc())
    ).all()
    return {
        "contracts": contracts, "figures": figures, "evaluations": evaluation_rows,
        "total_value": sum((c.value for c in contracts if c.currency == contracts[0].currency), Decimal(0)) if contracts else None,
        "single_currency": len({c.currency for c in contracts}) <= 1,
    }
