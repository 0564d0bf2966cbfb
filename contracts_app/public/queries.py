"""Read models of the public site: only what residents may see, filtered in SQL.

What is public: contracts marked public (``Contract.is_public``) that are not archived, and
within them the metrics marked public (``Metric.is_public``), with their targets and readings,
and the contracts' milestones. Nothing here reads staff users, reading notes, milestone notes,
flags, check-ins, vendor submissions, attachments or the audit log, and the vendor is read by
its name alone (never its contact person).

A contract's status for residents (its *public health*) is the staff rule
(``rules.contract_health``: the worst of its metrics' stored statuses and its missed
milestones) over its public metrics only, so that a metric the city keeps internal neither shows
nor moves the status residents see. Each page runs a fixed number of statements whatever the
number of contracts: the figures are added up in the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Date, and_, case, func, literal, or_, select, union_all

from flask import current_app

from contracts_app.contracts.models import Contract, Department, Vendor
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.metrics.rules import NO_DATA, ON_TRACK, OVERDUE, SEVERITY
from contracts_app.milestones.models import Milestone
from contracts_app.priorities.models import Priority, contract_priorities

# How many months of history the priority pages chart (this month included).
HISTORY_MONTHS = 24
PAGE_SIZE = 25
MAX_QUERY_LENGTH = 200
# Ranks of the statuses, worst first (rules.SEVERITY): the database takes the minimum.
_RANK = {status: rank for rank, status in enumerate(SEVERITY)}
NO_DATA_RANK = _RANK[NO_DATA]
ON_TRACK_RANK = _RANK[ON_TRACK]
# Contract statuses whose term is under way or over: a draft has no results to judge.
JUDGED_STATUSES = ("active", "completed", "terminated")


def published():
    """The contracts residents see: public and not archived."""
    return [Contract.is_public.is_(True), Contract.archived_at.is_(None)]


def _status_rank(column):
    return case(_RANK, value=column, else_=NO_DATA_RANK)


def _milestone_rank(before):
    """What a milestone adds to its contract's health (``rules.milestone_status``) as a rank,
    NULL when nothing; ``before`` is the day a scheduled milestone is missed after."""
    return case(
        (Milestone.status == "not_met", _RANK[rules.OFF_TRACK]),
        (and_(Milestone.status == "scheduled", Milestone.due_date < before), _RANK[rules.OFF_TRACK]),
        (Milestone.status == "partially_met", _RANK[rules.AT_RISK]),
        else_=None,
    )


def public_health(today):
    """A subquery (contract_id, rank) of every published contract's public health rank, for
    the contracts with any part (a contract without public metrics or missed milestones has no
    row: no data yet)."""
    metric_parts = (
        select(Metric.contract_id.label("contract_id"), _status_rank(Metric.status).label("rank"))
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*published(), Metric.is_public.is_(True))
    )
    milestone_parts = (
        select(Milestone.contract_id.label("contract_id"), _milestone_rank(today).label("rank"))
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(*published(), _milestone_rank(today).is_not(None))
    )
    parts = union_all(metric_parts, milestone_parts).subquery("health_parts")
    return (
        select(parts.c.contract_id, func.min(parts.c.rank).label("rank"))
        .group_by(parts.c.contract_id)
        .subquery("public_health")
    )


def status_of_rank(rank):
    return SEVERITY[rank] if rank is not None and 0 <= rank < len(SEVERITY) else NO_DATA


# ---------------------------------------------------------------------------------------------
# Priorities


@dataclass
class PriorityRow:
    id: int
    name: str
    outcome: str
    target_year: int | None
    contracts: int = 0
    active: int = 0
    on_track: int = 0
    history: list = field(default_factory=list)


def priorities(today, priority_id=None):
    """Every priority (or the one ``priority_id``) with how many published contracts serve it,
    how many of them are active and how many of those are on track now, by name. One statement."""
    health = public_health(today)
    rank = func.coalesce(health.c.rank, NO_DATA_RANK)
    serving = (
        select(
            contract_priorities.c.priority_id.label("priority_id"),
            func.count().label("contracts"),
            func.sum(case((Contract.status == "active", 1), else_=0)).label("active"),
            func.sum(case((and_(Contract.status == "active", rank == ON_TRACK_RANK), 1), else_=0)).label("on_track"),
        )
        .select_from(contract_priorities)
        .join(Contract, Contract.id == contract_priorities.c.contract_id)
        .outerjoin(health, health.c.contract_id == Contract.id)
        .where(*published())
        .group_by(contract_priorities.c.priority_id)
        .subquery("serving")
    )
    query = (
        select(Priority.id, Priority.name, Priority.outcome, Priority.target_year,
               serving.c.contracts, serving.c.active, serving.c.on_track)
        .outerjoin(serving, serving.c.priority_id == Priority.id)
        .order_by(Priority.name, Priority.id)
    )
    if priority_id is not None:
        query = query.where(Priority.id == priority_id)
    return [
        PriorityRow(pid, name, outcome, year, int(contracts or 0), int(active or 0), int(on_track or 0))
        for pid, name, outcome, year, contracts, active, on_track in db.session.execute(query)
    ]


def month_start(day):
    return date(day.year, day.month, 1)


def history_months(today, months=HISTORY_MONTHS):
    """[(first day, last day)] of the last ``months`` months, oldest first, this month last."""
    first = rules.add_months(month_start(today), -(months - 1))
    result = []
    for k in range(months):
        start = rules.add_months(first, k)
        result.append((start, rules.add_months(start, 1) - timedelta(days=1)))
    return result


def on_track_history(today, priority_ids=None, months=HISTORY_MONTHS):
    """{priority id: [{"month", "contracts", "with_data", "on_track", "share"}]} over the last
    ``months`` months, oldest first, for the months with a published contract under way.

    One statement. A contract counts in each month its term touches (drafts excepted). Past
    months are judged as the staff's monthly history is (portfolio.snapshots.backfill): each
    public metric by its latest reading for a period ended by the month's last day, and the
    milestones missed by then; this month from the stored statuses. (A reading that was late
    is not shown as late after the fact: only the current month can say "data late".) The
    share is of the contracts with data that month: a contract with no result due yet is
    neither on track nor behind.
    """
    calendar = history_months(today, months)
    past, (this_month, this_month_end) = calendar[:-1], calendar[-1]
    judged = [*published(), Contract.status.in_(JUDGED_STATUSES)]

    parts = []
    if past:
        grid_months = union_all(*[
            select(literal(first, Date()).label("month"), literal(last, Date()).label("last_day"))
            for first, last in past
        ]).subquery("months")
        grid = (
            select(Contract.id.label("contract_id"), grid_months.c.month, grid_months.c.last_day)
            .join(grid_months, and_(Contract.start_date <= grid_months.c.last_day,
                                    Contract.end_date >= grid_months.c.month))
            .where(*judged)
            .cte("grid")
        )
        # Each public reading with the end of its metric's next reading: it is the metric's
        # latest in the months from its own period's end until the next one's.
        ranked = (
            select(
                Reading.metric_id.label("metric_id"), _status_rank(Reading.status).label("rank"),
                Reading.period_end.label("period_end"),
                func.lead(Reading.period_end).over(partition_by=Reading.metric_id, order_by=Reading.period_start)
                .label("next_end"),
            )
            .join(Metric, Metric.id == Reading.metric_id)
            .join(Contract, Contract.id == Metric.contract_id)
            .where(*judged, Metric.is_public.is_(True))
            .subquery("ranked_readings")
        )
        parts.append(
            select(grid.c.contract_id, grid.c.month, ranked.c.rank)
            .join(Metric, and_(Metric.contract_id == grid.c.contract_id, Metric.is_public.is_(True)))
            .join(ranked, and_(
                ranked.c.metric_id == Metric.id, ranked.c.period_end <= grid.c.last_day,
                or_(ranked.c.next_end.is_(None), ranked.c.next_end > grid.c.last_day),
            ))
        )
        parts.append(
            select(grid.c.contract_id, grid.c.month, _milestone_rank(grid.c.last_day))
            .join(Milestone, Milestone.contract_id == grid.c.contract_id)
            .where(_milestone_rank(grid.c.last_day).is_not(None))
        )
        parts.append(select(grid.c.contract_id, grid.c.month, literal(NO_DATA_RANK)))
    health = public_health(today)
    parts.append(
        select(Contract.id, literal(this_month, Date()), func.coalesce(health.c.rank, NO_DATA_RANK))
        .outerjoin(health, health.c.contract_id == Contract.id)
        .where(*judged, Contract.start_date <= this_month_end, Contract.end_date >= this_month)
    )
    every = union_all(*parts).subquery("contract_month_parts")
    per_contract = (
        select(every.c[0].label("contract_id"), every.c[1].label("month"), func.min(every.c[2]).label("rank"))
        .group_by(every.c[0], every.c[1])
        .subquery("contract_months")
    )
    query = (
        select(
            contract_priorities.c.priority_id, per_contract.c.month, func.count(),
            func.sum(case((per_contract.c.rank < NO_DATA_RANK, 1), else_=0)),
            func.sum(case((per_contract.c.rank == ON_TRACK_RANK, 1), else_=0)),
        )
        .join(contract_priorities, contract_priorities.c.contract_id == per_contract.c.contract_id)
        .group_by(contract_priorities.c.priority_id, per_contract.c.month)
        .order_by(contract_priorities.c.priority_id, per_contract.c.month)
    )
    if priority_ids is not None:
        query = query.where(contract_priorities.c.priority_id.in_(list(priority_ids)))
    result = {}
    for priority_id, month, contracts, with_data, on_track in db.session.execute(query):
        with_data, on_track = int(with_data or 0), int(on_track or 0)
        result.setdefault(priority_id, []).append({
            "month": _as_date(month), "contracts": int(contracts), "with_data": with_data, "on_track": on_track,
            "share": rules.share(on_track, with_data).quantize(Decimal("1")) if with_data else None,
        })
    return result


def _as_date(value):
    # SQLite hands back a literal date of a UNION as its text.
    return date.fromisoformat(value) if isinstance(value, str) else value


# ---------------------------------------------------------------------------------------------
# The contracts list


@dataclass
class ContractFilters:
    """The list's search and filters from the query string; what is not valid is ignored."""

    text: str = ""
    priority_id: int | None = None
    department: str | None = None
    status: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args, priority_ids, departments):
        text = " ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH]
        priority = args.get("priority", "")
        priority_id = int(priority) if priority.isdigit() and int(priority) in priority_ids else None
        department = args.get("department") or None
        if department not in departments:
            department = None
        status = args.get("status") or None
        if status not in SEVERITY:
            status = None
        page_arg = args.get("page", "")
        page = int(page_arg) if page_arg.isdigit() and 0 < len(page_arg) < 7 and int(page_arg) > 0 else 1
        return cls(text, priority_id, department, status, page)

    @property
    def active(self):
        return bool(self.text or self.priority_id or self.department or self.status)

    def query_args(self, **changes):
        """The filters as query arguments (the canonical, shareable address of the list)."""
        args = {"q": self.text or None, "priority": self.priority_id, "department": self.department,
                "status": self.status, "page": self.page if self.page > 1 else None}
        args.update(changes)
        return {key: value for key, value in args.items() if value not in (None, "")}


def filter_options():
    """(priorities [(id, name)], departments [name]) that have published contracts. Two statements."""
    priority_rows = db.session.execute(
        select(Priority.id, Priority.name).where(
            select(literal(1)).select_from(contract_priorities)
            .join(Contract, Contract.id == contract_priorities.c.contract_id)
            .where(contract_priorities.c.priority_id == Priority.id, *published()).exists()
        ).order_by(Priority.name)
    ).all()
    departments = db.session.scalars(
        select(Contract.department).where(*published()).distinct().order_by(Contract.department)
    ).all()
    return [(pid, name) for pid, name in priority_rows], list(departments)


@dataclass
class ContractRow:
    id: int
    reference: str
    title: str
    department: str
    vendor: str
    status: str
    contract_status: str
    start_date: date
    end_date: date
    value: Decimal
    currency: str


def _contract_conditions(filters, health_rank):
    conditions = list(published())
    if filters.text:
        words = filters.text
        conditions.append(or_(
            Contract.title.icontains(words, autoescape=True), Contract.reference.icontains(words, autoescape=True),
            Contract.department.icontains(words, autoescape=True), Vendor.name.icontains(words, autoescape=True),
            Contract.problem.icontains(words, autoescape=True), Contract.outcomes.icontains(words, autoescape=True),
        ))
    if filters.priority_id:
        conditions.append(
            select(literal(1)).select_from(contract_priorities).where(
                contract_priorities.c.contract_id == Contract.id, contract_priorities.c.priority_id == filters.priority_id,
            ).exists()
        )
    if filters.department:
        conditions.append(Contract.department == filters.department)
    if filters.status:
        conditions.append(health_rank == _RANK[filters.status])
    return conditions


def contracts(filters, today, per_page=PAGE_SIZE, priority_id=None):
    """(total, [ContractRow]) of the published contracts matching ``filters`` (or all those
    serving ``priority_id``), a page of them, worst status first then by title. Two statements."""
    health = public_health(today)
    rank = func.coalesce(health.c.rank, NO_DATA_RANK)
    conditions = _contract_conditions(filters, rank)
    if priority_id is not None:
        conditions.append(
            select(literal(1)).select_from(contract_priorities).where(
                contract_priorities.c.contract_id == Contract.id, contract_priorities.c.priority_id == priority_id,
            ).exists()
        )
    base = (
        select(Contract.id)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .outerjoin(health, health.c.contract_id == Contract.id)
        .where(*conditions)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    # Drafts and finished contracts after those under way; worst status first among each.
    under_way = case((Contract.status == "active", 0), (Contract.status == "draft", 2), else_=1)
    query = (
        select(Contract.id, Contract.reference, Contract.title, Contract.department, Vendor.name, rank,
               Contract.status, Contract.start_date, Contract.end_date, Contract.value, Contract.currency)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .outerjoin(health, health.c.contract_id == Contract.id)
        .where(*conditions)
        .order_by(under_way, rank, Contract.title, Contract.id)
    )
    if per_page is not None:
        query = query.limit(per_page).offset((filters.page - 1) * per_page)
    rows = [
        ContractRow(cid, reference, title, department, vendor, status_of_rank(r), status, start, end, value, currency)
        for cid, reference, title, department, vendor, r, status, start, end, value, currency
        in db.session.execute(query)
    ]
    return total, rows


# ---------------------------------------------------------------------------------------------
# One contract


@dataclass
class PeriodRow:
    start: date
    end: date
    target: Decimal | None
    value: Decimal | None
    status: str  # a reading's status, "overdue", or "not_due"


@dataclass
class PublicMetric:
    metric: Metric
    periods: list
    latest: PeriodRow | None
    # The latest result by group: [(dimension name, [(group name, value, or None when the group
    # is below PUBLIC_MIN_GROUP_COUNT and left out for privacy)])]. Counts only: a rate's groups
    # carry no count to judge a small group by, so they are not published.
    groups: list = field(default_factory=list)

    @property
    def status(self):
        return self.metric.status


@dataclass
class ContractPage:
    contract: Contract
    vendor_name: str
    department: str
    priorities: list
    metrics: list
    milestones: list
    status: str
    last_updated: datetime | None


def contract_page(contract_id, today, grace_days):
    """The published contract ``contract_id`` with what residents see of it, or None when it
    is not published (non-public, archived or unknown). Seven statements: the contract with its
    vendor's name and department, its priorities, its public metrics, their explicit targets,
    their readings (and when the latest was recorded), the count metrics' group values, and its
    milestones."""
    row = db.session.execute(
        select(Contract, Vendor.name, Department.name)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .join(Department, Department.id == Contract.department_id)
        .where(Contract.id == contract_id, *published())
    ).first()
    if row is None:
        return None
    contract, vendor_name, department = row
    priority_rows = db.session.execute(
        select(Priority.id, Priority.name)
        .join(contract_priorities, contract_priorities.c.priority_id == Priority.id)
        .where(contract_priorities.c.contract_id == contract.id)
        .order_by(Priority.name)
    ).all()
    metrics = db.session.scalars(
        select(Metric).where(Metric.contract_id == contract.id, Metric.is_public.is_(True))
        .order_by(Metric.position, Metric.id)
    ).all()
    ids = [m.id for m in metrics]
    explicit, readings, last_updated = {}, {}, None
    if ids:
        for metric_id, start, value in db.session.execute(
            select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value)
            .where(MetricTarget.metric_id.in_(ids))
        ):
            explicit.setdefault(metric_id, {})[start] = Decimal(value)
        for metric_id, start, value, status, recorded in db.session.execute(
            select(Reading.metric_id, Reading.period_start, Reading.value, Reading.status, Reading.recorded_at)
            .where(Reading.metric_id.in_(ids))
        ):
            readings.setdefault(metric_id, {})[start] = (Decimal(value), status)
            recorded = _as_datetime(recorded)
            if recorded and (last_updated is None or recorded > last_updated):
                last_updated = recorded
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.due_date, Milestone.id)
    ).all()

    public_metrics = []
    for metric in metrics:
        rows = []
        for period in rules.periods(contract.start_date, contract.end_date, metric.cadence):
            if period.start > today:
                break
            target = rules.shown_target(
                rules.target_for_period(metric, period, contract.start_date, contract.end_date,
                                        explicit.get(metric.id)),
                metric,
            )
            reading = readings.get(metric.id, {}).get(period.start)
            if reading is not None:
                state = reading[1]
            elif rules.is_overdue(period, metric.due_days, today, grace_days):
                state = OVERDUE
            else:
                state = "not_due"
            rows.append(PeriodRow(period.start, period.end, target, reading[0] if reading else None, state))
        latest = next((r for r in reversed(rows) if r.value is not None), None)
        public_metrics.append(PublicMetric(metric, rows, latest))
    _add_public_groups(public_metrics)
    status = rules.contract_health(
        [m.status for m in metrics], [(m.due_date, m.status) for m in milestones], today,
    )
    return ContractPage(contract, vendor_name, department, list(priority_rows), public_metrics, list(milestones),
                        status, last_updated)


def _add_public_groups(public_metrics):
    """The latest result by group of the public count metrics (one statement), small groups
    suppressed (PUBLIC_MIN_GROUP_COUNT)."""
    latest = {item.metric.id: item for item in public_metrics if item.metric.is_count and item.latest is not None}
    if not latest:
        return
    minimum = Decimal(current_app.config["PUBLIC_MIN_GROUP_COUNT"])
    found = {}
    for metric_id, start, dimension, group, value in db.session.execute(
        select(Reading.metric_id, Reading.period_start, Dimension.name, DimensionGroup.name, ReadingGroupValue.value)
        .join(ReadingGroupValue, ReadingGroupValue.reading_id == Reading.id)
        .join(DimensionGroup, DimensionGroup.id == ReadingGroupValue.group_id)
        .join(Dimension, Dimension.id == DimensionGroup.dimension_id)
        .where(Reading.metric_id.in_(sorted(latest)))
        .order_by(Reading.metric_id, Dimension.name, DimensionGroup.position)
    ):
        if start != latest[metric_id].latest.start:
            continue
        value = Decimal(value)
        found.setdefault(metric_id, {}).setdefault(dimension, []).append((group, value if value >= minimum else None))
    for metric_id, dimensions in found.items():
        latest[metric_id].groups = list(dimensions.items())


def _as_datetime(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
