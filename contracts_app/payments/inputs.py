"""From database rows to ``payments.compute``'s inputs: the one place that translates them.

``load_contract(contract)`` reads what a contract's statements are computed from in a fixed
number of queries (the terms, the rules with their metrics, the linked metrics, their explicit
targets and readings, the milestones, what approved statements already counted), whatever the
number of periods or readings; ``ContractPaymentData.statement(period)`` is then pure.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from contracts_app.extensions import db
from contracts_app.metrics import rules as metric_rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.milestones.models import Milestone
from contracts_app.payments import compute
from contracts_app.payments.models import (
    APPROVED, GRACE, IMPROVEMENT, INCENTIVE, MILESTONE, OUTCOME, PENALTY, WITHHOLD, PaymentRule, PaymentStatement,
    PaymentStatementLine, PaymentTerms,
)
from contracts_app.payments.periods import billing_periods, metric_periods_in

ZERO = Decimal(0)


def _dec(value):
    return None if value is None else Decimal(str(value))


def tiers_of(rule):
    return tuple(
        compute.Tier(threshold=_dec(t["threshold"]), amount=_dec(t.get("amount")), percent=_dec(t.get("percent")))
        for t in (rule.tiers or ())
    )


def to_compute_rule(rule):
    """A PaymentRule row as the computation's rule (key: ``rule.key``)."""
    common = dict(key=rule.key, effective_from=rule.effective_from, effective_to=rule.effective_to)
    first_metric = rule.metrics[0].metric_id if rule.metrics else 0
    if rule.kind == WITHHOLD:
        return compute.Withhold(
            **common, percent=_dec(rule.percent) or ZERO,
            metrics=tuple(compute.LinkedMetric(link.metric_id, _dec(link.weight)) for link in rule.metrics),
            at_risk_release_pct=_dec(rule.at_risk_release_pct) or ZERO, missing_releases=bool(rule.missing_releases),
        )
    if rule.kind == PENALTY:
        return compute.Penalty(**common, metric_id=first_metric, tiers=tiers_of(rule),
                               cap_per_period=_dec(rule.cap_per_period), cap_per_contract=_dec(rule.cap_per_contract),
                               missing_penalised=bool(rule.missing_penalised))
    if rule.kind == INCENTIVE:
        return compute.Incentive(**common, metric_id=first_metric, tiers=tiers_of(rule),
                                 cap_per_contract=_dec(rule.cap_per_contract))
    if rule.kind == OUTCOME:
        return compute.OutcomePayment(**common, metric_id=first_metric, price_per_unit=_dec(rule.price_per_unit) or ZERO,
                                      floor=_dec(rule.floor) or ZERO, minimum=_dec(rule.minimum),
                                      cap_total=_dec(rule.cap_total))
    if rule.kind == MILESTONE:
        return compute.MilestonePayment(**common, milestone_id=rule.milestone_id or 0, amount=_dec(rule.amount) or ZERO,
                                        partial_share_pct=_dec(rule.partial_share_pct) or ZERO)
    if rule.kind == GRACE:
        return compute.Grace(**common, periods=rule.grace_periods or 0)
    if rule.kind == IMPROVEMENT:
        return compute.ImprovementCredit(**common, release_pct=_dec(rule.release_pct) or ZERO,
                                         min_points=_dec(rule.min_points) or ZERO)
    raise ValueError(f"unknown rule kind {rule.kind!r}")


@dataclass
class MetricFigure:
    """A metric's figure for one billing period: the value and target the rules judge, the
    reporting periods behind them, and those with no reading."""
    value: Decimal | None
    target: Decimal | None
    periods: list
    missing: list


@dataclass
class ContractPaymentData:
    contract: object
    terms: object | None
    rules: list  # PaymentRule rows, all of them (ended ones too)
    metrics: dict  # id -> Metric
    aggregation: dict  # metric id -> sum / average / last
    targets: dict  # metric id -> {period_start: value}
    readings: dict  # metric id -> {period_start: value}
    milestones: list
    paid: dict = field(default_factory=dict)  # (kind, key) -> amount counted by approved statements before a period

    # --- periods -------------------------------------------------------------------------

    def periods(self):
        if self.terms is None:
            return ()
        linked = [m for m in self.milestones if m.payment_linked]
        return billing_periods(self.terms.billing_period, self.contract.start_date, self.contract.end_date, linked)

    def period_starting(self, start):
        return next((p for p in self.periods() if p.start == start), None)

    def data_due(self, period):
        """The day the billing period's data is due: its end plus the longest due days of its
        metrics (a billing period with no metrics: its end)."""
        from datetime import timedelta

        days = max((self.metrics[m].due_days for m in self.metrics), default=0)
        return period.end + timedelta(days=days)

    # --- figures -------------------------------------------------------------------------

    def figure(self, metric, period, values=None):
        """The metric's figure for the billing period, from its readings (or from ``values``,
        {metric period start: value}, for a what-if)."""
        contract = self.contract
        reporting = metric_periods_in(metric_rules.periods(contract.start_date, contract.end_date, metric.cadence), period)
        recorded = self.readings.get(metric.id, {}) if values is None else values
        explicit = self.targets.get(metric.id, {})
        found, targets, missing = [], [], []
        for p in reporting:
            value = recorded.get(p.start)
            target = metric_rules.target_for_period(metric, p, contract.start_date, contract.end_date, explicit)
            targets.append(target)
            if value is None:
                missing.append(p)
            else:
                found.append(Decimal(value))
        if not reporting or missing:
            return MetricFigure(None, None, reporting, missing if reporting else [])
        how = self.aggregation.get(metric.id, "sum")
        if how == "sum":
            value = sum(found, ZERO)
            target = None if any(t is None for t in targets) else sum(targets, ZERO)
        elif how == "average":
            value = sum(found, ZERO) / len(found)
            target = None if any(t is None for t in targets) else sum(targets, ZERO) / len(targets)
        else:
            value, target = found[-1], targets[-1]
        return MetricFigure(value, target, reporting, [])

    def period_data(self, period, values=None):
        """(PeriodData, {metric id: MetricFigure}) for the billing period. ``values``: a
        what-if's {metric id: {metric period start: value}} instead of the readings."""
        figures, previous_attainment = {}, {}
        periods = self.periods()
        previous = next((p for p in periods if p.number == period.number - 1), None)
        for metric in self.metrics.values():
            figure = self.figure(metric, period, None if values is None else values.get(metric.id, {}))
            figures[metric.id] = figure
            if previous is not None:
                before = self.figure(metric, previous)
                previous_attainment[metric.id] = (
                    metric_rules.attainment(metric, before.value, before.target) if before.value is not None else None
                )
        milestones = {
            m.id: compute.MilestoneState(m.id, m.title, m.status, m.completed_on) for m in self.milestones
        }
        data = compute.PeriodData(
            metrics=dict(self.metrics),
            values={mid: f.value for mid, f in figures.items()},
            targets={mid: f.target for mid, f in figures.items()},
            previous_attainment=previous_attainment,
            milestones=milestones,
        )
        return data, figures

    def history(self, period):
        """What approved statements of earlier billing periods counted, per rule key (the caps
        over the contract) and per milestone. A rule that replaced another (a change of tiers
        on an active contract) counts what its predecessors counted too: a contract's cap is
        the contract's, whatever the changes."""
        counted = self.paid.get(period.start, {})
        by_id = {rule.id: rule for rule in self.rules}

        def root(rule):
            seen = set()
            while rule.replaces_id in by_id and rule.id not in seen:
                seen.add(rule.id)
                rule = by_id[rule.replaces_id]
            return rule.id

        lineage = defaultdict(list)
        for rule in self.rules:
            lineage[root(rule)].append(rule.key)
        history = compute.History()
        for rule in self.rules:
            keys = lineage[root(rule)]
            for kind, target in (("penalty", history.penalties), ("incentive", history.incentives),
                                 ("outcome", history.outcomes)):
                total = sum((counted.get((kind, key), ZERO) for key in keys), ZERO)
                if total:
                    target[rule.key] = total
        for (kind, key), amount in counted.items():
            if kind == "milestone":
                history.milestones[key] = history.milestones.get(key, ZERO) + amount
        return history

    def statement(self, period, values=None):
        """compute_statement for the billing period, with the figures behind it. Raises
        compute.RuleError when the rules cannot be applied."""
        if self.terms is None:
            raise compute.RuleError("The contract has no payment terms.")
        data, figures = self.period_data(period, values)
        terms = compute.Terms(self.contract.currency, Decimal(self.terms.amount_per_period))
        rules = [to_compute_rule(rule) for rule in self.rules]
        return compute.compute_statement(terms, rules, period, data, self.history(period)), figures


def load_contract(contract):
    """Everything the contract's statements are computed from, in a fixed number of queries."""
    terms = db.session.scalar(select(PaymentTerms).where(PaymentTerms.contract_id == contract.id))
    rules = db.session.scalars(
        select(PaymentRule).options(selectinload(PaymentRule.metrics))
        .where(PaymentRule.contract_id == contract.id).order_by(PaymentRule.position, PaymentRule.id)
    ).all()
    aggregation = {}
    for rule in rules:
        for link in rule.metrics:
            aggregation.setdefault(link.metric_id, link.aggregation)
    metric_ids = sorted(aggregation)
    metrics = {}
    targets, readings = defaultdict(dict), defaultdict(dict)
    if metric_ids:
        metrics = {m.id: m for m in db.session.scalars(select(Metric).where(Metric.id.in_(metric_ids)))}
        for metric_id, start, value in db.session.execute(
            select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value)
            .where(MetricTarget.metric_id.in_(metric_ids))
        ):
            targets[metric_id][start] = value
        for metric_id, start, value in db.session.execute(
            select(Reading.metric_id, Reading.period_start, Reading.value).where(Reading.metric_id.in_(metric_ids))
        ):
            readings[metric_id][start] = value
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.due_date, Milestone.id)
    ).all()
    data = ContractPaymentData(contract, terms, list(rules), metrics, aggregation, dict(targets), dict(readings),
                               list(milestones))
    data.paid = _paid_before(contract.id, data.periods())
    return data


def latest_approved():
    """A subquery: per (contract, period start) the highest approved revision, the statement
    that counts for the period (an approved revision replaces the one before it)."""
    return (
        select(PaymentStatement.contract_id, PaymentStatement.period_start,
               func.max(PaymentStatement.revision).label("revision"))
        .where(PaymentStatement.status == APPROVED)
        .group_by(PaymentStatement.contract_id, PaymentStatement.period_start)
        .subquery()
    )


def _paid_before(contract_id, periods):
    """{period start: {(line kind, rule key or milestone id): amount}}: for each billing period,
    what the approved statements of the periods before it counted. One grouped query."""
    latest = latest_approved()
    rows = db.session.execute(
        select(PaymentStatement.period_start, PaymentStatementLine.kind, PaymentStatementLine.rule_key,
               PaymentStatementLine.milestone_id, func.sum(PaymentStatementLine.amount))
        .join(PaymentStatementLine, PaymentStatementLine.statement_id == PaymentStatement.id)
        .join(latest, (latest.c.contract_id == PaymentStatement.contract_id)
              & (latest.c.period_start == PaymentStatement.period_start)
              & (latest.c.revision == PaymentStatement.revision))
        .where(PaymentStatement.contract_id == contract_id,
               PaymentStatementLine.kind.in_(("penalty", "incentive", "outcome", "milestone")))
        .group_by(PaymentStatement.period_start, PaymentStatementLine.kind, PaymentStatementLine.rule_key,
                  PaymentStatementLine.milestone_id)
    ).all()
    result = {}
    for period in periods:
        counted = defaultdict(lambda: ZERO)
        for start, kind, rule_key, milestone_id, amount in rows:
            if start >= period.start:
                continue
            # Penalties are stored negative; the caps count what was deducted.
            key = milestone_id if kind == "milestone" else rule_key
            counted[(kind, key)] += abs(Decimal(amount))
        result[period.start] = dict(counted)
    return result
