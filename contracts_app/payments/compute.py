"""A billing period's payment statement, computed from the contract's payment terms and rules,
its readings and its milestones: a pure function (no database, no clock; its words go through
the catalogue, in the language of whoever computes it, English outside a request).

``compute_statement(terms, rules, period, data, history)`` returns a ``Statement``: lines, each
with a signed amount and its reason in words, and their total, the amount payable. All money is
``Decimal``; each line is rounded once, half-up, to the currency's minor unit, and the total is
the sum of the rounded lines, so a statement always adds up as printed.

The rules (any combination; each has effective dates, and a period takes the rules in effect on
its first day, so a change applies from its date forward):

- ``Withhold``: W% of the period's scheduled payment is withheld, split between the linked
  metrics by weight (equal shares when no weights are given). A metric's share is released when
  the metric is on track for the period; a configurable part of it when at risk (none by
  default); with an ``ImprovementCredit``, a part of it when its attainment rose by at least X
  points on the previous period though it is not on track — the larger of those two partial
  releases applies, never both. A missing reading releases nothing unless the rule says so.
- ``Penalty``: a deduction, in tiers below attainment thresholds ("below 95%: $5,000; below 85%:
  $15,000"; the lowest tier reached applies), capped per period and over the contract.
- ``Incentive``: a bonus, an amount or a percentage of the scheduled payment, in tiers of
  attainment (the highest tier reached applies), optionally capped over the contract.
- ``OutcomePayment`` (pay for success): a price per unit of the outcome above a floor, nothing
  when the outcome is below a minimum, capped at a maximum total over the contract.
- ``MilestonePayment``: an amount when the milestone is met, a share of it when partially met;
  what was paid for the milestone in earlier periods is deducted, so a milestone partially met
  in one period and met in a later one is paid in full once.
- ``Grace``: the first N billing periods are exempt from withholding and penalties (incentives,
  outcome and milestone payments still apply).

Attainment and on track / at risk are the metric's own (``contracts_app.metrics.rules``: its
direction, thresholds and tolerance), so a statement agrees with the contract's pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision
from flask_babel import gettext as _, ngettext

from contracts_app.formatting import number
from contracts_app.metrics import rules as metric_rules

ZERO = Decimal(0)
HUNDRED = Decimal(100)


# --- Inputs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    """The contract's payment terms: the currency and the scheduled payment per billing period."""
    currency: str
    amount_per_period: Decimal


@dataclass(frozen=True)
class BillingPeriod:
    """A billing period: its first and last day, its number in the contract (1 = the first) and
    how people call it ("Q2 2026")."""
    start: date
    end: date
    number: int
    label: str


@dataclass(frozen=True)
class PaymentMetric:
    """What the computation needs of a metric (a ``Metric`` row has the same attributes)."""
    id: int
    name: str
    direction: str
    on_track_pct: Decimal | None = None
    at_risk_pct: Decimal | None = None
    tolerance_pct: Decimal | None = None
    range_low: Decimal | None = None
    range_high: Decimal | None = None
    baseline_value: Decimal | None = None
    target_value: Decimal | None = None


@dataclass(frozen=True)
class MilestoneState:
    id: int
    title: str
    status: str  # scheduled, met, partially_met, not_met
    completed_on: date | None = None


@dataclass(frozen=True)
class PeriodData:
    """The period's facts: the metrics, each one's reading (None: missing) and target, each
    one's attainment in the previous billing period (for improvement credit), and milestones."""
    metrics: dict  # id -> PaymentMetric (or Metric)
    values: dict = field(default_factory=dict)  # metric id -> Decimal | None
    targets: dict = field(default_factory=dict)  # metric id -> Decimal | None
    previous_attainment: dict = field(default_factory=dict)  # metric id -> Decimal | None
    milestones: dict = field(default_factory=dict)  # id -> MilestoneState


@dataclass(frozen=True)
class History:
    """What earlier approved statements already counted, for the caps over the contract:
    per rule key, the penalties deducted, the incentives and outcome payments paid; per
    milestone id, what was paid for it."""
    penalties: dict = field(default_factory=dict)
    incentives: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)
    milestones: dict = field(default_factory=dict)


# --- Rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkedMetric:
    metric_id: int
    weight: Decimal | None = None  # percent of the withholding; None: equal shares


@dataclass(frozen=True)
class Tier:
    """One tier: ``threshold`` is an attainment in percent; the tier's value is an ``amount``
    of money or a ``percent`` of the period's scheduled payment."""
    threshold: Decimal
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class _Rule:
    key: str
    effective_from: date | None = None
    effective_to: date | None = None  # the last day it applies; None: open

    def in_effect(self, day):
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class Withhold(_Rule):
    percent: Decimal = ZERO
    metrics: tuple = ()  # LinkedMetric, ...
    at_risk_release_pct: Decimal = ZERO  # share of a metric's share released when at risk
    missing_releases: bool = False


@dataclass(frozen=True)
class ImprovementCredit(_Rule):
    release_pct: Decimal = ZERO  # share of a metric's withheld share released
    min_points: Decimal = ZERO


@dataclass(frozen=True)
class Penalty(_Rule):
    metric_id: int = 0
    tiers: tuple = ()  # Tier: a deduction when attainment is below the threshold
    cap_per_period: Decimal | None = None
    cap_per_contract: Decimal | None = None
    missing_penalised: bool = False  # a missing reading takes the deepest tier


@dataclass(frozen=True)
class Incentive(_Rule):
    metric_id: int = 0
    tiers: tuple = ()  # Tier: a bonus when attainment is at or above the threshold
    cap_per_contract: Decimal | None = None


@dataclass(frozen=True)
class OutcomePayment(_Rule):
    metric_id: int = 0
    price_per_unit: Decimal = ZERO
    floor: Decimal = ZERO  # units above it are paid
    minimum: Decimal | None = None  # below it nothing is paid (default: the floor)
    cap_total: Decimal | None = None


@dataclass(frozen=True)
class MilestonePayment(_Rule):
    milestone_id: int = 0
    amount: Decimal = ZERO
    partial_share_pct: Decimal = ZERO


@dataclass(frozen=True)
class Grace(_Rule):
    periods: int = 0


# --- Output -------------------------------------------------------------------------------

SCHEDULED, WITHHELD, PENALTY, INCENTIVE, OUTCOME, MILESTONE = (
    "scheduled", "withheld", "penalty", "incentive", "outcome", "milestone",
)


@dataclass(frozen=True)
class Line:
    kind: str
    amount: Decimal  # signed: what it adds to or takes from the payment
    reason: str
    rule: str | None = None
    metric_id: int | None = None
    milestone_id: int | None = None


@dataclass(frozen=True)
class Statement:
    period: BillingPeriod
    currency: str
    lines: tuple

    @property
    def total(self):
        return sum((line.amount for line in self.lines), ZERO)

    def amount(self, kind):
        return sum((line.amount for line in self.lines if line.kind == kind), ZERO)


class RuleError(ValueError):
    """Rules that cannot be applied as written (the message says why, for the person editing)."""


# --- The computation ----------------------------------------------------------------------

def compute_statement(terms, rules, period, data, history=None):
    """The ``Statement`` of ``period`` (see the module docstring)."""
    history = history or History()
    validate_rules(rules, data.metrics)
    active = [rule for rule in rules if rule.in_effect(period.start)]
    money = _Money(terms.currency)
    scheduled = money.round(terms.amount_per_period)
    lines = [Line(SCHEDULED, scheduled, _("Scheduled payment for %(period)s: %(amount)s", period=period.label,
                                          amount=money.text(scheduled)))]

    grace = max((rule.periods for rule in active if isinstance(rule, Grace)), default=0)
    in_grace = period.number <= grace
    improvement = next((rule for rule in active if isinstance(rule, ImprovementCredit)), None)

    for rule in active:
        if isinstance(rule, Withhold):
            lines += _withhold(rule, improvement, in_grace, grace, period, data, scheduled, money)
        elif isinstance(rule, Penalty):
            lines += _penalty(rule, in_grace, grace, period, data, scheduled, history, money)
        elif isinstance(rule, Incentive):
            lines += _incentive(rule, data, scheduled, history, money)
        elif isinstance(rule, OutcomePayment):
            lines += _outcome(rule, data, history, money)
        elif isinstance(rule, MilestonePayment):
            lines += _milestone(rule, period, data, history, money)
    return Statement(period=period, currency=terms.currency, lines=tuple(lines))


def validate_rules(rules, metrics):
    """Refuse rules that cannot be applied: weights that do not add up to 100, a metric or
    tier missing, percentages out of range. Raises RuleError."""
    keys = [rule.key for rule in rules]
    if len(keys) != len(set(keys)):
        raise RuleError("Each payment rule needs its own key.")
    for rule in rules:
        if rule.effective_from and rule.effective_to and rule.effective_to < rule.effective_from:
            raise RuleError(f"Rule {rule.key}: it ends before it starts.")
        if isinstance(rule, Withhold):
            _check_percent(rule.key, "the withholding", rule.percent)
            _check_percent(rule.key, "the at-risk release", rule.at_risk_release_pct)
            if not rule.metrics:
                raise RuleError(f"Rule {rule.key}: a withholding needs at least one payment-linked metric.")
            weights = [linked.weight for linked in rule.metrics]
            if any(weight is not None for weight in weights):
                if any(weight is None or weight <= 0 for weight in weights):
                    raise RuleError(f"Rule {rule.key}: give every metric a weight above 0, or none of them.")
                if sum(weights) != HUNDRED:
                    raise RuleError(f"Rule {rule.key}: the metrics' weights add up to {number(sum(weights))}%, not 100%.")
            ids = [linked.metric_id for linked in rule.metrics]
            if len(ids) != len(set(ids)):
                raise RuleError(f"Rule {rule.key}: a metric is linked twice.")
            for metric_id in ids:
                _check_metric(rule.key, metric_id, metrics)
        elif isinstance(rule, ImprovementCredit):
            _check_percent(rule.key, "the improvement credit", rule.release_pct)
            if rule.min_points <= 0:
                raise RuleError(f"Rule {rule.key}: the improvement needed must be more than 0 points.")
        elif isinstance(rule, (Penalty, Incentive)):
            _check_metric(rule.key, rule.metric_id, metrics)
            if not rule.tiers:
                raise RuleError(f"Rule {rule.key}: give at least one tier.")
            for tier in rule.tiers:
                if (tier.amount is None) == (tier.percent is None):
                    raise RuleError(f"Rule {rule.key}: each tier is an amount or a percentage, not both or neither.")
                if (tier.amount is not None and tier.amount < 0) or tier.threshold < 0:
                    raise RuleError(f"Rule {rule.key}: tiers cannot be negative.")
                if tier.percent is not None:
                    _check_percent(rule.key, "a tier", tier.percent)
            thresholds = [tier.threshold for tier in rule.tiers]
            if len(thresholds) != len(set(thresholds)):
                raise RuleError(f"Rule {rule.key}: two tiers have the same threshold.")
            for cap in (getattr(rule, "cap_per_period", None), rule.cap_per_contract):
                if cap is not None and cap < 0:
                    raise RuleError(f"Rule {rule.key}: a cap cannot be negative.")
        elif isinstance(rule, OutcomePayment):
            _check_metric(rule.key, rule.metric_id, metrics)
            if rule.price_per_unit < 0 or rule.floor < 0 or (rule.cap_total is not None and rule.cap_total < 0):
                raise RuleError(f"Rule {rule.key}: the price, floor and cap cannot be negative.")
        elif isinstance(rule, MilestonePayment):
            if rule.amount < 0:
                raise RuleError(f"Rule {rule.key}: the amount cannot be negative.")
            _check_percent(rule.key, "the partial share", rule.partial_share_pct)
        elif isinstance(rule, Grace) and rule.periods < 0:
            raise RuleError(f"Rule {rule.key}: the grace periods cannot be negative.")


def _check_percent(key, what, value):
    if value is None or not ZERO <= value <= HUNDRED:
        raise RuleError(f"Rule {key}: {what} must be a percentage from 0 to 100.")


def _check_metric(key, metric_id, metrics):
    if metric_id not in metrics:
        raise RuleError(f"Rule {key}: it names a metric that is not on the contract.")


class _Money:
    def __init__(self, currency):
        self.currency = currency
        self.quantum = Decimal(1).scaleb(-get_currency_precision(currency))

    def round(self, value):
        return Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)

    def text(self, value):
        value = Decimal(value)
        symbol = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}.get(self.currency)
        digits = f"{abs(value):,.{max(-self.quantum.as_tuple().exponent, 0)}f}"
        if digits.endswith(".00"):
            digits = digits[:-3]
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {self.currency}"


def _pct(value):
    """An attainment or share for people: 90%, 92.31%."""
    return f"{number(Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))}%"


def _attainment(metric, data):
    value = data.values.get(metric.id)
    if value is None:
        return None, None
    target = data.targets.get(metric.id)
    return Decimal(value), metric_rules.attainment(metric, value, target)


def _against(metric, data, value, attainment):
    """ "Placements 27 against a target of 30 (90%)" """
    target = data.targets.get(metric.id)
    if metric.direction == "range" and metric.range_low is not None:
        goal = _("%(metric)s %(value)s against a range of %(low)s to %(high)s", metric=metric.name, value=number(value),
                 low=number(metric.range_low), high=number(metric.range_high))
    elif target is not None:
        # The target the attainment is taken against, to two places (a quarter's sum of linear
        # monthly targets is 75.02, not the 76 a metric's page shows), so the line can be checked by hand.
        goal = _("%(metric)s %(value)s against a target of %(target)s", metric=metric.name, value=number(value),
                 target=number(Decimal(target).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)))
    else:
        goal = _("%(metric)s %(value)s against no target", metric=metric.name, value=number(value))
    return f"{goal} ({_pct(attainment)})" if attainment is not None else goal


def _shares(rule, withheld, money):
    """Each linked metric's share of ``withheld`` (rounded), by weight or equal; the last metric
    takes what the others leave, so that the shares add up to the withholding exactly."""
    withheld = money.round(withheld)
    count = len(rule.metrics)
    shares = []
    for index, linked in enumerate(rule.metrics):
        if index == count - 1:
            shares.append((linked, withheld - sum((share for _, share in shares), ZERO)))
        elif linked.weight is not None:
            shares.append((linked, money.round(withheld * linked.weight / HUNDRED)))
        else:
            shares.append((linked, money.round(withheld / count)))
    return shares


def _withhold(rule, improvement, in_grace, grace, period, data, scheduled, money):
    withheld = scheduled * rule.percent / HUNDRED
    if in_grace:
        return [Line(WITHHELD, ZERO, _(
            "%(period)s is within the grace period (%(first)s): the %(pct)s withholding of %(amount)s is released",
            period=period.label, first=_periods(grace), pct=_pct(rule.percent), amount=money.text(money.round(withheld)),
        ), rule=rule.key)]
    lines = []
    for linked, share in _shares(rule, withheld, money):
        metric = data.metrics[linked.metric_id]
        share_text = _("its %(amount)s share of the %(pct)s withheld", amount=money.text(money.round(share)),
                       pct=_pct(rule.percent))
        value, attainment = _attainment(metric, data)
        if value is None:
            released = share if rule.missing_releases else ZERO
            if rule.missing_releases:
                reason = _("%(metric)s: no reading for %(period)s — %(share)s is released", metric=metric.name,
                           period=period.label, share=share_text)
            else:
                reason = _("%(metric)s: no reading for %(period)s — %(share)s stays withheld", metric=metric.name,
                           period=period.label, share=share_text)
        else:
            status = metric_rules.status_for_attainment(metric, attainment)
            against = _against(metric, data, value, attainment)
            if status == metric_rules.ON_TRACK:
                released, reason = share, _("%(against)s: on track — %(share)s is released", against=against,
                                            share=share_text)
            else:
                label = _("at risk") if status == metric_rules.AT_RISK else _("off track")
                partial, why = ZERO, ""
                if status == metric_rules.AT_RISK and rule.at_risk_release_pct:
                    partial = share * rule.at_risk_release_pct / HUNDRED
                    why = _("%(pct)s of it released for at risk", pct=_pct(rule.at_risk_release_pct))
                previous = data.previous_attainment.get(metric.id)
                if improvement is not None and attainment is not None:
                    if previous is None:
                        note = _("no earlier period to compare")
                    else:
                        rise = attainment - Decimal(previous)
                        if rise >= improvement.min_points:
                            credit = share * improvement.release_pct / HUNDRED
                            note = _("up %(points)s on the previous period: improvement credit of %(pct)s",
                                     points=_points(rise), pct=_pct(improvement.release_pct))
                            if credit > partial:
                                partial = credit
                                why = _("up %(points)s on the previous period: improvement credit of %(pct)s released",
                                        points=_points(rise), pct=_pct(improvement.release_pct))
                                note = ""
                        elif rise < 0:
                            note = _("fell from %(pct)s", pct=_pct(previous))
                        else:
                            note = _("up %(points)s, less than the %(needed)s that earns a credit", points=_points(rise),
                                     needed=_points(improvement.min_points))
                    if note:
                        label = _("%(status)s, %(note)s", status=label, note=note)
                released = partial
                kept = money.round(share - partial)
                if partial:
                    reason = _("%(against)s: %(status)s — %(why)s; %(kept)s stays withheld", against=against,
                               status=label, why=why, kept=money.text(kept))
                else:
                    reason = _("%(against)s: %(status)s — %(share)s stays withheld", against=against, status=label,
                               share=share_text)
        lines.append(Line(WITHHELD, -money.round(share - released), reason, rule=rule.key, metric_id=metric.id))
    return lines


def _points(value):
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ngettext("%(points)s point", "%(points)s points", 1 if value == 1 else 2, points=number(value))


def _periods(count):
    """ "the first billing period", "the first 2 billing periods" (of a grace)."""
    return ngettext("the first billing period", "the first %(num)s billing periods", count)


def _tier_value(tier, scheduled):
    return tier.amount if tier.amount is not None else scheduled * tier.percent / HUNDRED


def _penalty(rule, in_grace, grace, period, data, scheduled, history, money):
    metric = data.metrics[rule.metric_id]
    if in_grace:
        return [Line(PENALTY, ZERO, _("%(metric)s: %(period)s is within the grace period (%(first)s): no penalty",
                                      metric=metric.name, period=period.label, first=_periods(grace)),
                     rule=rule.key, metric_id=metric.id)]
    value, attainment = _attainment(metric, data)
    deepest_first = sorted(rule.tiers, key=lambda tier: tier.threshold)
    if value is None:
        if not rule.missing_penalised:
            return [Line(PENALTY, ZERO, _("%(metric)s: no reading for %(period)s — no penalty", metric=metric.name,
                                          period=period.label), rule=rule.key, metric_id=metric.id)]
        tier = deepest_first[0]
        why = _("%(metric)s: no reading for %(period)s, which takes the deepest tier", metric=metric.name,
                period=period.label)
    else:
        tier = next((tier for tier in deepest_first if attainment < tier.threshold), None)
        against = _against(metric, data, value, attainment)
        if tier is None:
            return [Line(PENALTY, ZERO, _("%(against)s: at or above %(pct)s — no penalty", against=against,
                                          pct=_pct(deepest_first[-1].threshold)), rule=rule.key, metric_id=metric.id)]
        why = _("%(against)s: below %(pct)s", against=against, pct=_pct(tier.threshold))
    amount = money.round(_tier_value(tier, scheduled))
    reason = _("%(why)s — penalty of %(amount)s", why=why, amount=money.text(amount))
    if rule.cap_per_period is not None and amount > rule.cap_per_period:
        amount = money.round(rule.cap_per_period)
        reason = _("%(reason)s, capped at %(amount)s a period", reason=reason, amount=money.text(amount))
    if rule.cap_per_contract is not None:
        left = max(money.round(rule.cap_per_contract) - Decimal(history.penalties.get(rule.key, ZERO)), ZERO)
        if amount > left:
            amount = left
            reason = _reduced_by_cap(reason, left, rule.cap_per_contract, money)
    return [Line(PENALTY, -amount, reason, rule=rule.key, metric_id=metric.id)]


def _incentive(rule, data, scheduled, history, money):
    metric = data.metrics[rule.metric_id]
    value, attainment = _attainment(metric, data)
    if value is None:
        return [Line(INCENTIVE, ZERO, _("%(metric)s: no reading — no incentive", metric=metric.name), rule=rule.key,
                     metric_id=metric.id)]
    why = _against(metric, data, value, attainment)
    highest_first = sorted(rule.tiers, key=lambda tier: tier.threshold, reverse=True)
    tier = next((tier for tier in highest_first if attainment is not None and attainment >= tier.threshold), None)
    if tier is None:
        return [Line(INCENTIVE, ZERO, _("%(against)s: below %(pct)s — no incentive", against=why,
                                        pct=_pct(highest_first[-1].threshold)), rule=rule.key, metric_id=metric.id)]
    amount = money.round(_tier_value(tier, scheduled))
    reason = _("%(against)s: at or above %(pct)s — incentive of %(amount)s", against=why, pct=_pct(tier.threshold),
               amount=money.text(amount))
    if rule.cap_per_contract is not None:
        left = max(money.round(rule.cap_per_contract) - Decimal(history.incentives.get(rule.key, ZERO)), ZERO)
        if amount > left:
            amount = left
            reason = _reduced_by_cap(reason, left, rule.cap_per_contract, money)
    return [Line(INCENTIVE, amount, reason, rule=rule.key, metric_id=metric.id)]


def _reduced_by_cap(reason, left, cap, money):
    return _("%(reason)s, reduced to %(left)s by the contract's cap of %(cap)s", reason=reason, left=money.text(left),
             cap=money.text(money.round(cap)))


def _outcome(rule, data, history, money):
    metric = data.metrics[rule.metric_id]
    value = data.values.get(metric.id)
    price = money.text(rule.price_per_unit)
    if value is None:
        return [Line(OUTCOME, ZERO, _("%(metric)s: no reading — no outcome payment", metric=metric.name), rule=rule.key,
                     metric_id=metric.id)]
    value = Decimal(value)
    minimum = rule.minimum if rule.minimum is not None else rule.floor
    if value < minimum:
        return [Line(OUTCOME, ZERO, _("%(metric)s %(value)s: below the minimum of %(minimum)s — no outcome payment",
                                      metric=metric.name, value=number(value), minimum=number(minimum)),
                     rule=rule.key, metric_id=metric.id)]
    units = max(value - rule.floor, ZERO)
    amount = money.round(units * rule.price_per_unit)
    if rule.floor:
        reason = _("%(metric)s %(value)s: %(units)s above the floor of %(floor)s × %(price)s = %(amount)s",
                   metric=metric.name, value=number(value), units=number(units), floor=number(rule.floor), price=price,
                   amount=money.text(amount))
    else:
        reason = _("%(metric)s %(value)s: %(units)s × %(price)s = %(amount)s", metric=metric.name, value=number(value),
                   units=number(units), price=price, amount=money.text(amount))
    if rule.cap_total is not None:
        left = max(money.round(rule.cap_total) - Decimal(history.outcomes.get(rule.key, ZERO)), ZERO)
        if amount > left:
            amount = left
            reason = _("%(reason)s, capped to the %(left)s left of the %(cap)s maximum", reason=reason,
                       left=money.text(left), cap=money.text(money.round(rule.cap_total)))
    return [Line(OUTCOME, amount, reason, rule=rule.key, metric_id=metric.id)]


def _milestone(rule, period, data, history, money):
    milestone = data.milestones.get(rule.milestone_id)
    if milestone is None or milestone.status not in ("met", "partially_met"):
        return []
    if milestone.completed_on is None or not period.start <= milestone.completed_on <= period.end:
        return []
    full = money.round(rule.amount)
    paid = Decimal(history.milestones.get(milestone.id, ZERO))
    if milestone.status == "met":
        due = full
        amount = max(due - paid, ZERO)
        reason = _("Milestone %(title)s: met — %(amount)s", title=milestone.title, amount=money.text(amount))
    else:
        due = money.round(rule.amount * rule.partial_share_pct / HUNDRED)
        amount = max(due - paid, ZERO)
        reason = _("Milestone %(title)s: partially met (%(pct)s of %(full)s) — %(amount)s", title=milestone.title,
                   pct=_pct(rule.partial_share_pct), full=money.text(full), amount=money.text(amount))
    if paid:
        reason = _("%(reason)s (%(paid)s paid earlier)", reason=reason, paid=money.text(paid))
    return [Line(MILESTONE, amount, reason, rule=rule.key, milestone_id=milestone.id)]
