"""Gap flags: a group (District 7) lagging behind its metric's total.

For each metric's latest reading that carries group values, the group's attainment is judged
against the same period target as the total:

- a rate, an average or a score (``Metric.is_count`` false): the group's value against the
  period's target, as the total is;
- a count: the group's value against its equal share of the period's target (the target
  divided by the number of groups of its dimension), since the groups add up to the total.

A group lags when its attainment is more than ``GAP_FLAG_POINTS`` below the total's, or when it
is at risk or off track while the total is on track. The sweep opens one flag per metric and
period naming every lagging group ("On track overall, off track in District 7"), and resolves it
when the data no longer shows a gap (management.rules.cleared_note).

All of it is read in two statements whatever the number of metrics: the latest readings' group
values with what judging them needs, and the number of groups per dimension.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from contracts_app.contracts.models import Contract
from contracts_app.dimensions.models import DimensionGroup, ReadingGroupValue
from contracts_app.dimensions.services import group_target
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading


@dataclass
class LaggingGroup:
    name: str
    status: str
    attainment: Decimal


@dataclass
class MetricGaps:
    """The latest reading's groups judged: ``lagging`` in the dimensions' group order."""

    period_start: object
    overall_status: str
    overall_attainment: Decimal | None
    lagging: list = field(default_factory=list)

    def summary(self):
        """"On track overall, off track in District 7" (the flag's words)."""
        overall = rules.STATUS_LABELS[self.overall_status]
        parts = []
        by_status = {}
        for group in self.lagging:
            by_status.setdefault(group.status, []).append(group)
        for status in (rules.OFF_TRACK, rules.AT_RISK, rules.ON_TRACK):
            groups = by_status.get(status)
            if not groups:
                continue
            names = ", ".join(g.name for g in groups)
            if status == rules.ON_TRACK:
                parts.append(f"{names} well behind ({', '.join(f'{int(g.attainment)}%' for g in groups)} of target)")
            else:
                parts.append(f"{rules.STATUS_LABELS[status].lower()} in {names}")
        overall_words = f"{overall} overall"
        if self.overall_attainment is not None and self.overall_status != rules.ON_TRACK:
            overall_words += f" ({int(self.overall_attainment)}%)"
        return f"{overall_words}, {'; '.join(parts)}"


def _judging_columns():
    return (
        Metric.direction, Metric.baseline_value, Metric.target_value, Metric.range_low, Metric.range_high,
        Metric.tolerance_pct, Metric.on_track_pct, Metric.at_risk_pct, Metric.is_count,
    )


def metric_gaps(metric_state):
    """{metric id: MetricGaps} for the metrics of ``metric_state`` (sweep._MetricState by id)
    whose latest reading carries group values."""
    if not metric_state:
        return {}
    points = Decimal(current_app.config["GAP_FLAG_POINTS"])
    later = aliased(Reading)
    latest_start = (
        select(func.max(later.period_start)).where(later.metric_id == Reading.metric_id).scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Reading.metric_id, Reading.period_start, Reading.period_end, Reading.value, *_judging_columns(),
            Contract.start_date, Contract.end_date, MetricTarget.value.label("explicit"),
            DimensionGroup.dimension_id, DimensionGroup.name, DimensionGroup.position,
            ReadingGroupValue.value.label("group_value"),
        )
        .join(ReadingGroupValue, ReadingGroupValue.reading_id == Reading.id)
        .join(DimensionGroup, DimensionGroup.id == ReadingGroupValue.group_id)
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .outerjoin(MetricTarget, and_(MetricTarget.metric_id == Reading.metric_id,
                                      MetricTarget.period_start == Reading.period_start))
        .where(Reading.period_start == latest_start)
        .order_by(Reading.metric_id, DimensionGroup.dimension_id, DimensionGroup.position)
    ).all()
    if not rows:
        return {}
    sizes = dict(db.session.execute(
        select(DimensionGroup.dimension_id, func.count(DimensionGroup.id))
        .where(DimensionGroup.dimension_id.in_(sorted({row.dimension_id for row in rows})))
        .group_by(DimensionGroup.dimension_id)
    ).all())
    gaps = {}
    for row in rows:
        state = metric_state.get(row.metric_id)
        if state is None or state.latest is None or state.latest[0] != row.period_start:
            continue
        found = gaps.get(row.metric_id)
        period = rules.Period(row.period_start, row.period_end)
        explicit = {row.period_start: row.explicit} if row.explicit is not None else None
        target = rules.target_for_period(row, period, row.start_date, row.end_date, explicit)
        if found is None:
            overall = rules.attainment(row, row.value, target)
            found = gaps[row.metric_id] = MetricGaps(row.period_start, rules.status_for_attainment(row, overall), overall)
        achieved = rules.attainment(row, row.group_value, group_target(row, target, sizes[row.dimension_id]))
        if achieved is None or found.overall_attainment is None:
            continue
        status = rules.status_for_attainment(row, achieved)
        behind = achieved < found.overall_attainment - points
        if behind or (found.overall_status == rules.ON_TRACK and status in (rules.AT_RISK, rules.OFF_TRACK)):
            found.lagging.append(LaggingGroup(row.name, status, achieved))
    return gaps


def lagging_groups_for_priority(priority_id):
    """The open gap flags of the active, unarchived contracts serving a priority: which groups
    lag across its contracts (the priority page). One statement; rows (flag id, reference,
    metric name, summary), by contract reference."""
    from contracts_app.management.models import Flag
    from contracts_app.priorities.models import contract_priorities

    return db.session.execute(
        select(Flag.id, Contract.reference, Metric.name, Flag.summary)
        .join(Contract, Contract.id == Flag.contract_id)
        .join(Metric, Metric.id == Flag.metric_id)
        .join(contract_priorities, contract_priorities.c.contract_id == Contract.id)
        .where(contract_priorities.c.priority_id == priority_id, Flag.kind == "group_gap",
               Flag.resolved_at.is_(None), Contract.status == "active", Contract.archived_at.is_(None))
        .order_by(Contract.reference, Metric.name, Flag.id)
    ).all()
