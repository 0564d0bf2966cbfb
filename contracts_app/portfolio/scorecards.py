"""Contract and vendor scorecards, and the closeout evaluation form.

- ``portfolio.scorecard``: a contract's goals and payment structure, each metric's actuals
  against its targets over the periods so far (an SVG chart and its table), flag history and
  check-in history.
- ``portfolio.vendor_scorecard``: a vendor's contracts, the share of their reporting periods on
  track, flags, and closeout evaluations against the city's average.
- ``portfolio.evaluation``: record or edit a completed contract's closeout evaluation.

Every page runs a fixed number of queries whatever the number of contracts, metrics or
readings: rows of one kind come in one query, figures are aggregated in SQL.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.contracts.models import Contract, Vendor

from contracts_app.milestones.models import Milestone
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn, Flag
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.metrics.status import grace_days, metric_periods, target_for, today_for
from contracts_app.permissions import require
from contracts_app.portfolio import bp
from contracts_app.portfolio import evaluations
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation
from contracts_app.portfolio.scorecard_charts import metric_chart, threshold_bands
from contracts_app.forms_common import show_error

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
    parts = [f"{len(rows)} period{'s' if len(rows) != 1 else ''} so far, {len(read)} with a reading"]
    if read:
        parts.append(", ".join(f"{counts[s]} {rules.STATUS_LABELS[s].lower()}" for s in (rules.ON_TRACK, rules.AT_RISK, rules.OFF_TRACK) if counts[s]))
        latest = read[-1]
        parts.append(f"latest {latest.label}: {_plain(latest.actual, 4)} against a target of {_plain(latest.target)}")
    if flagged:
        parts.append(f"{flagged} flagged period{'s' if flagged != 1 else ''}")
    return "; ".join(p for p in parts if p) + "."


def _plain(value, places=2):
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
                status=status, bands=threshold_bands(metric, target),
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


@bp.route("/portfolio/contracts/<int:contract_id>")
def scorecard(contract_id):
    now = utcnow()
    contract = db.get_or_404(
        Contract, contract_id,
        options=[joinedload(Contract.vendor), selectinload(Contract.metrics), selectinload(Contract.priorities)],
    )
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
    return render_template(
        "portfolio/scorecard.html", contract=contract, series=series, flags=flags, checkins=checkins,
        evaluation=evaluation, can_evaluate=evaluations.can_evaluate(current_user, contract),
        evaluable=evaluations.is_evaluable(contract),
        rating_fields=RATING_FIELDS, open_flags=sum(1 for f in flags if f.is_open), pending=PENDING, today=today_for(now), milestones=milestones,
    )


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
        "share_on_track": (Decimal(readings_on_track) * 100 / readings_total) if readings_total else None,
        "flags_total": sum(total for total, _ in flags.values()),
        "flags_open": sum(open_ for _, open_ in flags.values()),
        "city_average": _average(ratings[0]),
        "city_evaluations": ratings[1],
        "vendor_average": _average(ratings[2]),
        "vendor_evaluations": ratings[3],
        "vendor_by_rating": {name: _average(value, 1) for name, value in zip(RATING_FIELDS, ratings[4:])},
    }


def share(on_track, total):
    return (Decimal(on_track) * 100 / total) if total else None


@bp.route("/portfolio/vendors/<int:vendor_id>")
def vendor_scorecard(vendor_id):
    vendor = db.get_or_404(Vendor, vendor_id)
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
    return render_template(
        "portfolio/vendor.html", vendor=vendor, contracts=contracts, figures=figures, evaluations=evaluation_rows,
        rating_fields=RATING_FIELDS, share=share,
        total_value=sum((c.value for c in contracts if c.currency == contracts[0].currency), Decimal(0)) if contracts else None,
        single_currency=len({c.currency for c in contracts}) <= 1,
    )


# --- closeout evaluation ----------------------------------------------------------------------




@bp.route("/portfolio/contracts/<int:contract_id>/evaluation", methods=["GET", "POST"])
def evaluation(contract_id):
    """Record (or edit) the closeout evaluation of a completed or terminated contract.

    For a contract still running, GET explains why there is nothing to fill in (200) and POST
    changes nothing and goes back to the scorecard with that message.
    """
    now = utcnow()
    contract = db.get_or_404(Contract, contract_id, options=[joinedload(Contract.vendor)])
    require(evaluations.can_evaluate(current_user, contract))
    if not evaluations.is_evaluable(contract):
        if request.method == "POST":
            flash(
                f"{contract.reference} is {contract.status_label.lower()}: a closeout evaluation can be recorded once "
                "it is completed or terminated. Nothing was saved.",
                "warning",
            )
            return redirect(url_for("portfolio.scorecard", contract_id=contract.id))
        return render_template("portfolio/evaluation_form.html", contract=contract, form=None, existing=None)
    existing = evaluations.evaluation_for(contract.id)
    today = today_for(now)
    form = evaluations.EvaluationForm.for_evaluation(
        existing, today, formdata=request.form if request.method == "POST" else None
    )
    if form.validate_on_submit():
        try:
            _saved, created = evaluations.save_evaluation(contract, current_user, form.values(), now=now)
        except evaluations.EvaluationError as error:
            show_error(form, error)
        else:
            flash("Closeout evaluation recorded." if created else "Closeout evaluation updated.", "success")
            return redirect(url_for("portfolio.scorecard", contract_id=contract.id) + "#evaluation")
    return render_template("portfolio/evaluation_form.html", contract=contract, form=form, existing=existing, today=today)
