"""Payment terms, rules and statements: the commands (validate, write, audit, commit).

Statements are computed by ``payments.compute`` from what ``payments.inputs`` reads; this
module stores them. Drafting by the sweep is in ``payments.drafting``.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from contracts_app.audit.services import record, snapshot
from contracts_app.db_types import utcnow
from contracts_app.db_utils import dialect_insert
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.metrics.models import Metric
from contracts_app.milestones.models import Milestone
from contracts_app.payments import compute
from contracts_app.payments.inputs import load_contract
from contracts_app.payments.models import (
    AGGREGATIONS, APPROVED, BILLING_PERIODS, DRAFT, GRACE, IMPROVEMENT, INCENTIVE, METRIC_KINDS, MILESTONE, OUTCOME,
    PENALTY, RULE_KINDS, WITHHOLD, PaymentRule, PaymentRuleMetric, PaymentStatement, PaymentStatementLine,
    PaymentTerms,
)
from contracts_app.payments.periods import cadence_fits

HUNDRED = Decimal(100)
MAX_TIERS = 6


class PaymentError(ServiceError):
    """A payment change that cannot be made; ``field`` names the form field at fault."""


def adding_is_amendment(contract):
    """Whether adding a rule to ``contract`` amends it: under way and with rules already (the
    first rules of a contract entered after it started record its terms; they amend nothing)."""
    return needs_reason(contract) and db.session.scalar(
        select(PaymentRule.id).where(PaymentRule.contract_id == contract.id).limit(1)) is not None


def needs_reason(contract):
    """Once a contract is under way, a change of its payment terms or rules applies from a
    date and says why (it is an amendment)."""
    return contract.status != "draft"


def _amend(contract, actor, before, after, values, now, summary):
    """A change of payment terms or rules on a contract under way is an amendment (kind
    payment_rules): dated, with the change's reason and its approver, in the same transaction
    (amendments.services; AmendmentError when the date or approver is missing or wrong)."""
    from contracts_app.amendments.models import PAYMENT_RULES
    from contracts_app.amendments.services import record_amendment
    from contracts_app.metrics.status import today_for

    after = {**(after or {}), "summary": summary}
    record_amendment(contract, [PAYMENT_RULES], _json_safe(before), _json_safe(after), values.get("reason") or "",
                     values.get("amendment_approver_id"), values.get("amended_on"), actor, today=today_for(now))


def _json_safe(snapshot_dict):
    """An audit snapshot as plain JSON values (Decimals and dates as text)."""
    import json

    return json.loads(json.dumps(snapshot_dict, default=str)) if snapshot_dict else None


# --- Terms --------------------------------------------------------------------------------


def terms_problems(contract, values, terms=None):
    problems = {}
    billing = values.get("billing_period")
    if billing not in BILLING_PERIODS:
        problems["billing_period"] = _("Choose how often the vendor is billed.")
    amount = values.get("amount_per_period")
    if amount is None:
        problems["amount_per_period"] = _("Give the scheduled amount per billing period.")
    elif amount < 0:
        problems["amount_per_period"] = _("The amount cannot be negative.")
    elif amount != amount.quantize(Decimal("0.01")):
        problems["amount_per_period"] = _("Give the amount in whole cents.")
    elif amount > contract.value:
        problems["amount_per_period"] = _("The amount per period is more than the contract's whole value.")
    if needs_reason(contract) and terms is not None and not (values.get("reason") or "").strip():
        problems["reason"] = _("Say why the payment terms change (the contract is under way).")
    if terms is not None and billing != terms.billing_period and billing in BILLING_PERIODS:
        has_statements = db.session.scalar(
            select(PaymentStatement.id).where(PaymentStatement.contract_id == contract.id).limit(1)
        )
        if has_statements:
            problems["billing_period"] = _(
                "Statements have been drafted for the current billing periods: the billing period cannot change."
            )
    return problems


@command
def set_terms(contract, actor, values, now=None):
    """Create or change the contract's payment terms."""
    now = now or utcnow()
    terms = db.session.scalar(select(PaymentTerms).where(PaymentTerms.contract_id == contract.id))
    PaymentError.raise_first(terms_problems(contract, values, terms))
    before = snapshot(terms) if terms else None
    if terms is None:
        terms = PaymentTerms(contract_id=contract.id, created_at=now)
        db.session.add(terms)
    terms.billing_period = values["billing_period"]
    terms.amount_per_period = values["amount_per_period"]
    terms.reason = (values.get("reason") or "").strip()
    terms.updated_by_id = actor.id
    terms.updated_at = now
    db.session.flush()
    record(actor, "update" if before else "create", terms, before=before, after=snapshot(terms),
           contract_id=contract.id, summary=f"Set the payment terms of {contract.reference}")
    if before is not None and needs_reason(contract):
        _amend(contract, actor, {"terms": before}, {"terms": snapshot(terms)}, values, now,
               f"terms set to {terms.amount_per_period} {contract.currency} per {terms.billing_period} period")
    db.session.commit()
    return terms


# --- Rules --------------------------------------------------------------------------------


def _percent_problem(value, what, required=True):
    if value is None:
        return _("Give %(what)s.", what=what) if required else None
    if not Decimal(0) <= value <= HUNDRED:
        return _("%(what)s must be a percentage from 0 to 100.", what=what.capitalize())
    return None


def _money_problem(value, what, required=False):
    if value is None:
        return _("Give %(what)s.", what=what) if required else None
    if value < 0:
        return _("%(what)s cannot be negative.", what=what.capitalize())
    return None


def _last_approved_end(contract):
    return db.session.scalar(
        select(PaymentStatement.period_end).where(PaymentStatement.contract_id == contract.id,
                                                  PaymentStatement.status == APPROVED)
        .order_by(PaymentStatement.period_end.desc()).limit(1)
    )


def rule_problems(contract, kind, values, terms=None, replacing=None):
    """Every problem with a rule's values, as {field: message}. ``values``: the form's, with
    ``metrics`` a list of {metric_id, weight, aggregation} and ``tiers`` a list of
    {threshold, amount, percent} (rows left blank already dropped)."""
    problems = {}

    def add(name, message):
        if message:
            problems.setdefault(name, message)

    if kind not in RULE_KINDS:
        add("kind", _("Choose the kind of rule."))
        return problems
    if terms is None:
        add("kind", _("Set the contract's payment terms first."))
    links = values.get("metrics") or []
    if kind in METRIC_KINDS:
        if not links:
            add("metrics", _("Choose the payment-linked metric this rule depends on."))
        if kind != WITHHOLD and len(links) > 1:
            add("metrics", _("This kind of rule depends on one metric."))
        ids = [link["metric_id"] for link in links]
        if len(ids) != len(set(ids)):
            add("metrics", _("A metric is chosen twice."))
        metrics = {m.id: m for m in db.session.scalars(select(Metric).where(Metric.id.in_(ids)))} if ids else {}
        for link in links:
            metric = metrics.get(link["metric_id"])
            if metric is None or metric.contract_id != contract.id:
                add("metrics", _("Choose metrics of this contract."))
            elif not metric.payment_linked:
                add("metrics", _("%(name)s is not marked payment-linked: mark it on the metric first.", name=metric.name))
            elif terms is not None and not cadence_fits(metric.cadence, terms.billing_period):
                add("metrics", _("%(name)s is reported %(cadence)s, less often than the vendor is billed.",
                                 name=metric.name, cadence=metric.cadence_label.lower()))
            if link.get("aggregation") not in AGGREGATIONS:
                add("metrics", _("Choose how each metric's readings count for a billing period."))
        if kind == WITHHOLD:
            weights = [link.get("weight") for link in links]
            if any(w is not None for w in weights):
                if any(w is None or w <= 0 or w > HUNDRED for w in weights):
                    add("metrics", _("Give every metric a weight above 0 (and at most 100), or none of them."))
                elif sum(weights) != HUNDRED:
                    add("metrics", _("The weights add up to %(sum)s%%, not 100%%.", sum=f"{sum(weights).normalize():f}"))
    if kind == WITHHOLD:
        add("percent", _percent_problem(values.get("percent"), _("the share withheld")))
        add("at_risk_release_pct", _percent_problem(values.get("at_risk_release_pct"), _("the release when at risk"),
                                                    required=False))
    elif kind in (PENALTY, INCENTIVE):
        tiers = values.get("tiers") or []
        if not tiers:
            add("tiers", _("Give at least one tier."))
        if len(tiers) > MAX_TIERS:
            add("tiers", _("Give at most %(n)s tiers.", n=MAX_TIERS))
        for tier in tiers:
            if tier.get("threshold") is None:
                add("tiers", _("Give each tier its attainment threshold (a percentage)."))
            elif tier["threshold"] < 0:
                add("tiers", _("Thresholds cannot be negative."))
            if (tier.get("amount") is None) == (tier.get("percent") is None):
                add("tiers", _("Give each tier an amount or a percentage of the scheduled payment, not both."))
            if tier.get("amount") is not None and tier["amount"] < 0:
                add("tiers", _("Tier amounts cannot be negative."))
            add("tiers", tier.get("percent") is not None and _percent_problem(tier["percent"], _("a tier's percentage")))
        if "tiers" not in problems:
            if len({t["amount"] is None for t in tiers}) > 1:
                add("tiers", _("Give every tier as an amount, or every tier as a percentage."))
            thresholds = [t["threshold"] for t in tiers]
            if len(thresholds) != len(set(thresholds)):
                add("tiers", _("Two tiers have the same threshold."))
            ordered = sorted(tiers, key=lambda t: t["threshold"])
            sizes = [t["amount"] if t["amount"] is not None else t["percent"] for t in ordered]
            # A penalty grows as attainment falls; an incentive grows as attainment rises.
            if kind == PENALTY and sizes != sorted(sizes, reverse=True):
                add("tiers", _("Order the penalty tiers: a lower threshold takes a larger deduction."))
            if kind == INCENTIVE and sizes != sorted(sizes):
                add("tiers", _("Order the incentive tiers: a higher threshold earns a larger bonus."))
        add("cap_per_contract", _money_problem(values.get("cap_per_contract"), _("the cap over the contract")))
        if kind == PENALTY:
            add("cap_per_period", _money_problem(values.get("cap_per_period"), _("the cap per period")))
    elif kind == OUTCOME:
        add("price_per_unit", _money_problem(values.get("price_per_unit"), _("the price per unit"), required=True))
        add("floor", _money_problem(values.get("floor"), _("the floor")))
        add("minimum", _money_problem(values.get("minimum"), _("the minimum")))
        add("cap_total", _money_problem(values.get("cap_total"), _("the maximum total")))
    elif kind == MILESTONE:
        milestone = db.session.get(Milestone, values["milestone_id"]) if values.get("milestone_id") else None
        if milestone is None or milestone.contract_id != contract.id:
            add("milestone_id", _("Choose a milestone of this contract."))
        elif not milestone.payment_linked:
            add("milestone_id", _("That milestone is not marked payment-linked: mark it on the milestone first."))
        add("amount", _money_problem(values.get("amount"), _("the amount"), required=True))
        add("partial_share_pct", _percent_problem(values.get("partial_share_pct"), _("the share paid when partially met"),
                                                  required=False))
    elif kind == GRACE:
        periods = values.get("grace_periods")
        if periods is None:
            add("grace_periods", _("Give the number of billing periods exempt."))
        elif not 0 <= periods <= 120:
            add("grace_periods", _("Give a number of billing periods from 0 to 120."))
    elif kind == IMPROVEMENT:
        add("release_pct", _percent_problem(values.get("release_pct"), _("the share released")))
        points = values.get("min_points")
        if points is None:
            add("min_points", _("Give the improvement needed, in points of attainment."))
        elif not Decimal(0) < points <= 1000:
            add("min_points", _("The improvement needed must be more than 0 points."))

    effective = values.get("effective_from")
    if needs_reason(contract):
        if effective is None:
            add("effective_from", _("Give the date the change applies from (the contract is under way)."))
        if not (values.get("reason") or "").strip():
            add("reason", _("Say why the payment rules change (the contract is under way)."))
    if effective is not None:
        if not contract.start_date <= effective <= contract.end_date:
            add("effective_from", _("The date must fall within the contract term (%(start)s to %(end)s).",
                                    start=long_date(contract.start_date), end=long_date(contract.end_date)))
        approved_end = _last_approved_end(contract)
        if approved_end is not None and effective <= approved_end:
            add("effective_from", _("Statements up to %(day)s are approved: a change applies after that date "
                                    "(correct an approved statement by revising it).", day=long_date(approved_end)))
        if replacing is not None and replacing.effective_from is not None and effective <= replacing.effective_from:
            add("effective_from", _("The change must apply after the rule it replaces took effect (%(day)s).",
                                    day=long_date(replacing.effective_from)))
    return problems


RULE_COLUMNS = (
    "percent", "at_risk_release_pct", "missing_releases", "missing_penalised", "release_pct", "min_points",
    "cap_per_period", "cap_per_contract", "price_per_unit", "floor", "minimum", "cap_total", "milestone_id", "amount",
    "partial_share_pct", "grace_periods",
)


def _apply_rule(rule, kind, values):
    rule.kind = kind
    for name in RULE_COLUMNS:
        value = values.get(name)
        if name in ("missing_releases", "missing_penalised"):
            value = bool(value)
        setattr(rule, name, value)
    if kind == WITHHOLD and rule.at_risk_release_pct is None:
        rule.at_risk_release_pct = Decimal(0)
    if kind == MILESTONE and rule.partial_share_pct is None:
        rule.partial_share_pct = Decimal(0)
    tiers = values.get("tiers") or []
    rule.tiers = [
        {"threshold": str(t["threshold"]), **({"amount": str(t["amount"])} if t.get("amount") is not None
                                               else {"percent": str(t["percent"])})}
        for t in sorted(tiers, key=lambda t: t["threshold"], reverse=True)
    ] if kind in (PENALTY, INCENTIVE) else None
    rule.metrics = [
        PaymentRuleMetric(metric_id=link["metric_id"], weight=link.get("weight") if kind == WITHHOLD else None,
                          aggregation=link.get("aggregation") or "sum", position=position)
        for position, link in enumerate(values.get("metrics") or [])
    ] if kind in METRIC_KINDS else []


def _rule_snapshot(rule):
    return snapshot(rule, {"metrics": [
        {"metric_id": link.metric_id, "weight": None if link.weight is None else format(Decimal(link.weight).normalize(), "f"),
         "aggregation": link.aggregation} for link in rule.metrics
    ]})


def _check_whole_set(contract, field="kind"):
    """The contract's rules as a whole must still compute (weights, keys, metrics): the pure
    computation's own check, run before the commit."""
    data = load_contract(contract)
    rules = [r for r in data.rules]
    try:
        from contracts_app.payments.inputs import to_compute_rule

        compute.validate_rules([to_compute_rule(r) for r in rules], data.metrics)
    except compute.RuleError as error:
        raise PaymentError(str(error), field)


def _terms(contract):
    return db.session.scalar(select(PaymentTerms).where(PaymentTerms.contract_id == contract.id))


@command
def add_rule(contract, actor, kind, values, now=None):
    """Add a payment rule to the contract."""
    now = now or utcnow()
    PaymentError.raise_first(rule_problems(contract, kind, values, _terms(contract)))
    amends = adding_is_amendment(contract)
    position = db.session.scalar(
        select(db.func.coalesce(db.func.max(PaymentRule.position), -1) + 1).where(PaymentRule.contract_id == contract.id)
    )
    rule = PaymentRule(contract_id=contract.id, created_by_id=actor.id, reason=(values.get("reason") or "").strip(),
                       effective_from=values.get("effective_from"), position=position, created_at=now, updated_at=now)
    _apply_rule(rule, kind, values)
    db.session.add(rule)
    db.session.flush()
    _check_whole_set(contract)
    record(actor, "create", rule, after=_rule_snapshot(rule), contract_id=contract.id,
           summary=f"Added a payment rule ({RULE_KINDS[kind]}) to {contract.reference}")
    if amends:
        _amend(contract, actor, None, {"rule": _rule_snapshot(rule)}, values, now,
               f"{RULE_KINDS[kind]} added" + (f" from {long_date(rule.effective_from)}" if rule.effective_from else ""))
    db.session.commit()
    return rule


@command
def change_rule(rule, actor, values, now=None):
    """Change a rule. On a draft contract it is edited in place; once the contract is under
    way the rule ends the day before ``effective_from`` and a new rule replaces it from that
    date, with the reason and who changed it (the record an amendment points at)."""
    now = now or utcnow()
    contract = rule.contract
    if rule.effective_to is not None and needs_reason(contract):
        raise PaymentError(_("This rule has ended; add a new rule instead."), "kind")
    PaymentError.raise_first(rule_problems(contract, rule.kind, values, _terms(contract), replacing=rule))
    before = _rule_snapshot(rule)
    if not needs_reason(contract):
        rule.effective_from = values.get("effective_from")
        rule.reason = (values.get("reason") or "").strip()
        _apply_rule(rule, rule.kind, values)
        rule.updated_at = now
        db.session.flush()
        _check_whole_set(contract)
        record(actor, "update", rule, before=before, after=_rule_snapshot(rule), contract_id=contract.id,
               summary=f"Changed a payment rule ({rule.kind_label}) of {contract.reference}")
        db.session.commit()
        return rule
    effective = values["effective_from"]
    rule.effective_to = effective - timedelta(days=1)
    rule.ended_by_id = actor.id
    rule.end_reason = (values.get("reason") or "").strip()
    rule.updated_at = now
    replacement = PaymentRule(contract_id=contract.id, created_by_id=actor.id, reason=rule.end_reason,
                              effective_from=effective, replaces_id=rule.id, position=rule.position,
                              created_at=now, updated_at=now)
    _apply_rule(replacement, rule.kind, values)
    db.session.add(replacement)
    db.session.flush()
    _check_whole_set(contract)
    record(actor, "update", rule, before=before, after=_rule_snapshot(rule), contract_id=contract.id,
           summary=f"Payment rule ({rule.kind_label}) of {contract.reference} ends {long_date(rule.effective_to)}")
    record(actor, "create", replacement, after=_rule_snapshot(replacement), contract_id=contract.id,
           summary=f"Payment rule ({rule.kind_label}) of {contract.reference} changed from {long_date(effective)}")
    _amend(contract, actor, {"rule": before}, {"rule": _rule_snapshot(replacement)}, values, now,
           f"{rule.kind_label} changed from {long_date(effective)}")
    db.session.commit()
    return replacement


@command
def end_rule(rule, actor, values, now=None):
    """Remove a rule: deleted on a draft contract; ended the day before ``effective_from``,
    with a reason, once the contract is under way."""
    now = now or utcnow()
    contract = rule.contract
    before = _rule_snapshot(rule)
    if not needs_reason(contract):
        record(actor, "delete", rule, before=before, contract_id=contract.id,
               summary=f"Removed a payment rule ({rule.kind_label}) from {contract.reference}")
        db.session.delete(rule)
        db.session.flush()
        _check_whole_set(contract)
        db.session.commit()
        return None
    if rule.effective_to is not None:
        raise PaymentError(_("This rule has ended already."), "effective_from")
    effective = values.get("effective_from")
    problems = {}
    if effective is None:
        problems["effective_from"] = _("Give the date the rule stops applying from.")
    elif not contract.start_date < effective <= contract.end_date + timedelta(days=1):
        problems["effective_from"] = _("The date must fall within the contract term.")
    elif rule.effective_from is not None and effective <= rule.effective_from:
        problems["effective_from"] = _("The rule took effect on %(day)s: it can end only after.",
                                       day=long_date(rule.effective_from))
    else:
        approved_end = _last_approved_end(contract)
        if approved_end is not None and effective <= approved_end:
            problems["effective_from"] = _("Statements up to %(day)s are approved: a change applies after that date.",
                                           day=long_date(approved_end))
    if not (values.get("reason") or "").strip():
        problems["reason"] = _("Say why the rule ends (the contract is under way).")
    PaymentError.raise_first(problems)
    rule.effective_to = effective - timedelta(days=1)
    rule.ended_by_id = actor.id
    rule.end_reason = values["reason"].strip()
    rule.updated_at = now
    db.session.flush()
    _check_whole_set(contract, "effective_from")
    record(actor, "update", rule, before=before, after=_rule_snapshot(rule), contract_id=contract.id,
           summary=f"Payment rule ({rule.kind_label}) of {contract.reference} ends {long_date(rule.effective_to)}")
    _amend(contract, actor, {"rule": before}, {"rule": _rule_snapshot(rule)}, values, now,
           f"{rule.kind_label} ends {long_date(rule.effective_to)}")
    db.session.commit()
    return rule


# --- Statements ---------------------------------------------------------------------------


def statement_number(contract, period):
    return f"{contract.reference}-{period.number:02d}"


def computed_fields(data, period, computed, figures, now):
    """The statement's columns and line rows from a computation (shared by the sweep's draft,
    a recompute and a revision)."""
    inputs, missing = {}, []
    for metric_id, figure in figures.items():
        metric = data.metrics[metric_id]
        cadence = metric.cadence
        inputs[str(metric_id)] = {
            "name": metric.name,
            "unit": metric.unit,
            "aggregation": data.aggregation.get(metric_id, "sum"),
            "value": None if figure.value is None else format(figure.value.normalize(), "f"),
            "target": None if figure.target is None else format(Decimal(figure.target).quantize(Decimal("0.01")), "f"),
            "periods": [p.label(cadence) for p in figure.periods],
        }
        if figure.missing or not figure.periods:
            missing.append({"metric_id": metric_id, "name": metric.name,
                            "periods": [p.label(cadence) for p in figure.missing]})
    columns = dict(
        period_end=period.end, period_number=period.number, period_label=period.label[:80],
        currency=computed.currency, total=computed.total, inputs=inputs, missing=missing, computed_at=now,
    )
    lines = [
        dict(position=position, kind=line.kind, rule_key=line.rule, metric_id=line.metric_id,
             milestone_id=line.milestone_id, amount=line.amount, reason=line.reason)
        for position, line in enumerate(computed.lines)
    ]
    return columns, lines


def _replace_lines(statement, lines):
    statement.lines.clear()
    db.session.flush()
    for line in lines:
        statement.lines.append(PaymentStatementLine(**line))


def _compute(data, period, field=None):
    try:
        return data.statement(period)
    except compute.RuleError as error:
        raise PaymentError(_("The payment rules cannot be applied: %(why)s", why=str(error)), field)


def _statement_snapshot(statement):
    return {key: value for key, value in snapshot(statement).items() if key not in ("inputs", "missing")}


def _counts_earlier_statements(contract_id):
    """Whether a rule of the contract depends on what earlier approved statements counted: a
    cap over the contract (penalty, incentive, outcome payment) or a milestone payment (what
    was paid for the milestone before is deducted)."""
    return db.session.scalar(
        select(PaymentRule.id).where(
            PaymentRule.contract_id == contract_id,
            (PaymentRule.kind == MILESTONE) | PaymentRule.cap_per_contract.is_not(None) | PaymentRule.cap_total.is_not(None),
        ).limit(1)
    ) is not None


def _approval_order_problem(statement):
    """Why ``statement`` cannot be approved yet when its rules count earlier statements (None
    when it can): each earlier period approved first, and none approved after this draft was
    computed (it would not have counted it: recompute it)."""
    if not _counts_earlier_statements(statement.contract_id):
        return None
    earlier = db.session.execute(
        select(PaymentStatement.period_label, PaymentStatement.status)
        .where(PaymentStatement.contract_id == statement.contract_id,
               PaymentStatement.period_start < statement.period_start)
        .order_by(PaymentStatement.period_start, PaymentStatement.revision)
    ).all()
    for label, status in earlier:
        if status == DRAFT:
            return _("Approve the statement for %(period)s first: this one's caps count what earlier statements paid "
                     "or deducted.", period=label)
    # The latest approval of an earlier statement that counted towards a cap or a milestone.
    counted = db.session.scalar(
        select(func.max(PaymentStatement.approved_at))
        .join(PaymentStatementLine, PaymentStatementLine.statement_id == PaymentStatement.id)
        .where(PaymentStatement.contract_id == statement.contract_id,
               PaymentStatement.period_start < statement.period_start,
               PaymentStatement.approved_at.is_not(None),
               PaymentStatementLine.kind.in_(("penalty", "incentive", "outcome", "milestone")),
               PaymentStatementLine.amount != 0)
    )
    if counted is not None and counted > statement.computed_at:
        return _("An earlier statement was approved after this one was computed: recompute it first, so that its "
                 "caps count what that statement paid or deducted.")
    return None


@command
def approve_statement(statement, actor, now=None):
    """Approve a draft statement (a conditional UPDATE: approved once, by one person)."""
    now = now or utcnow()
    if statement.superseded_by_id is not None:
        raise PaymentError(_("This statement has been superseded by a later revision."))
    problem = _approval_order_problem(statement)
    if problem:
        raise PaymentError(problem)
    before = _statement_snapshot(statement)
    changed = db.session.execute(
        update(PaymentStatement)
        .where(PaymentStatement.id == statement.id, PaymentStatement.status == DRAFT)
        .values(status=APPROVED, approved_by_id=actor.id, approved_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise PaymentError(_("This statement is approved already."))
    db.session.refresh(statement)
    record(actor, "approve", statement, before=before, after=_statement_snapshot(statement),
           contract_id=statement.contract_id,
           summary=f"Approved payment statement {statement.title} ({statement.period_label})")
    db.session.commit()
    return statement


@command
def recompute_statement(statement, actor, now=None):
    """Recompute a draft from the current readings, milestones and rules."""
    now = now or utcnow()
    if statement.status != DRAFT or statement.superseded_by_id is not None:
        raise PaymentError(_("Only a draft can be recomputed; revise an approved statement instead."))
    contract = statement.contract
    data = load_contract(contract)
    period = data.period_starting(statement.period_start)
    if period is None:
        raise PaymentError(_("The billing period no longer matches the payment terms."))
    computed, figures = _compute(data, period)
    before = _statement_snapshot(statement)
    columns, lines = computed_fields(data, period, computed, figures, now)
    # Still a draft: someone may have approved it meanwhile (the approval wins).
    changed = db.session.execute(
        update(PaymentStatement).where(PaymentStatement.id == statement.id, PaymentStatement.status == DRAFT)
        .values(**columns).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise PaymentError(_("This statement was approved meanwhile; revise it instead."))
    db.session.refresh(statement)
    _replace_lines(statement, lines)
    db.session.flush()
    record(actor, "recompute", statement, before=before, after=_statement_snapshot(statement),
           contract_id=contract.id, summary=f"Recomputed payment statement {statement.title}")
    db.session.commit()
    return statement


@command
def revise_statement(statement, actor, reason, now=None):
    """Correct an approved statement: revision n+1, recomputed from the current data, as a
    draft; the approved one is kept, marked superseded, with the reason."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Say why the approved statement is corrected."), "reason")
    if statement.status != APPROVED:
        raise PaymentError(_("Only an approved statement is revised; recompute a draft instead."), "reason")
    if statement.superseded_by_id is not None:
        raise PaymentError(_("This statement has been revised already."), "reason")
    contract = statement.contract
    data = load_contract(contract)
    period = data.period_starting(statement.period_start)
    if period is None:
        raise PaymentError(_("The billing period no longer matches the payment terms."), "reason")
    computed, figures = _compute(data, period, "reason")
    columns, lines = computed_fields(data, period, computed, figures, now)
    # The unique (contract, period, revision) decides between two people revising at once.
    new_id = db.session.execute(
        dialect_insert(PaymentStatement).values(
            contract_id=contract.id, period_start=statement.period_start, number=statement.number,
            revision=statement.revision + 1, status=DRAFT, created_by_id=actor.id, revision_reason=reason,
            created_at=now, superseded_reason="", **columns,
        ).on_conflict_do_nothing(index_elements=["contract_id", "period_start", "revision"])
        .returning(PaymentStatement.id)
    ).scalar()
    if new_id is None:
        raise PaymentError(_("This statement has been revised already."), "reason")
    before = _statement_snapshot(statement)
    db.session.execute(
        update(PaymentStatement).where(PaymentStatement.id == statement.id, PaymentStatement.superseded_by_id.is_(None))
        .values(superseded_by_id=new_id, superseded_at=now, superseded_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(statement)
    revision = db.session.get(PaymentStatement, new_id)
    for line in lines:
        revision.lines.append(PaymentStatementLine(**line))
    db.session.flush()
    record(actor, "supersede", statement, before=before, after=_statement_snapshot(statement), contract_id=contract.id,
           summary=f"Payment statement {statement.title} superseded: {reason}")
    record(actor, "create", revision, after=_statement_snapshot(revision), contract_id=contract.id,
           summary=f"Revised payment statement {revision.title}: {reason}")
    db.session.commit()
    return revision


def preview_statement(contract, period_start, values):
    """What if: the statement of the billing period starting ``period_start`` for ``values``
    ({metric id: {reporting period start: value}}), computed and returned, nothing written.
    Returns (data, period, Statement, figures). Raises PaymentError."""
    data = load_contract(contract)
    period = data.period_starting(period_start)
    if period is None:
        raise PaymentError(_("Choose one of the contract's billing periods."), "period")
    try:
        computed, figures = data.statement(period, values)
    except compute.RuleError as error:
        raise PaymentError(_("The payment rules cannot be applied: %(why)s", why=str(error)))
    return data, period, computed, figures
