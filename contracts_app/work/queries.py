"""Read models for "My work": what each signed-in person has to do next, from their own contracts.

A contract manager's page reads the contracts they manage, a procurement officer's the contracts
they registered. Every list is one statement (or two for the readings: the metrics, then which of
their periods have a reading) whatever the number of contracts, metrics, readings or flags; which
periods are overdue or due soon is then judged by the pure rules in ``metrics/rules.py``, as the
metric pages and the sweep judge them.

``open_flag_reasons`` (flags with their reason in words) is shared with the portfolio dashboard.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from contracts_app.auth.models import CDO, CONTRACT_MANAGER, PROCUREMENT_OFFICER
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.formatting import long_date, number
from contracts_app.decisions import queries as decision_queries
from contracts_app.imports.models import ImportUpload
from contracts_app.management.models import FLAG_KINDS, SEVERITY_ORDER, ActionItem, CheckIn, Flag, FlagLabels
from contracts_app.metrics import rules
from contracts_app.metrics.models import REPORTED_BY_VENDOR, Metric, MetricTarget, Reading
from contracts_app.metrics.status import grace_days, today_for
from contracts_app.milestones.models import Milestone
from contracts_app.vendors.queries import pending_count

DUE_SOON_DAYS = 14
ENDING_WITHIN_DAYS = 120
# Overdue periods shown per metric (most recent first); the rest are counted.
OVERDUE_SHOWN_PER_METRIC = 3


# --- whose contracts --------------------------------------------------------------------------


def managed_by(user):
    """SQL conditions: the unarchived contracts ``user`` manages."""
    return [Contract.contract_manager_id == user.id, Contract.archived_at.is_(None)]


def registered_by(user):
    """SQL conditions: the unarchived contracts ``user`` is the procurement officer of."""
    return [Contract.procurement_officer_id == user.id, Contract.archived_at.is_(None)]


def _active(conditions):
    return [*conditions, Contract.status == "active"]


# --- periods in words ---------------------------------------------------------------------------


def period_words(start, cadence):
    """A reporting period inside a sentence: ``rules.period_label``, lower-case where it starts
    with a word ("since week of 6 Jul 2026", "since Q3 2026")."""
    label = rules.period_label(start, cadence)
    starts_with_a_word = label.startswith(("Week of ", "Month from ", "Quarter from ", "Year from ", "Period from "))
    return label[0].lower() + label[1:] if starts_with_a_word else label


# --- readings overdue and due soon --------------------------------------------------------------


@dataclass
class DueReading:
    """A period of a metric with no reading: overdue, or due within the next days."""

    metric_id: int
    metric_name: str
    contract_id: int
    reference: str
    title: str
    period: rules.Period
    label: str
    due: date
    startable: bool  # the period has started, so the reading form offers it
    vendor_reports: bool = False  # the vendor's contacts submit it (staff may still enter it)


@dataclass
class OverdueMetric:
    """A metric's overdue periods, most recent first (the first few of them)."""

    metric_id: int
    metric_name: str
    contract_id: int
    reference: str
    title: str
    periods: list = field(default_factory=list)
    more: int = 0  # overdue periods beyond those listed
    vendor_reports: bool = False


@dataclass
class ContractGroup:
    """Items of one contract, for pages that list them contract by contract."""

    contract_id: int
    reference: str
    title: str
    items: list = field(default_factory=list)


def by_contract(items):
    """``items`` (each with contract_id, reference, title) grouped by contract, the groups in the
    order of their first item."""
    groups = {}
    for item in items:
        group = groups.get(item.contract_id)
        if group is None:
            group = groups[item.contract_id] = ContractGroup(item.contract_id, item.reference, item.title)
        group.items.append(item)
    return list(groups.values())


def due_readings(conditions, now, soon_days=DUE_SOON_DAYS):
    """(overdue, due_soon) on the active contracts matching ``conditions``.

    ``overdue``: one OverdueMetric per metric with a period past its due date and grace without
    a reading (worst first: most periods missing, then the oldest due date). ``due_soon``: the
    periods without a reading, not yet overdue, due within ``soon_days`` of today (earliest first;
    a due date passed but still within its grace counts as due soon).

    Two statements: the metrics with their contract terms, then the (metric, period start) of
    their readings; the periods come from ``rules.periods`` and are judged by ``rules.is_overdue``.
    """
    today = today_for(now)
    grace = grace_days()
    horizon = today + timedelta(days=soon_days)
    where = _active(conditions)
    metrics = db.session.execute(
        select(
            Metric.id, Metric.name, Metric.cadence, Metric.due_days, Metric.reported_by, Contract.id.label("contract_id"),
            Contract.reference, Contract.title, Contract.start_date, Contract.end_date,
        )
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*where)
        .order_by(Contract.reference, Metric.position, Metric.id)
    ).all()
    if not metrics:
        return [], []
    recorded = defaultdict(set)
    for metric_id, period_start in db.session.execute(
        select(Reading.metric_id, Reading.period_start)
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*where, Reading.period_start <= horizon)
    ):
        recorded[metric_id].add(period_start)

    overdue, soon = [], []
    for m in metrics:
        missing = []
        for period in rules.periods(m.start_date, m.end_date, m.cadence):
            due = rules.due_date(period, m.due_days)
            if due > horizon:
                break
            if period.start in recorded[m.id]:
                continue
            item = DueReading(m.id, m.name, m.contract_id, m.reference, m.title, period,
                              period_words(period.start, m.cadence), due, period.start <= today,
                              m.reported_by == REPORTED_BY_VENDOR)
            if rules.is_overdue(period, m.due_days, today, grace):
                missing.append(item)
            else:
                soon.append(item)
        if missing:
            missing.reverse()
            overdue.append(OverdueMetric(
                m.id, m.name, m.contract_id, m.reference, m.title,
                missing[:OVERDUE_SHOWN_PER_METRIC], max(len(missing) - OVERDUE_SHOWN_PER_METRIC, 0),
                m.reported_by == REPORTED_BY_VENDOR,
            ))
    overdue.sort(key=lambda o: (-(len(o.periods) + o.more), (o.periods[-1].due), o.reference, o.metric_name))
    soon.sort(key=lambda r: (r.due, r.reference, r.metric_name))
    return overdue, soon


# --- check-ins and action items -----------------------------------------------------------------


def proposed_checkins(conditions):
    """Proposed check-ins (waiting for someone to confirm them) on the contracts matching
    ``conditions``, earliest first. One statement."""
    return db.session.execute(
        select(
            CheckIn.id, CheckIn.scheduled_for, CheckIn.start_time, CheckIn.proposed_by_sweep,
            Contract.id.label("contract_id"), Contract.reference, Contract.title,
        )
        .join(Contract, Contract.id == CheckIn.contract_id)
        .where(CheckIn.status == "proposed", *conditions)
        .order_by(CheckIn.scheduled_for, Contract.reference)
    ).all()


def action_items_owned_by(user):
    """Open action items whose owner (free text) is ``user``'s name or email, ignoring case and
    surrounding spaces, on unarchived contracts; earliest due first. One statement."""
    names = sorted({value.strip().lower() for value in (user.name, user.email) if value and value.strip()})
    return db.session.execute(
        select(
            ActionItem.id, ActionItem.description, ActionItem.owner, ActionItem.due_date,
            ActionItem.checkin_id, Contract.id.label("contract_id"), Contract.reference, Contract.title,
        )
        .join(Contract, Contract.id == ActionItem.contract_id)
        .where(ActionItem.status == "open", func.lower(func.trim(ActionItem.owner)).in_(names),
               Contract.archived_at.is_(None))
        .order_by(ActionItem.due_date, Contract.reference, ActionItem.id)
    ).all()


# --- flags with their reason in words -----------------------------------------------------------


@dataclass
class FlagReason(FlagLabels):
    id: int
    contract_id: int
    kind: str
    severity: str
    opened_at: object
    reason: str
    metric_id: int | None
    contract: tuple  # (reference, title, health)


def _run_start():
    """Per flag row (correlated): the first period of the run of readings with the flag's status
    (off track, or at risk for "at risk twice") that ends at the flag's period."""
    status = case((Flag.kind == "at_risk_twice", rules.AT_RISK), else_=rules.OFF_TRACK)
    inner, outer = aliased(Reading), aliased(Reading)
    last_other = (
        select(func.max(inner.period_start))
        .where(inner.metric_id == Flag.metric_id, inner.period_start < Flag.period_start, inner.status != status)
        .correlate(Flag)
        .scalar_subquery()
    )
    return (
        select(func.min(outer.period_start))
        .where(outer.metric_id == Flag.metric_id, outer.period_start <= Flag.period_start, outer.status == status,
               outer.period_start > func.coalesce(last_other, literal(date(1, 1, 1), Date)))
        .correlate(Flag)
        .scalar_subquery()
    )


def open_flag_reasons(conditions):
    """The open flags of the contracts matching ``conditions`` (SQL conditions on Contract), each
    with its reason in words, worst first per contract. One statement: each flag with its
    metric or milestone, the reading of its period, that period's explicit target and (metric
    flags) the start of the run of periods it belongs to."""
    reading, explicit = aliased(Reading), aliased(MetricTarget)
    severity_rank = case({s: i for i, s in enumerate(SEVERITY_ORDER)}, value=Flag.severity, else_=len(SEVERITY_ORDER))
    run_start = case((Flag.kind.in_(("off_track", "at_risk_twice")), _run_start()))
    rows = db.session.execute(
        select(
            Flag.id, Flag.contract_id, Flag.kind, Flag.severity, Flag.period_start, Flag.opened_at, Flag.summary,
            Contract.reference, Contract.title, Contract.health, Contract.start_date, Contract.end_date,
            Metric.id.label("metric_id"), Metric.name.label("metric_name"), Metric.cadence, Metric.due_days,
            Metric.direction, Metric.unit, Metric.baseline_value, Metric.target_value, Metric.range_low,
            Metric.range_high,
            reading.value.label("value"), reading.period_end.label("period_end"),
            explicit.value.label("explicit_target"), run_start.label("run_start"),
            Milestone.title.label("milestone_title"), Milestone.status.label("milestone_status"),
        )
        .join(Contract, Contract.id == Flag.contract_id)
        .outerjoin(Metric, Metric.id == Flag.metric_id)
        .outerjoin(Milestone, Milestone.id == Flag.milestone_id)
        .outerjoin(reading, and_(reading.metric_id == Flag.metric_id, reading.period_start == Flag.period_start))
        .outerjoin(explicit, and_(explicit.metric_id == Flag.metric_id, explicit.period_start == Flag.period_start))
        .where(Flag.resolved_at.is_(None), *conditions)
        .order_by(Flag.contract_id, severity_rank, Flag.period_start.desc(), Flag.id)
    ).all()
    gap_days = current_app.config["CHECKIN_MAX_GAP_DAYS"]
    grace = grace_days()
    return [
        FlagReason(row.id, row.contract_id, row.kind, row.severity, row.opened_at, reason_text(row, gap_days, grace),
                   row.metric_id, (row.reference, row.title, row.health))
        for row in rows
    ]


def _value_text(value, unit):
    text = number(value)
    return f"{text}%" if unit.strip() in ("%", "percent") else text


def _target_text(row):
    if row.direction == "range":
        if row.range_low is None or row.range_high is None:
            return None
        return f"a range of {_value_text(row.range_low, row.unit)}–{_value_text(row.range_high, row.unit)}"
    end = row.period_end or row.period_start
    target = rules.target_for_period(
        row, rules.Period(row.period_start, end), row.start_date, row.end_date,
        {row.period_start: row.explicit_target} if row.explicit_target is not None else None,
    )
    return None if target is None else f"a target of {_value_text(rules.shown_target(target, row), row.unit)}"


def reason_text(row, gap_days, grace):
    """A flag's reason in words, from a row of ``open_flag_reasons``'s statement."""
    if row.kind in ("off_track", "at_risk_twice") and row.metric_name is not None:
        since = period_words(row.run_start or row.period_start, row.cadence)
        state = "off track" if row.kind == "off_track" else "at risk"
        if row.value is None:
            return f"{row.metric_name}: {state} since {since}"
        target = _target_text(row)
        against = f" against {target}" if target else ""
        return f"{row.metric_name}: {_value_text(row.value, row.unit)}{against} — {state} since {since}"
    if row.kind == "overdue" and row.metric_name is not None:
        period = rules.PeriodIndex(row.start_date, row.end_date, row.cadence).starting(row.period_start)
        label = period_words(row.period_start, row.cadence)
        if period is None:
            return f"{row.metric_name}: {label} reading overdue"
        due = rules.due_date(period, row.due_days)
        return f"{row.metric_name}: {label} reading overdue since {long_date(due + timedelta(days=grace + 1))} (due {long_date(due)})"
    if row.kind == "milestone_missed" and row.milestone_title is not None:
        if row.milestone_status == "not_met":
            return f"Milestone “{row.milestone_title}” (due {long_date(row.period_start)}) was not met"
        return f"Milestone “{row.milestone_title}” was due {long_date(row.period_start)} and is not met yet"
    if row.kind == "no_checkin":
        since = row.period_start - timedelta(days=gap_days)
        return f"No check-in held for more than {gap_days} days (none since {long_date(since)})"
    if row.kind == "group_gap" and row.summary:
        # "Placements: On track overall, off track in District 7 (Aug 2025)": the contract is
        # shown beside the reason already.
        return row.summary.removeprefix(f"{row.reference}: ")
    return row.summary or FLAG_KINDS.get(row.kind, row.kind)


@dataclass
class FlaggedContract:
    id: int
    reference: str
    title: str
    health: str
    flags: list


def flags_by_contract(conditions):
    """Open flags on the contracts matching ``conditions``, grouped by contract (the contract
    with the most severe flags first). One statement (``open_flag_reasons``)."""
    grouped = {}
    for reason in open_flag_reasons(conditions):
        entry = grouped.get(reason.contract_id)
        if entry is None:
            entry = grouped[reason.contract_id] = FlaggedContract(reason.contract_id, *reason.contract, [])
        entry.flags.append(reason)

    def worst(entry):
        counts = [sum(1 for f in entry.flags if f.severity == s) for s in SEVERITY_ORDER]
        return (*(-n for n in counts), entry.reference)

    return sorted(grouped.values(), key=worst)


# --- procurement officer ------------------------------------------------------------------------


def drafts(conditions):
    """Draft contracts matching ``conditions``, most recently changed first. One statement."""
    return db.session.execute(
        select(Contract.id, Contract.reference, Contract.title, Contract.updated_at, Contract.start_date)
        .where(Contract.status == "draft", *conditions)
        .order_by(Contract.updated_at.desc(), Contract.reference)
    ).all()


def incomplete_contracts(conditions):
    """Draft or active contracts matching ``conditions`` with no metrics or no goals (the problem
    or the desired outcomes left blank, as the certification evidence counts them). One
    statement, the metric count grouped in a subquery."""
    metric_counts = (
        select(Metric.contract_id.label("contract_id"), func.count(Metric.id).label("metrics"))
        .group_by(Metric.contract_id)
        .subquery("metric_counts")
    )
    metrics = func.coalesce(metric_counts.c.metrics, 0)
    has_goals = and_(func.trim(Contract.problem) != "", func.trim(Contract.outcomes) != "")
    return db.session.execute(
        select(
            Contract.id, Contract.reference, Contract.title, Contract.status, metrics.label("metrics"),
            case((has_goals, True), else_=False).label("has_goals"),
        )
        .outerjoin(metric_counts, metric_counts.c.contract_id == Contract.id)
        .where(Contract.status.in_(("draft", "active")), or_(metrics == 0, ~has_goals), *conditions)
        .order_by(Contract.reference)
    ).all()


def ending_soon(conditions, today, days=ENDING_WITHIN_DAYS):
    """Active contracts matching ``conditions`` whose term ends within ``days`` of ``today``
    (inclusive), soonest first. One statement."""
    return db.session.execute(
        select(Contract.id, Contract.reference, Contract.title, Contract.end_date, Contract.health)
        .where(*_active(conditions), Contract.end_date >= today, Contract.end_date <= today + timedelta(days=days))
        .order_by(Contract.end_date, Contract.reference)
    ).all()


def imports_in_progress(user):
    """``user``'s staged CSV imports not committed yet, newest first. One statement."""
    return db.session.execute(
        select(ImportUpload.id, ImportUpload.kind, ImportUpload.filename, ImportUpload.created_at)
        .where(ImportUpload.uploaded_by_id == user.id, ImportUpload.committed_at.is_(None))
        .order_by(ImportUpload.created_at.desc(), ImportUpload.id.desc())
    ).all()


# --- the pages ----------------------------------------------------------------------------------


def work_for(user, now):
    """Everything on ``user``'s "My work" page, by role: a dict for the template, with ``kind``
    "contract_manager", "procurement_officer" or "other"."""
    today = today_for(now)
    if user.role == CONTRACT_MANAGER:
        mine = managed_by(user)
        overdue, soon = due_readings(mine, now)
        return {
            "kind": "contract_manager", "today": today, "overdue": by_contract(overdue), "due_soon": by_contract(soon),
            "due_soon_days": DUE_SOON_DAYS, "checkins": proposed_checkins(_active(mine)),
            "action_items": action_items_owned_by(user), "flagged": flags_by_contract(mine),
            "to_verify": pending_count(user),
        }
    if user.role == PROCUREMENT_OFFICER:
        mine = registered_by(user)
        return {
            "kind": "procurement_officer", "today": today, "drafts": drafts(mine),
            "incomplete": incomplete_contracts(mine), "ending": ending_soon(mine, today),
            "ending_days": ENDING_WITHIN_DAYS, "imports": imports_in_progress(user),
            "flagged": flags_by_contract(mine), "to_verify": pending_count(user),
            "decisions": decision_queries.open_tasks(decision_queries.tasks_for(user, role_officer=True), today),
        }
    if user.role == CDO:
        return {"kind": "other", "today": today, "action_items": action_items_owned_by(user),
                "decisions": decision_queries.open_tasks([], today)}
    return {"kind": "other", "today": today, "action_items": action_items_owned_by(user)}
