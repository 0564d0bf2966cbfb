"""What isn't working (read models for ``portfolio.not_working``): metrics off track several
periods running, and contracts ending soon with the evidence for a renew / rebid / reallocate
decision.

Every figure comes from stored statuses aggregated in SQL: a fixed number of queries whatever
the number of contracts, metrics or readings.
"""
from contracts_app.i18n import lazy_gettext as _l
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.management.models import Flag
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.portfolio.queries import last_held_checkins, strategic_conditions, vendor_ratings_subquery

MIN_RUN = 3  # off track this many periods running or more
DEFAULT_HORIZON_DAYS = 120

# Neutral hints: the renew / rebid / reallocate decision is the chief data officer's.
HINTS = {
    "performing": _l("Performing"),
    "mixed": _l("Mixed"),
    "lagging": _l("Lagging"),
    "no_evidence": _l("No readings yet"),
}


def horizon_days():
    return int(current_app.config.get("NOT_WORKING_HORIZON_DAYS", DEFAULT_HORIZON_DAYS))


def _strategic():
    """Active, unarchived contracts."""
    return and_(*strategic_conditions())


def _days_between(later, earlier):
    """``later - earlier`` in whole days, portable between SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier  # date - date is an integer number of days on PostgreSQL


# --- off track several periods running ----------------------------------------------------------


@dataclass
class OffTrackRun:
    metric: Metric
    run_length: int
    latest_value: object
    latest_period: rules.Period
    target: object  # a Decimal, a "low – high" range text, or None


def off_track_runs(min_run=MIN_RUN):
    """Metrics of strategic contracts whose latest ``min_run`` or more readings are off track
    with no period missing in between. Two queries.

    Each metric's readings are ranked newest first (row_number); a rank *breaks* the run when
    its status is not off track, or when its period does not end the day before the newer
    reading's period starts (a period without a reading). The run length is the first breaking
    rank minus one (a grouped MIN), or every reading when nothing breaks.
    """
    order = Reading.period_start.desc()
    ranked = (
        select(
            Reading.metric_id,
            Reading.status,
            Reading.value,
            Reading.period_start,
            Reading.period_end,
            func.row_number().over(partition_by=Reading.metric_id, order_by=order).label("rank"),
            func.lag(Reading.period_start).over(partition_by=Reading.metric_id, order_by=order).label("newer_start"),
        )
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(_strategic())
        .subquery("ranked")
    )
    breaks = or_(
        ranked.c.status != rules.OFF_TRACK,
        and_(ranked.c.newer_start.is_not(None), _days_between(ranked.c.newer_start, ranked.c.period_end) > 1),
    )
    runs = (
        select(
            ranked.c.metric_id,
            func.count().label("readings"),
            func.min(case((breaks, ranked.c.rank))).label("first_break"),
        )
        .group_by(ranked.c.metric_id)
        .subquery("runs")
    )
    run_length = func.coalesce(runs.c.first_break - 1, runs.c.readings)
    latest = ranked.alias("latest")
    rows = db.session.execute(
        select(Metric, run_length.label("run_length"), latest.c.value, latest.c.period_start, latest.c.period_end)
        .join(runs, runs.c.metric_id == Metric.id)
        .join(latest, and_(latest.c.metric_id == Metric.id, latest.c.rank == 1))
        .join(Metric.contract)
        .options(joinedload(Metric.contract).joinedload(Contract.vendor))
        .where(run_length >= min_run)
        .order_by(run_length.desc(), Contract.reference, Metric.position, Metric.id)
    ).all()
    explicit = {}
    if rows:
        for metric_id, start, value in db.session.execute(
            select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value).where(
                MetricTarget.metric_id.in_([row[0].id for row in rows])
            )
        ):
            explicit.setdefault(metric_id, {})[start] = value
    result = []
    for metric, length, value, start, end in rows:
        period = rules.Period(start, end)
        if metric.direction == "range":
            target = None
            if metric.range_low is not None and metric.range_high is not None:
                target = (metric.range_low, metric.range_high)
        else:
            contract = metric.contract
            target = rules.target_for_period(
                metric, period, contract.start_date, contract.end_date, explicit.get(metric.id, {})
            )
        result.append(OffTrackRun(metric, int(length), value, period, target))
    return result


# --- ending soon --------------------------------------------------------------------------------


@dataclass
class EndingContract:
    contract: Contract
    days_left: int
    periods: int
    periods_on_track: int
    open_flags: int
    last_checkin: object
    vendor_evaluations: int
    vendor_rating: object  # mean of the vendor's closeout ratings (1–5), or None
    hint: str

    @property
    def on_track_share(self):
        return rules.share(self.periods_on_track, self.periods)

    @property
    def hint_label(self):
        return HINTS[self.hint]


def hint_for(health, periods, on_track):
    """A neutral reading of the evidence, not a decision."""
    if not periods:
        return "no_evidence"
    share = rules.share(on_track, periods)
    if health in (rules.OFF_TRACK, rules.OVERDUE) or share < 50:
        return "lagging"
    if health == rules.ON_TRACK and share >= 75:
        return "performing"
    return "mixed"


def ending_soon(today, horizon=None):
    """Strategic contracts whose term ends within ``horizon`` days of ``today`` (inclusive), with
    their performance summary. One query: each figure is a grouped subquery joined on."""
    horizon = horizon_days() if horizon is None else horizon
    periods = (
        select(
            Metric.contract_id.label("contract_id"),
            func.count(Reading.id).label("periods"),
            func.sum(case((Reading.status == rules.ON_TRACK, 1), else_=0)).label("on_track"),
        )
        .join(Reading, Reading.metric_id == Metric.id)
        .group_by(Metric.contract_id)
        .subquery("periods")
    )
    flags = (
        select(Flag.contract_id.label("contract_id"), func.count(Flag.id).label("open_flags"))
        .where(Flag.resolved_at.is_(None))
        .group_by(Flag.contract_id)
        .subquery("open_flags")
    )
    checkins = last_held_checkins("last_checkins")
    evaluations = vendor_ratings_subquery("vendor_evaluations")
    rows = db.session.execute(
        select(
            Contract,
            func.coalesce(periods.c.periods, 0),
            func.coalesce(periods.c.on_track, 0),
            func.coalesce(flags.c.open_flags, 0),
            checkins.c.last_held,
            func.coalesce(evaluations.c.evaluations, 0),
            evaluations.c.rating,
        )
        .join(Contract.vendor)
        .outerjoin(periods, periods.c.contract_id == Contract.id)
        .outerjoin(flags, flags.c.contract_id == Contract.id)
        .outerjoin(checkins, checkins.c.contract_id == Contract.id)
        .outerjoin(evaluations, evaluations.c.vendor_id == Contract.vendor_id)
        .options(joinedload(Contract.vendor), joinedload(Contract.contract_manager))
        .where(_strategic(), Contract.end_date >= today, Contract.end_date <= today + timedelta(days=horizon))
        .order_by(Contract.end_date, Contract.reference)
    ).all()
    return [
        EndingContract(
            contract=contract,
            days_left=(contract.end_date - today).days,
            periods=int(n_periods),
            periods_on_track=int(n_on_track),
            open_flags=int(n_flags),
            last_checkin=last_held,
            vendor_evaluations=int(n_evaluations),
            vendor_rating=rating,
            hint=hint_for(contract.health, int(n_periods), int(n_on_track)),
        )
        for contract, n_periods, n_on_track, n_flags, last_held, n_evaluations, rating in rows
    ]

