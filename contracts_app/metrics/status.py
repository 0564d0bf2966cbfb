"""Keep the stored statuses current: each metric's status and each contract's health.

These run inside the caller's transaction (a reading service, the status refresh job); they
never commit.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, func, select

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading


def today_for(now):
    return rules.city_today(now, current_app.config["CITY_TIMEZONE"])


def grace_days():
    return current_app.config["OVERDUE_GRACE_DAYS"]


def metric_periods(metric):
    contract = metric.contract
    return rules.periods(contract.start_date, contract.end_date, metric.cadence)


def explicit_targets(metric):
    return {t.period_start: t.value for t in metric.targets}


def target_for(metric, period, explicit=None):
    contract = metric.contract
    if explicit is None:
        explicit = explicit_targets(metric)
    return rules.target_for_period(metric, period, contract.start_date, contract.end_date, explicit)


def evaluate(metric, period, value, explicit=None):
    """(target, attainment, status) of ``value`` for ``period``."""
    target = target_for(metric, period, explicit)
    achieved = rules.attainment(metric, value, target)
    return target, achieved, rules.status_for_attainment(metric, achieved)


def refresh_metric(metric, now):
    """Recompute and store one metric's status; returns it."""
    latest = db.session.execute(
        select(Reading.period_start, Reading.status)
        .where(Reading.metric_id == metric.id)
        .order_by(Reading.period_start.desc())
        .limit(1)
    ).first()
    result = rules.metric_status(
        metric, metric_periods(metric), tuple(latest) if latest else None, today_for(now), grace_days()
    )
    metric.status = result.status
    metric.status_period_start = result.period_start
    metric.status_updated_at = now
    return result.status


def refresh_contract_health(contract, now):
    """Recompute and store a contract's health from its stored metric statuses and milestones."""
    contract.health = rules.contract_health(
        [m.status for m in contract.metrics],
        [(ms.due_date, ms.status) for ms in contract.milestones],
        today_for(now),
    )
    contract.health_updated_at = now
    return contract.health


def refresh_contract(contract, now):
    """Refresh every metric of a contract, then its health."""
    for metric in contract.metrics:
        refresh_metric(metric, now)
    return refresh_contract_health(contract, now)


def reevaluate_readings(metric):
    """Re-judge every stored reading of a metric (after its targets or thresholds change)."""
    explicit = explicit_targets(metric)
    all_periods = {p.start: p for p in metric_periods(metric)}
    for reading in metric.readings:
        period = all_periods.get(reading.period_start) or rules.Period(reading.period_start, reading.period_end)
        reading.status = evaluate(metric, period, reading.value, explicit)[2]


def refresh_all_statuses(now=None):
    """Recompute every metric's status and every contract's health, in bulk.

    Time alone moves statuses (a reading becomes overdue with no write), so the scheduler runs
    this. Rows are updated in id order so that two concurrent runs lock them in the same order
    (no deadlock: the second waits for the first). The latest reading of each metric comes from one grouped query, not a query per row.
    Returns counts of what changed. Does not commit.
    """
    from contracts_app.contracts.models import Contract, Milestone

    now = now or utcnow()
    today = today_for(now)
    grace = grace_days()

    latest_start = (
        select(Reading.metric_id, func.max(Reading.period_start).label("period_start"))
        .group_by(Reading.metric_id)
        .subquery()
    )
    latest = {
        metric_id: (period_start, status)
        for metric_id, period_start, status in db.session.execute(
            select(Reading.metric_id, Reading.period_start, Reading.status).join(
                latest_start,
                and_(
                    Reading.metric_id == latest_start.c.metric_id,
                    Reading.period_start == latest_start.c.period_start,
                ),
            )
        )
    }
    terms = dict(
        (cid, (start, end))
        for cid, start, end in db.session.execute(select(Contract.id, Contract.start_date, Contract.end_date))
    )
    statuses_by_contract = {}
    metrics_changed = 0
    for metric in db.session.scalars(select(Metric).order_by(Metric.id)):
        start, end = terms[metric.contract_id]
        result = rules.metric_status(
            metric, rules.periods(start, end, metric.cadence), latest.get(metric.id), today, grace
        )
        if (metric.status, metric.status_period_start) != (result.status, result.period_start):
            metric.status = result.status
            metric.status_period_start = result.period_start
            metric.status_updated_at = now
            metrics_changed += 1
        statuses_by_contract.setdefault(metric.contract_id, []).append(result.status)

    milestones_by_contract = {}
    for contract_id, due, status in db.session.execute(
        select(Milestone.contract_id, Milestone.due_date, Milestone.status)
    ):
        milestones_by_contract.setdefault(contract_id, []).append((due, status))

    contracts_changed = 0
    for contract in db.session.scalars(select(Contract).order_by(Contract.id)):
        health = rules.contract_health(
            statuses_by_contract.get(contract.id, []), milestones_by_contract.get(contract.id, []), today
        )
        if contract.health != health:
            contract.health = health
            contract.health_updated_at = now
            contracts_changed += 1
    return {"metrics_changed": metrics_changed, "contracts_changed": contracts_changed}

