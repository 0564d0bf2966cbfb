"""Portfolio read models in SQL: the dashboard's filters and roll-ups, the priority page's
rows, and the pieces the other portfolio pages and the API share.

Each function is one (or a fixed few) statements whose number does not grow with the number of
contracts. They read the stored statuses (Contract.health, Metric.status), flags, check-ins and
monthly health counts per priority (kept by triggers from the HealthSnapshot rows) — never replay readings. Shared with the other portfolio modules:
``strategic_conditions``, ``PortfolioFilters``, ``health_counts``, ``priority_rollups``,
``last_held_checkins``, ``vendor_ratings_subquery``, ``evaluation_for``.
"""
from __future__ import annotations

from flask_babel import gettext as _
import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, and_, case, func, literal, or_, select, true, union
from sqlalchemy.orm import aliased

from contracts_app.formatting import month_name
from contracts_app.digits import ascii_digits
from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract, Vendor
from contracts_app.extensions import db
from contracts_app.management.models import PENDING_CHECKIN_STATUSES, SEVERITY_ORDER, CheckIn, Flag
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.metrics.rules import SEVERITY, STATUS_LABELS, add_months, share
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation, PriorityMonthHealth
from contracts_app.priorities.models import Priority, contract_priorities
from contracts_app.work.queries import open_flag_reasons
from contracts_app.query_args import MAX_ID, choice_arg

# Display order for health: best first reads naturally in a legend ("62% on track, ...").
HEALTH_ORDER = ("on_track", "at_risk", "off_track", "overdue", "no_data")
# A contract whose last held check-in is older than this (or that never had one after this
# long into its term) has lapsed: WWC asks for engagement at least quarterly (RDC5 / PA2).
CHECKIN_LAPSE_DAYS = 90
ENDING_WITHIN_CHOICES = (30, 60, 90, 120, 180, 365)
ATTENTION_LIMIT = 25
RECENT_LIMIT = 10
SPARKLINE_POINTS = 12
ROLLUP_MONTHS = 24

_PERIOD_PATTERN = re.compile(r"^([0-9]{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


def strategic_conditions():
    """The strategic portfolio: active contracts that are not archived."""
    return [Contract.status == "active", Contract.archived_at.is_(None)]


# ---------------------------------------------------------------------------------------------
# Filters


def parse_period(raw):
    """'2025' | '2025-07' | '2025-Q3' -> (label, first day, last day), or None when invalid."""
    match = _PERIOD_PATTERN.match(raw or "")
    if not match:
        return None
    year = int(match.group(1))
    if not 1900 <= year <= 2200:
        return None
    if match.group(2):
        month = int(match.group(2))
        first = date(year, month, 1)
        return month_name(first), first, date(year, month, calendar.monthrange(year, month)[1])
    if match.group(3):
        quarter = int(match.group(3))
        first = date(year, 3 * quarter - 2, 1)
        return f"Q{quarter} {year}", first, add_months(first, 3) - timedelta(days=1)
    return str(year), date(year, 1, 1), date(year, 12, 31)


@dataclass
class PortfolioFilters:
    """Validated dashboard filters. Invalid values are dropped and named in ``problems``."""

    department: str | None = None
    payment_structure: str | None = None
    vendor_id: int | None = None
    vendor_name: str | None = None
    period: str | None = None  # the raw value, e.g. "2025-Q3"
    period_label: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    ending_within: int | None = None
    problems: list = field(default_factory=list)

    @classmethod
    def from_args(cls, args, departments):
        """Build from a query string; ``departments`` are the allowed values. The vendor is an
        id (``vendor``, from links) or a name typed in the form (``vendor_name``: the vendor of
        that name ignoring case, else the one vendor whose name contains it); looking it up is
        one or two small queries, and only when a vendor is asked for."""
        filters = cls()
        filters.department = filters._choice(args, "department", departments, "department")
        filters.payment_structure = filters._choice(args, "payment_structure", PAYMENT_STRUCTURES, _('payment structure'))
        vendor = args.get("vendor", "").strip()
        vendor_name = args.get("vendor_name", "").strip()
        if vendor_name or vendor:
            found = _vendor_named(vendor_name) if vendor_name else _vendor_with_id(vendor)
            if found is not None:
                filters.vendor_id, filters.vendor_name = found
            else:
                filters.vendor_name = vendor_name or None
                filters.problems.append("vendor")
        period = args.get("period", "").strip()
        if period:
            parsed = parse_period(period)
            if parsed:
                filters.period = period
                filters.period_label, filters.period_start, filters.period_end = parsed
            else:
                filters.problems.append("period")
        ending = args.get("ending_within", "").strip()
        if ending:
            if ascii_digits(ending) and int(ending) in ENDING_WITHIN_CHOICES:
                filters.ending_within = int(ending)
            else:
                filters.problems.append(_('ending within'))
        return filters

    def _choice(self, args, key, allowed, problem):
        """``query_args.choice_arg``, naming a value that is not allowed as ``problem`` (words)."""
        invalid = []
        value = choice_arg(args, key, allowed, invalid)
        if invalid:
            self.problems.append(problem)
        return value

    @property
    def active(self):
        return any([self.department, self.payment_structure, self.vendor_id, self.period, self.ending_within])

    def conditions(self, today):
        """SQL conditions on Contract: the strategic portfolio narrowed by these filters."""
        where = strategic_conditions()
        if self.department:
            where.append(Contract.department == self.department)
        if self.payment_structure:
            where.append(Contract.payment_structure == self.payment_structure)
        if self.vendor_id:
            where.append(Contract.vendor_id == self.vendor_id)
        if self.period_start:
            # Term overlaps the period: the contract was running at some point during it.
            where.append(Contract.start_date <= self.period_end)
            where.append(Contract.end_date >= self.period_start)
        if self.ending_within:
            where.append(Contract.end_date >= today)
            where.append(Contract.end_date <= today + timedelta(days=self.ending_within))
        return where


def _vendor_with_id(raw):
    """(id, name) of the vendor with this id (a string from the query), or None."""
    if not ascii_digits(raw) or not 1 <= int(raw) <= MAX_ID:
        return None
    return db.session.execute(select(Vendor.id, Vendor.name).where(Vendor.id == int(raw))).first()


def _vendor_named(text):
    """(id, name) of the vendor called ``text`` ignoring case, else of the only vendor whose name
    contains it; None when none or several do."""
    exact = db.session.execute(select(Vendor.id, Vendor.name).where(func.lower(Vendor.name) == text.lower())).first()
    if exact is not None:
        return exact
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matches = db.session.execute(
        select(Vendor.id, Vendor.name).where(func.lower(Vendor.name).like(pattern, escape="\\")).limit(2)
    ).all()
    return matches[0] if len(matches) == 1 else None


def department_options():
    """The departments for the filter form: one small query (read from an index)."""
    return db.session.scalars(
        select(Contract.department).where(Contract.archived_at.is_(None)).distinct().order_by(Contract.department)
    ).all()


def period_choices(today, years_back=2, years_ahead=1):
    """Suggested period values for the filter: years, quarters and months around today."""
    choices = []
    for year in range(today.year + years_ahead, today.year - years_back - 1, -1):
        choices.append((str(year), str(year)))
        for quarter in range(4, 0, -1):
            choices.append((f"{year}-Q{quarter}", f"Q{quarter} {year}"))
    months = []
    first = date(today.year, today.month, 1)
    for offset in range(-12, 4):
        month = add_months(first, offset)
        months.append((month.strftime("%Y-%m"), month_name(month)))
    return choices, list(reversed(months))


# ---------------------------------------------------------------------------------------------
# Roll-ups


def _health_dict(rows):
    counts = {health: 0 for health in HEALTH_ORDER}
    for health, count in rows:
        counts[health if health in counts else "no_data"] += count
    return counts


def shares(counts):
    """{health: percent as Decimal rounded to 1 place} of a counts dict; zeros when empty."""
    total = sum(counts.values())
    if not total:
        return {health: Decimal(0) for health in counts}
    return {health: share(count, total).quantize(Decimal("0.1")) for health, count in counts.items()}


def health_counts(conditions):
    """Counts and value by stored health over the contracts matching ``conditions``: one GROUP BY.

    Returns {"counts": {health: n}, "values": {health: Decimal}, "total": n, "value": Decimal}.
    """
    rows = db.session.execute(
        select(Contract.health, func.count(Contract.id), func.coalesce(func.sum(Contract.value), 0))
        .where(*conditions)
        .group_by(Contract.health)
    ).all()
    counts = _health_dict((health, count) for health, count, _ in rows)
    values = {health: Decimal(0) for health in HEALTH_ORDER}
    for health, _count, value in rows:
        values[health if health in values else "no_data"] += Decimal(value)
    return {
        "counts": counts,
        "values": values,
        "total": sum(counts.values()),
        "value": sum(values.values(), Decimal(0)),
        "shares": shares(counts),
    }


def priority_rollups(conditions):
    """A card per priority: health counts and value of its contracts matching ``conditions``.

    Two statements: all priorities, then one GROUP BY (priority, health) over contract_priorities.
    Priorities with no matching contracts still get a card (with zeros).
    """
    priorities = db.session.execute(
        select(Priority.id, Priority.name, Priority.outcome, Priority.target_year).order_by(Priority.name)
    ).all()
    rows = db.session.execute(
        select(
            contract_priorities.c.priority_id, Contract.health,
            func.count(Contract.id), func.coalesce(func.sum(Contract.value), 0),
        )
        .join(Contract, Contract.id == contract_priorities.c.contract_id)
        .where(*conditions)
        .group_by(contract_priorities.c.priority_id, Contract.health)
    ).all()
    by_priority = {}
    for priority_id, health, count, value in rows:
        entry = by_priority.setdefault(priority_id, {"rows": [], "value": Decimal(0)})
        entry["rows"].append((health, count))
        entry["value"] += Decimal(value)
    cards = []
    for priority in priorities:
        entry = by_priority.get(priority.id, {"rows": [], "value": Decimal(0)})
        counts = _health_dict(entry["rows"])
        cards.append({
            "id": priority.id, "name": priority.name, "outcome": priority.outcome,
            "target_year": priority.target_year, "counts": counts, "shares": shares(counts),
            "total": sum(counts.values()), "value": entry["value"],
        })
    return cards


def open_flag_counts(conditions):
    """Open flags by severity over the contracts matching ``conditions``, from the contracts'
    counters (see management/flag_counts): one pass over the contracts, no flag is read."""
    row = db.session.execute(
        select(*(func.coalesce(func.sum(getattr(Contract, f"open_flags_{severity}")), 0) for severity in SEVERITY_ORDER))
        .where(*conditions)
    ).one()
    return {severity: int(count) for severity, count in zip(SEVERITY_ORDER, row)}


def _last_held_date():
    """The date of the last held check-in of each Contract row of the enclosing query (correlated)."""
    return (
        select(func.max(CheckIn.held_on))
        .where(CheckIn.contract_id == Contract.id, CheckIn.status == "held")
        .correlate(Contract)
        .scalar_subquery()
    )


@dataclass
class Attention:
    """The dashboard's "needing attention" list: the worst ``rows``, how many contracts need
    attention in all, the open flags by severity over all of them, and why each listed contract
    needs attention (its open flags' reasons)."""

    rows: list
    total: int
    flag_counts: dict
    reasons: dict = field(default_factory=dict)  # contract id -> [work.queries.FlagReason], worst first


def _attention_key(row):
    """Worst first: high flags, medium flags, an overdue check-in (earliest first), low flags,
    check-in lapses, then reference."""
    return (-row.high, -row.medium, row.overdue_since is None, row.overdue_since or date.min, -row.low,
            -row.lapsed, row.reference)


def contracts_needing_attention(conditions, today, limit=ATTENTION_LIMIT):
    """Contracts with open flags or a pending check-in past its date, worst first.

    Reads each contract's open-flag counters (kept by triggers, see management/flag_counts)
    instead of grouping every open flag in the city; a check-in lapse shows as the sweep's open
    "no check-in for 90 days" flag. Two statements whatever the portfolio's size:

    1. the union of the worst ``limit`` flagged contracts by their counts (walked from
       ix_contracts_attention) and the worst ``limit`` contracts with an overdue pending
       check-in (a small set, from ix_checkins_status_scheduled), with their display columns;
       every contract of the overall first ``limit`` is in one of the two (an overdue check-in
       only ranks a contract higher than its flag counts alone do), so Python sorts these few;
    2. how many contracts need attention and their open flags by severity;
    3. the open flags of the listed contracts with their reason in words (which metric, how far
       off, since when: ``work.queries.open_flag_reasons``), at most ``limit`` contracts' worth.

    Each row also carries the contract's pending (proposed or scheduled) check-in, if any: at
    most one per contract (``CheckIn.pending_contract_id`` is unique), joined in statement 1.
    """
    pending_overdue = and_(CheckIn.status.in_(PENDING_CHECKIN_STATUSES), CheckIn.scheduled_for < today)
    overdue = (
        select(CheckIn.contract_id.label("contract_id"), func.min(CheckIn.scheduled_for).label("overdue_since"))
        .where(pending_overdue)
        .group_by(CheckIn.contract_id)
        .subquery("overdue_checkins")
    )
    flagged = (Contract.open_flags_high + Contract.open_flags_medium + Contract.open_flags_low) > 0
    counts_order = (Contract.open_flags_high.desc(), Contract.open_flags_medium.desc(), Contract.open_flags_low.desc(),
                    Contract.open_flags_lapse.desc(), Contract.reference)
    worst_flagged = (
        select(Contract.id).where(flagged, *conditions).order_by(*counts_order).limit(limit).subquery("worst_flagged")
    )
    # "+ 0": an expression no index provides, so SQLite reaches the contracts from the small
    # overdue set and sorts it, instead of walking every strategic contract in index order.
    worst_overdue = (
        select(Contract.id)
        .select_from(overdue)
        .join(Contract, Contract.id == overdue.c.contract_id)
        .where(*conditions)
        .order_by((Contract.open_flags_high + 0).desc(), Contract.open_flags_medium.desc(), overdue.c.overdue_since,
                  Contract.open_flags_low.desc(), Contract.open_flags_lapse.desc(), Contract.reference)
        .limit(limit)
        .subquery("worst_overdue")
    )
    last_held = _last_held_date()
    pending = aliased(CheckIn, name="pending_checkin")
    # The display columns only for the (at most 2 × limit) contracts picked above.
    picked = union(select(worst_flagged.c.id), select(worst_overdue.c.id)).subquery("picked")
    rows = db.session.execute(
        select(
            Contract.id.label("id"), Contract.reference, Contract.title, Contract.health, Contract.value,
            Contract.currency, Vendor.name.label("vendor_name"),
            Contract.open_flags_high.label("high"), Contract.open_flags_medium.label("medium"),
            Contract.open_flags_low.label("low"), Contract.open_flags_lapse.label("lapsed"),
            select(func.min(CheckIn.scheduled_for)).where(CheckIn.contract_id == Contract.id, pending_overdue)
            .correlate(Contract).scalar_subquery().label("overdue_since"),
            last_held.label("last_held"),
            pending.id.label("checkin_id"), pending.status.label("checkin_status"),
            pending.scheduled_for.label("checkin_date"),
        )
        .select_from(picked)
        .join(Contract, Contract.id == picked.c.id)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .outerjoin(pending, pending.pending_contract_id == Contract.id)
    ).all()
    rows = sorted(rows, key=_attention_key)[:limit]

    needing = or_(flagged, Contract.id.in_(select(CheckIn.contract_id).where(pending_overdue)))
    summary = db.session.execute(
        select(
            func.count(Contract.id), func.coalesce(func.sum(Contract.open_flags_high), 0),
            func.coalesce(func.sum(Contract.open_flags_medium), 0), func.coalesce(func.sum(Contract.open_flags_low), 0),
        ).where(needing, *conditions)
    ).one()
    total, high, medium, low = (int(value) for value in summary)
    reasons = {}
    # Always run (an empty IN when nothing is listed), so the page's statement count is fixed.
    for reason in open_flag_reasons([Contract.id.in_([row.id for row in rows])]):
        reasons.setdefault(reason.contract_id, []).append(reason)
    return Attention(rows, total, {"high": high, "medium": medium, "low": low}, reasons)


def recent_checkins(conditions, limit=RECENT_LIMIT):
    """The last held check-ins on contracts matching ``conditions``."""
    return db.session.execute(
        select(
            CheckIn.id, CheckIn.held_on, CheckIn.decisions, Contract.id.label("contract_id"),
            Contract.reference, Contract.title,
        )
        .join(Contract, Contract.id == CheckIn.contract_id)
        .where(CheckIn.status == "held", *conditions)
        .order_by(CheckIn.held_on.desc(), CheckIn.id.desc())
        .limit(limit)
    ).all()


def recently_resolved_flags(conditions, limit=RECENT_LIMIT):
    """The last resolved flags on contracts matching ``conditions``.

    The filter is an EXISTS on the flag's contract, so the database walks the flags from the
    newest resolution down and stops after ``limit`` matches, instead of joining every
    strategic contract's flags and sorting them.
    """
    shown = aliased(Contract)
    matches = select(literal(1)).where(Contract.id == Flag.contract_id, *conditions).correlate(Flag).exists()
    return db.session.execute(
        select(
            Flag.id, Flag.kind, Flag.severity, Flag.summary, Flag.resolved_at, Flag.resolution_note,
            shown.id.label("contract_id"), shown.reference, shown.title,
        )
        .join(shown, shown.id == Flag.contract_id)
        .where(Flag.resolved_at.is_not(None), matches)
        .order_by(Flag.resolved_at.desc(), Flag.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------------------------------------
# One priority


def priority_conditions(priority_id):
    """Strategic contracts that serve the priority (EXISTS on the association table)."""
    serves = (
        select(literal(1))
        .select_from(contract_priorities)
        .where(contract_priorities.c.contract_id == Contract.id, contract_priorities.c.priority_id == priority_id)
        .exists()
    )
    return [*strategic_conditions(), serves]


def health_rank():
    """A SQL sort key: worst health first (off track, overdue, at risk, on track, no data)."""
    return case({health: rank for rank, health in enumerate(SEVERITY)}, value=Contract.health, else_=len(SEVERITY))


def priority_contracts(conditions, page, per_page):
    """A page of contracts (worst health first) with vendor and last held check-in date.

    One statement for the rows (the total comes from health_counts, already queried). The page's
    ids are picked first (a sort of the matching contracts' health and reference only); the
    display columns, the vendor and the last held check-in are read for those rows alone, not
    for every contract of the priority before the sort.
    """
    rank = health_rank()
    picked = (
        select(Contract.id.label("id"), rank.label("rank"), Contract.reference.label("reference"))
        .where(*conditions)
        .order_by(rank, Contract.reference)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page_of_contracts")
    )
    # Correlated to each listed contract (one page of them) and read from the
    # (status, contract_id, held_on) index, instead of grouping every check-in in the city.
    last_held = _last_held_date()
    return db.session.execute(
        select(
            Contract.id, Contract.reference, Contract.title, Contract.health, Contract.value, Contract.currency,
            Contract.end_date, Vendor.name.label("vendor_name"), last_held.label("last_held"),
        )
        .select_from(picked)
        .join(Contract, Contract.id == picked.c.id)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .order_by(picked.c.rank, picked.c.reference)
    ).all()


def headline_sparklines(contract_ids, points=SPARKLINE_POINTS):
    """{contract_id: {"metric_id", "name", "unit", "status", "values": [oldest..latest],
    "periods": [...], "targets": [...]}} for each contract's headline metric (lowest position,
    then id); "targets" holds each reading's period target (explicit, else linear; None for a
    range metric).

    One statement for the given contracts alone (one page of them): on PostgreSQL each
    contract's headline metric and a LATERAL of its latest readings; on SQLite correlated
    lookups of the headline metric and of its oldest period shown. Each reading comes with its
    period's explicit target; metrics without
    readings still come back (outer join) so the page can say "no readings yet".
    """
    if not contract_ids:
        return {}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = _headline_rows_lateral(contract_ids, points)
    else:
        rows = _headline_rows_correlated(contract_ids, points)
    result = {}
    for row in rows:
        entry = result.setdefault(row.contract_id, {
            "metric_id": row.metric_id, "name": row.name, "unit": row.unit, "status": row.status,
            "values": [], "periods": [], "targets": [],
        })
        if row.period_start is not None:
            entry["values"].append(row.value)
            entry["periods"].append(row.period_start)
            explicit = {row.period_start: row.explicit_target} if row.explicit_target is not None else None
            entry["targets"].append(rules.target_for_period(
                row, rules.Period(row.period_start, row.period_end), row.start_date, row.end_date, explicit,
            ))
    return result


def _headline_rows_correlated(contract_ids, points):
    """SQLite (no LATERAL): each contract's headline metric by a correlated lookup of its first
    metric's id, and that metric's readings from the ``points``-th latest period on (a
    correlated lookup of that period's start), both walks of an index. The ranked form
    (row_number() over every reading of the headline metrics, then filtered) sorted all their
    readings on each request."""
    first_metric_id = (
        select(Metric.id)
        .where(Metric.contract_id == Contract.id)
        .order_by(Metric.position, Metric.id)
        .limit(1)
        .correlate(Contract)
        .scalar_subquery()
    )
    headline = (
        select(
            Metric.id.label("metric_id"), Metric.contract_id, Metric.name, Metric.unit, Metric.status,
            Metric.direction, Metric.baseline_value, Metric.target_value, Metric.range_low, Metric.range_high,
            Contract.start_date, Contract.end_date,
        )
        .join(Contract, Contract.id == Metric.contract_id)
        .where(Contract.id.in_(contract_ids), Metric.id == first_metric_id)
        .subquery("headline")
    )
    earlier = aliased(Reading, name="earlier")
    oldest_shown = (
        select(earlier.period_start)
        .where(earlier.metric_id == headline.c.metric_id)
        .order_by(earlier.period_start.desc())
        .limit(1)
        .offset(points - 1)
        .scalar_subquery()
    )
    return db.session.execute(
        select(headline, Reading.period_start, Reading.period_end, Reading.value,
               MetricTarget.value.label("explicit_target"))
        .select_from(headline)
        .outerjoin(Reading, and_(Reading.metric_id == headline.c.metric_id,
                                 Reading.period_start >= func.coalesce(oldest_shown, literal(date(1, 1, 1), Date()))))
        .outerjoin(MetricTarget, and_(MetricTarget.metric_id == headline.c.metric_id,
                                      MetricTarget.period_start == Reading.period_start))
        .order_by(headline.c.contract_id, Reading.period_start)
    ).all()


def _headline_rows_lateral(contract_ids, points):
    """PostgreSQL: for each contract, its headline metric and then that metric's latest
    ``points`` readings, each a LATERAL probe of an index ((contract_id), (metric_id,
    period_start)). The planner cannot estimate the row_number() filters of the ranked form
    and re-ranked every headline metric's readings once per contract (a nested loop over a
    window aggregate)."""
    first_metric = (
        select(
            Metric.id.label("metric_id"), Metric.contract_id, Metric.name, Metric.unit, Metric.status,
            Metric.direction, Metric.baseline_value, Metric.target_value, Metric.range_low, Metric.range_high,
        )
        .where(Metric.contract_id == Contract.id)
        .order_by(Metric.position, Metric.id)
        .limit(1)
        .lateral("headline_metric")
    )
    headline = (
        select(first_metric, Contract.start_date, Contract.end_date)
        .select_from(Contract)
        .join(first_metric, true())
        .where(Contract.id.in_(contract_ids))
        .subquery("headline")
    )
    recent = (
        select(Reading.period_start, Reading.period_end, Reading.value)
        .where(Reading.metric_id == headline.c.metric_id)
        .order_by(Reading.period_start.desc())
        .limit(points)
        .lateral("recent")
    )
    return db.session.execute(
        select(headline, recent.c.period_start, recent.c.period_end, recent.c.value,
               MetricTarget.value.label("explicit_target"))
        .select_from(headline)
        .outerjoin(recent, true())
        .outerjoin(MetricTarget, and_(MetricTarget.metric_id == headline.c.metric_id,
                                      MetricTarget.period_start == recent.c.period_start))
        .order_by(headline.c.contract_id, recent.c.period_start)
    ).all()


def priority_rollup_by_month(priority_id, today, months=ROLLUP_MONTHS):
    """Per month, how many of the priority's contracts had each health.

    Read from the counts the database keeps per priority, month and health (PriorityMonthHealth,
    kept by triggers from the snapshots, the links and archiving: archived contracts are left
    out), over the last ``months`` months up to today's month: at most months x healths rows,
    whatever the number of contracts. Returns a list of {"month", "total", "counts",
    "on_track_share"} oldest first, for the months with any contract.
    """
    first = add_months(date(today.year, today.month, 1), -(months - 1))
    by_month = {}
    for month, health, contracts in db.session.execute(
        select(PriorityMonthHealth.month, PriorityMonthHealth.health, PriorityMonthHealth.contracts)
        .where(PriorityMonthHealth.priority_id == priority_id, PriorityMonthHealth.contracts > 0,
               PriorityMonthHealth.month >= first, PriorityMonthHealth.month <= today)
    ):
        by_month.setdefault(month, {})[health] = contracts
    result = []
    for month in sorted(by_month):
        counts = {health: int(by_month[month].get(health, 0)) for health in HEALTH_ORDER}
        total = sum(by_month[month].values())
        result.append({
            "month": month, "total": total, "counts": counts,
            "on_track_share": share(counts["on_track"], total).quantize(Decimal("0.1")) if total else None,
        })
    return result


HEALTH_LABELS = {health: STATUS_LABELS[health] for health in HEALTH_ORDER}


def vendor_ratings_subquery(name="vendor_evaluations"):
    """Per vendor: the number of closeout evaluations and their average rating (1–5)."""
    ratings = sum(getattr(CloseoutEvaluation, field) for field in RATING_FIELDS)
    return (
        select(
            CloseoutEvaluation.vendor_id.label("vendor_id"),
            func.count(CloseoutEvaluation.id).label("evaluations"),
            func.avg(ratings * 1.0 / len(RATING_FIELDS)).label("rating"),
        )
        .group_by(CloseoutEvaluation.vendor_id)
        .subquery(name)
    )


def last_held_checkins(name="last_held"):
    """Per contract: the date of its last held check-in (``last_held``), as a subquery."""
    return (
        select(CheckIn.contract_id.label("contract_id"), func.max(CheckIn.held_on).label("last_held"))
        .where(CheckIn.status == "held", CheckIn.held_on.is_not(None))
        .group_by(CheckIn.contract_id)
        .subquery(name)
    )


def evaluation_for(contract_id):
    """The contract's closeout evaluation, or None."""
    return db.session.scalar(select(CloseoutEvaluation).where(CloseoutEvaluation.contract_id == contract_id))
