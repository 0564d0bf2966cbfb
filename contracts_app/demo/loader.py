"""Load the demo city: users, priorities, vendors, 40 contracts with metrics, readings and milestones,
and a year of held quarterly check-ins with their action items.

``load_demo_city(now)`` builds everything in one transaction and commits once, so a failure
leaves the database as it was. It is deterministic for a given ``now`` (a seeded
``random.Random``), and it refuses to touch a database that already has contracts or users.
"""
from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import User
from contracts_app.amendments.models import VALUE, Amendment
from contracts_app.contracts.models import Contract, Department, Vendor
from contracts_app.spend.models import Payment
from contracts_app.milestones.models import Milestone
from contracts_app.db_types import utcnow
from contracts_app.decisions.models import CHOICES, END_OF_TERM, DecisionTask, RenewalDecision
from contracts_app.decisions.summary import performance_summary, plain_figures
from contracts_app.demo import data
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.management.models import ActionItem, CheckIn
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading, ReadingRevision
from contracts_app.metrics.status import evaluate, refresh_all_statuses, target_for, today_for
from contracts_app.portfolio.models import CloseoutEvaluation
from contracts_app.payments.models import PaymentRule, PaymentRuleMetric, PaymentTerms
from contracts_app.portfolio.snapshots import backfill as backfill_health_snapshots
from contracts_app.priorities.models import Priority

DEFAULT_PASSWORD = "rdc-demo-2026"
SEED = 2026
# The tracker holds this many months of readings (the city adopted it then).
HISTORY_MONTHS = 18
# Readings corrected after entry, to show that a correction keeps its history.
CORRECTED = ("HS-2024-031", "PW-2024-005", "IT-2024-010", "SA-2024-002")
# Check-ins: a regular contract's latest held check-in is at most this many days old (well inside
# the sweep's 90 days); a lapsed contract's is this many days old (4-6 months).
RECENT_CHECKIN_DAYS = 70
LAPSED_CHECKIN_DAYS = (122, 182)
# Payment structures where a check-in talks about withheld or success payments.
_PERFORMANCE_PAYMENTS = ("performance_based", "pay_for_success", "milestone")
# How a reading's unit reads after its value in check-in notes (default: " <unit>").
_UNIT_SUFFIX = {"percent": "%", "count": "", "rate": "", "score (1-5)": " out of 5"}

_BAND_STATUS = {"on": rules.ON_TRACK, "risk": rules.AT_RISK, "off": rules.OFF_TRACK}
_LAG_NOTES = (
    "Vendor reports staff turnover in intake.",
    "Lower volume than planned; vendor to send a recovery plan.",
    "Data from the vendor's draft report; final due next week.",
    "Discussed at the last check-in.",
)


@dataclass
class DemoSummary:
    loaded: bool
    message: str = ""
    counts: dict = field(default_factory=dict)
    health: dict = field(default_factory=dict)
    sign_ins: list = field(default_factory=list)  # (email, role, password)


def database_has_data():
    """True when there is any contract or user: the demo city is only loaded into an empty database."""
    has_contract = db.session.scalar(select(func.count()).select_from(Contract)) > 0
    has_user = db.session.scalar(select(func.count()).select_from(User)) > 0
    return has_contract or has_user


def demo_password(password=None):
    return password or os.environ.get("RDC_DEMO_PASSWORD") or DEFAULT_PASSWORD


def load_demo_city(now=None, password=None) -> DemoSummary:
    """Load the demo city for ``now`` in one transaction; does nothing if the database has data.

    ``password`` (else env RDC_DEMO_PASSWORD, else "rdc-demo-2026") is every demo user's password.
    """
    now = now or utcnow()
    if database_has_data():
        return DemoSummary(
            loaded=False,
            message="The database already has contracts or users; the demo city was not loaded.",
        )
    password = demo_password(password)
    try:
        summary = _Builder(now, password).build()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary


def _utc(day, hour=15, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def _quantize(value, step, rounding=ROUND_HALF_UP):
    return ((value / step).to_integral_value(rounding=rounding) * step).quantize(step if step < 1 else Decimal(1))


class _Builder:
    def __init__(self, now, password):
        self.now = now
        self.today = today_for(now)
        self.month_start = self.today.replace(day=1)
        self.history_start = rules.add_months(self.month_start, -HISTORY_MONTHS)
        self.password = password
        self.rng = random.Random(SEED)
        # Check-ins draw from their own stream, so the readings do not depend on them.
        self.checkin_rng = random.Random(SEED + 1)
        self.users = {}
        self.priorities = {}
        self.vendors = {}
        self.departments = {}
        self.contracts = []
        self.n_readings = 0
        self.n_milestones = 0
        self.n_metrics = 0
        self.checkins = []
        self.action_items = []
        self.evaluations = []
        self.payments = []
        self.amendments = []

    # --- the whole city ------------------------------------------------------------------

    def build(self):
        self._users()
        self._priorities()
        self._vendors()
        self._dimensions()
        for spec in data.CONTRACTS:
            self.contracts.append(self._contract(spec))
        db.session.add_all(list(self.users.values()) + list(self.priorities.values()) + list(self.vendors.values()))
        db.session.add_all(list(self.dimensions.values()))
        db.session.add_all(self.contracts)
        db.session.flush()
        ana = self.users["ana"]
        for dimension in self.dimensions.values():
            record(ana, "create", dimension, after=snapshot(dimension, {"groups": [g.name for g in dimension.groups]}),
                   summary=f"Added dimension {dimension.name} ({len(dimension.groups)} groups)").created_at = dimension.created_at
        for contract in self.contracts:
            after = snapshot(
                contract,
                {"vendor": contract.vendor.name, "priorities": [p.name for p in contract.priorities]},
            )
            event = record(ana, "create", contract, after=after, contract_id=contract.id,
                           summary=f"Created {contract.reference} {contract.title}")
            event.created_at = contract.created_at
        db.session.flush()
        refresh_all_statuses(self.now)
        # Monthly health history, for the portfolio's roll-ups over time.
        backfill_health_snapshots(self.now)
        # Storing the statuses is an UPDATE: stamp it with ``now`` rather than letting onupdate
        # use the wall clock, so the load stays on its own timeline and deterministic.
        for contract in self.contracts:
            contract.updated_at = self.now
            for metric in contract.metrics:
                metric.updated_at = self.now
        db.session.flush()
        self._payment_terms()
        self._management()
        db.session.add_all(self.checkins)
        db.session.flush()
        # The decision before the evaluation: the summary it keeps is the record as it stood then.
        self._decisions()
        self._evaluations()
        self._payments_made()
        self._amendments()
        db.session.add_all(self.payments + self.amendments)
        db.session.flush()
        self._templates()
        health = Counter(c.health for c in self.contracts)
        return DemoSummary(
            loaded=True,
            message="Loaded the demo city.",
            counts={
                "users": len(self.users),
                "priorities": len(self.priorities),
                "vendors": len(self.vendors),
                "contracts": len(self.contracts),
                "metrics": self.n_metrics,
                "readings": self.n_readings,
                "milestones": self.n_milestones,
                "checkins": len(self.checkins),
                "action_items": len(self.action_items),
                "open_action_items": sum(1 for item in self.action_items if item.status == "open"),
                "evaluations": len(self.evaluations),
                "payments": len(self.payments),
                "amendments": len(self.amendments),
            },
            health={status: health.get(status, 0) for status in rules.SEVERITY},
            sign_ins=[(u.email, u.role, self.password) for u in self.users.values()],
        )

    def _templates(self):
        """The library's first templates (data.TEMPLATES), saved by Ana from the demo contracts
        that follow each documented practice, in the load's transaction."""
        from contracts_app.designs.services import save_from_contract

        by_reference = {c.reference: c for c in self.contracts}
        for reference, name, kind, note in data.TEMPLATES:
            save_from_contract(by_reference[reference], self.users["ana"], name, kind, note, now=self.now,
                               origin="demo", commit=False)

    def _payment_terms(self):
        """Payment terms and rules of the contracts whose spec has ``payments`` (set by Ana when
        the contract was registered); the sweep drafts their statements once the data is due."""
        ana = self.users["ana"]
        for spec, contract in zip(data.CONTRACTS, self.contracts):
            payments = spec.get("payments")
            if not payments:
                continue
            db.session.add(PaymentTerms(
                contract=contract, billing_period=payments["billing"], amount_per_period=Decimal(payments["amount"]),
                reason=payments.get("reason", ""), updated_by=ana, created_at=contract.created_at,
                updated_at=contract.created_at,
            ))
            metrics = sorted(contract.metrics, key=lambda m: m.position)
            for position, rule_spec in enumerate(payments["rules"]):
                values = {key: value for key, value in rule_spec.items() if key not in ("kind", "metrics")}
                for key in ("percent", "release_pct", "min_points", "at_risk_release_pct"):
                    if key in values:
                        values[key] = Decimal(values[key])
                rule = PaymentRule(contract=contract, kind=rule_spec["kind"], position=position, created_by=ana,
                                   reason=payments.get("reason", ""), created_at=contract.created_at,
                                   updated_at=contract.created_at, **values)
                if rule.kind == "withhold" and rule.at_risk_release_pct is None:
                    rule.at_risk_release_pct = Decimal(0)
                rule.metrics = [
                    PaymentRuleMetric(metric=metrics[index], weight=None if weight is None else Decimal(weight),
                                      aggregation=aggregation, position=n)
                    for n, (index, weight, aggregation) in enumerate(rule_spec.get("metrics", ()))
                ]
                db.session.add(rule)
        db.session.flush()

    def _users(self):
        # One hash for everyone: they share the demo password, and hashing is slow on purpose.
        password_hash = generate_password_hash(self.password)
        created = _utc(rules.add_months(self.month_start, -24), 9)
        for key, email, name, role in data.USERS:
            self.users[key] = User(email=email, name=name, role=role, password_hash=password_hash,
                                   active=True, created_at=created)

    def _priorities(self):
        created = _utc(rules.add_months(self.month_start, -24), 10)
        for key, (name, outcome, owner, year) in data.PRIORITIES.items():
            self.priorities[key] = Priority(name=name, outcome=outcome, owner=self.users[owner],
                                            target_year=year, created_at=created, updated_at=created)

    def _vendors(self):
        created = _utc(rules.add_months(self.month_start, -24), 11)
        for number, (name, (contact, email)) in enumerate(data.VENDORS.items(), start=101):
            self.vendors[name] = Vendor(
                name=name, contact_name=contact, contact_email=email, created_at=created,
                identifier_scheme="US-EIN", identifier=f"00-0000{number}", street_address=f"{number * 10} Main Street",
                locality=current_app.config["CITY_NAME"], region="IL", postal_code="62701", country_name="United States",
            )
            small, local, diverse = data.VENDOR_STATUS.get(name, (False, False, False))
            vendor = self.vendors[name]
            vendor.is_small, vendor.is_local, vendor.is_diverse = small, local, diverse

    # --- one contract --------------------------------------------------------------------

    def _dimensions(self):
        created = _utc(self.history_start - timedelta(days=30), 15)
        self.dimensions = {}
        for name, (description, groups) in data.DIMENSIONS.items():
            self.dimensions[name] = Dimension(
                name=name, description=description, created_at=created, updated_at=created,
                groups=[DimensionGroup(name=group, position=i) for i, group in enumerate(groups)],
            )

    def _group_values(self, metric, reading, plan, back):
        """Split a count reading across the groups of its dimension: evenly (the remainder to the
        first groups), except the lagging group in the last ``lag_periods`` periods, which gets
        ``share`` of its even part; the others make up the difference, so the total is kept."""
        groups = self.dimensions[plan["dimension"]].groups
        total = int(reading.value)
        even = total // len(groups)
        values = [even + (1 if i < total % len(groups) else 0) for i in range(len(groups))]
        if back < plan["lag_periods"]:
            lagging = next(i for i, g in enumerate(groups) if g.name == plan["lagging"])
            low = int(Decimal(even) * Decimal(plan["share"]))
            spare, values[lagging] = values[lagging] - low, low
            others = [i for i in range(len(groups)) if i != lagging]
            for n in range(spare):
                values[others[n % len(others)]] += 1
        reading.group_values = [ReadingGroupValue(group=g, value=Decimal(v)) for g, v in zip(groups, values)]

    def _department(self, name, created):
        if name not in self.departments:
            self.departments[name] = Department(name=name, created_at=created, updated_at=created)
        department = self.departments[name]
        department.created_at = department.updated_at = min(department.created_at, created)
        return department

    def _term(self, spec):
        if "fixed_term" in spec:
            start, end = (date.fromisoformat(d) for d in spec["fixed_term"])
            if start <= self.today <= end:
                return start, end
            spec = dict(spec, start_ago=17, term=24)
        if "ends_exactly_in_days" in spec:
            # Ends that many days from today exactly (the decision notice period), and starts on
            # the first of a month so its periods are calendar months.
            end = self.today + timedelta(days=spec["ends_exactly_in_days"])
            return rules.add_months(end.replace(day=1), -spec["term"]), end
        if "ends_in_days" in spec:
            # Ends at the end of the month about ``ends_in_days`` from today.
            soon = self.today + timedelta(days=spec["ends_in_days"])
            end = rules.add_months(soon.replace(day=1), 1) - timedelta(days=1)
            return rules.add_months(end + timedelta(days=1), -spec["term"]), end
        if "start_in" in spec:
            start = rules.add_months(self.month_start, spec["start_in"])
        else:
            start = rules.add_months(self.month_start, -spec["start_ago"])
        end = rules.add_months(start, spec["term"]) - timedelta(days=1)
        if "ended_ago" in spec:
            end = rules.add_months(self.month_start, -spec["ended_ago"]) - timedelta(days=1)
        return start, end

    def _contract(self, spec):
        start, end = self._term(spec)
        created = min(_utc(start - timedelta(days=21), 16), self.now)
        contract = Contract(
            reference=spec["reference"], title=spec["title"], department=spec["department"],
            department_row=self._department(spec["department"], created),
            vendor=self.vendors[spec["vendor"]], kind=spec["kind"], value=Decimal(spec["value"]).quantize(Decimal("0.01")),
            currency="USD", start_date=start, end_date=end, status=spec["status"],
            payment_structure=spec["payment"], payment_terms=spec["payment_terms"], problem=spec["problem"],
            outcomes=spec["outcomes"], procurement_officer=self.users["ana"],
            contract_manager=self.users[spec["manager"]], is_public=spec.get("is_public", True),
            created_at=created, updated_at=created,
        )
        if spec["status"] != "draft":
            # Awarded six weeks and signed three weeks before the start (never after today).
            contract.awarded_on = min(start - timedelta(days=42), self.today)
            contract.signed_on = min(start - timedelta(days=21), self.today)
        contract.priorities = [self.priorities[key] for key in spec["priorities"]]
        if spec["reference"] in data.PROCUREMENT:
            method, details, bids = data.PROCUREMENT[spec["reference"]]
        else:
            bids = data.DEFAULT_BIDS[len(self.contracts) % len(data.DEFAULT_BIDS)]
            method, details = "open", f"Request for proposals RFP-{start.year - 1}-{100 + len(self.contracts):03d}"
        contract.procurement_method, contract.procurement_method_details, contract.bids_received = method, details, bids
        missing_index = None
        if spec["profile"] == "missing":
            monthly = [i for i, m in enumerate(spec["metrics"]) if m["cadence"] == "monthly"]
            missing_index = monthly[0] if monthly else 0
        for position, metric_spec in enumerate(spec["metrics"]):
            metric = self._metric(contract, metric_spec, position, created)
            plan = spec.get("by_group", {}).get(position)
            if plan is not None:
                metric.is_count = True
                metric.dimensions = [self.dimensions[plan["dimension"]]]
            self._readings(contract, spec, metric, metric_spec, position, drop_last=2 if position == missing_index else 0)
        for milestone_spec in spec["milestones"]:
            self._milestone(contract, spec, milestone_spec, created)
        return contract

    def _payments_made(self):
        """Monthly payments in arrears: each month of the term that has ended, paid on the 15th
        of the next (never after today), at the contract's pace (data.SPEND_PACE) of the even
        monthly share of its value; invoices numbered per contract."""
        for contract in self.contracts:
            if contract.status == "draft":
                continue
            months = max(round(((contract.end_date - contract.start_date).days + 1) / Decimal("30.4375")), 1)
            pace = Decimal(data.SPEND_PACE.get(contract.reference, data.DEFAULT_SPEND_PACE))
            amount = (contract.value / months * pace).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            period_start, number = contract.start_date.replace(day=1), 0
            while True:
                period_end = rules.add_months(period_start, 1) - timedelta(days=1)
                paid_on = period_end + timedelta(days=15)
                if period_end > contract.end_date or paid_on > self.today:
                    break
                number += 1
                recorded = _utc(paid_on, 16)
                self.payments.append(Payment(
                    contract_id=contract.id, paid_on=paid_on, amount=amount, period_start=max(period_start, contract.start_date),
                    period_end=period_end, invoice_reference=f"{contract.reference}-INV-{number:03d}",
                    note="", recorded_by_id=contract.contract_manager_id, created_at=recorded, updated_at=recorded,
                ))
                period_start = period_end + timedelta(days=1)

    def _amendments(self):
        ana = self.users["ana"]
        by_reference = {c.reference: c for c in self.contracts}
        for reference, (months_ago, before, reason) in data.AMENDMENTS.items():
            contract = by_reference[reference]
            amended_on = max(rules.add_months(self.month_start, -months_ago), contract.start_date)
            recorded = _utc(amended_on, 17)
            self.amendments.append(Amendment(
                contract_id=contract.id, amended_on=amended_on, kinds=VALUE,
                before={"value": before}, after={"value": format(contract.value.normalize(), "f")},
                rationale=reason, approver_id=ana.id, recorded_by_id=ana.id, created_at=recorded,
            ))

    def _metric(self, contract, spec, position, created):
        metric = Metric(
            contract=contract, name=spec["name"], definition=spec["definition"], unit=spec["unit"],
            direction=spec["direction"], baseline_value=spec["baseline_value"],
            baseline_date=contract.start_date - timedelta(days=1) if spec["baseline_value"] is not None else None,
            target_value=spec["target_value"], range_low=spec["range_low"], range_high=spec["range_high"],
            tolerance_pct=spec["tolerance_pct"], cadence=spec["cadence"], due_days=spec["due_days"],
            on_track_pct=Decimal(100), at_risk_pct=spec["at_risk_pct"], data_source=spec["data_source"],
            indicator_type=spec["indicator_type"], payment_linked=spec["payment_linked"], position=position,
            reported_by=spec["reported_by"], target_notes=spec.get("target_notes", ""), created_at=created, updated_at=created,
        )
        if spec["explicit"]:
            for period in rules.periods(contract.start_date, contract.end_date, metric.cadence):
                if period.start.month in spec["explicit"]:
                    metric.targets.append(
                        MetricTarget(period_start=period.start, value=Decimal(spec["explicit"][period.start.month]))
                    )
        self.n_metrics += 1
        return metric

    # --- readings ------------------------------------------------------------------------

    def _readings(self, contract, spec, metric, metric_spec, position, drop_last=0):
        if spec["status"] == "draft":
            return
        due_periods = [
            p for p in rules.periods(contract.start_date, contract.end_date, metric.cadence)
            if p.start >= self.history_start and rules.due_date(p, metric.due_days) <= self.today
        ]
        # A vendor-reported metric's latest period due is left for the vendor to submit: on its
        # due day (the scenario: Dana enters October's values on 10 November, when they are
        # due) or, loaded later, overdue and flagged, for the vendor's contact to bring in.
        drop_last += 1 if metric.reported_by == "vendor" else 0
        if drop_last:
            due_periods = due_periods[:-drop_last]
        explicit = {t.period_start: t.value for t in metric.targets}
        manager = contract.contract_manager
        fixed = spec.get("fixed_readings", {})
        count = len(due_periods)
        for index, period in enumerate(due_periods):
            back = count - 1 - index
            band = self._band(spec, position, back)
            forced = fixed.get((position, period.start.isoformat()))
            if forced is not None:
                value = Decimal(forced)
                status = evaluate(metric, period, value, explicit)[2]
            else:
                value, status = self._value_for(metric, metric_spec, period, explicit, band, force=back == 0)
            recorded_at = min(
                _utc(period.end + timedelta(days=self.rng.randint(1, max(1, metric.due_days))),
                     self.rng.randint(13, 22), self.rng.randint(0, 59)),
                self.now,
            )
            note = self.rng.choice(_LAG_NOTES) if status == rules.OFF_TRACK and self.rng.random() < 0.4 else ""
            reading = Reading(
                metric=metric, period_start=period.start, period_end=period.end, value=value, note=note,
                status=status, recorded_by=manager, recorded_at=recorded_at,
            )
            if back == 2 and position == 0 and spec["reference"] in CORRECTED:
                self._correct(metric, metric_spec, period, explicit, reading, manager)
            plan = spec.get("by_group", {}).get(position)
            if plan is not None:
                self._group_values(metric, reading, plan, back)
            self.n_readings += 1

    def _band(self, spec, position, back):
        """on / risk / off for a metric's reading ``back`` periods before its latest."""
        profile = spec["profile"]
        lagging = spec.get("lagging")
        if profile in ("at_risk", "off_track") and position == lagging:
            if profile == "at_risk":
                if back <= 1:
                    return "risk"
                return "risk" if back == 2 and self.rng.random() < 0.5 else self._background()
            lag = spec.get("lag_periods", 3)
            if back < lag:
                return "off"
            if back < lag + 2:
                return "risk"
            return self._background()
        if back == 0:
            return "on"
        return self._background()

    def _background(self):
        draw = self.rng.random()
        return "on" if draw < 0.82 else "risk" if draw < 0.97 else "off"

    def _value_for(self, metric, spec, period, explicit, band, force):
        """A reading value in ``band``; for the latest reading, retried until its status matches."""
        attempts = 6 if force else 1
        for _ in range(attempts):
            value = self._draw(metric, spec, period, explicit, band)
            status = evaluate(metric, period, value, explicit)[2]
            if status == _BAND_STATUS[band]:
                break
        return value, status

    def _draw(self, metric, spec, period, explicit, band):
        rng, step = self.rng, spec["step"]
        percent = metric.unit == "percent"
        if metric.direction == "range":
            low, high = metric.range_low, metric.range_high
            if band == "on":
                width = high - low
                raw = low + width * Decimal(str(round(rng.uniform(0.2, 0.8), 4)))
                rounding = ROUND_HALF_UP
            else:
                factor = rng.uniform(0.92, 0.98) if band == "risk" else rng.uniform(0.70, 0.86)
                raw, rounding = low * Decimal(str(round(factor, 4))), ROUND_FLOOR
            value = _quantize(raw, step, rounding)
            return min(value, Decimal(100)) if percent else value

        target = target_for(metric, period, explicit)
        if metric.direction == "maintain":
            tolerance = float(metric.tolerance_pct)
            if band == "on":
                deviation = rng.uniform(0, tolerance * 0.6) * rng.choice((-1, 1))
            else:
                extra = rng.uniform(2, 8) if band == "risk" else rng.uniform(12, 25)
                deviation = -(tolerance + extra)
            value = _quantize(target * (1 + Decimal(str(round(deviation, 4))) / 100), step)
            if percent and value > 100:
                value = _quantize(target * (1 - Decimal(str(round(abs(deviation), 4))) / 100), step)
            return max(value, Decimal(0))

        if band == "on":
            factor = rng.uniform(1.02, 1.15)
        elif band == "risk":
            factor = rng.uniform(0.915, 0.985)
        else:
            factor = rng.uniform(0.66, 0.86)
        factor = Decimal(str(round(factor, 4)))
        if metric.direction == "increase":
            raw = target * factor
            rounding = ROUND_CEILING if band == "on" else ROUND_HALF_UP
        else:  # decrease
            raw = target / factor
            rounding = ROUND_FLOOR if band == "on" else ROUND_HALF_UP
        value = max(_quantize(raw, step, rounding), Decimal(0))
        return min(value, Decimal(100)) if percent else value

    def _correct(self, metric, spec, period, explicit, reading, manager):
        """Give ``reading`` an earlier, mistyped value kept as a revision."""
        if metric.unit == "percent":
            wrong = max(reading.value - 10, Decimal(0))
            reason = "Corrected: the first figure came from the vendor's draft report."
        else:
            wrong = reading.value * 10
            reason = "Corrected: an extra zero was typed."
        replaced_at = min(reading.recorded_at + timedelta(days=2, hours=1), self.now)
        reading.revisions.append(
            ReadingRevision(
                value=wrong, note="", status=evaluate(metric, period, wrong, explicit)[2],
                recorded_by=manager, recorded_at=reading.recorded_at, replaced_by=manager, replaced_at=replaced_at,
                version=1,
            )
        )
        reading.note = reason
        reading.version = 2  # one correction since it was recorded

    # --- milestones ----------------------------------------------------------------------

    def _milestone(self, contract, spec, milestone_spec, created):
        month = milestone_spec["month"]
        if month > 0:
            due = rules.add_months(contract.start_date, month) - timedelta(days=1)
        else:  # months before the end; -1 is the end date itself
            due = rules.add_months(contract.end_date, month + 1)
        due = min(max(due, contract.start_date), contract.end_date)
        completed_on = None
        if spec["status"] == "draft" or due >= self.today:
            status = "scheduled"
        else:
            status = "met"
            completed_on = due - timedelta(days=self.rng.randint(0, 10))
        past = [m for m in spec["milestones"] if self._past(contract, m)]
        latest_past = past[-1] if past else None
        if milestone_spec is latest_past:
            if spec.get("missed_milestone"):
                # A missed deliverable: still "scheduled" after its due date, or marked not met.
                status = "not_met" if spec["status"] == "terminated" else "scheduled"
                completed_on = None
            elif spec.get("partial_milestone"):
                status = "partially_met"
        contract.milestones.append(
            Milestone(
                title=milestone_spec["title"], description=milestone_spec["description"], due_date=due,
                status=status, completed_on=completed_on, payment_linked=milestone_spec["payment_linked"],
                milestone_type=milestone_spec["kind"],
                notes="Vendor delivered part of the scope; the rest is rescheduled." if status == "partially_met" else "",
                created_at=created, updated_at=created,
            )
        )
        self.n_milestones += 1

    def _past(self, contract, milestone_spec):
        month = milestone_spec["month"]
        due = (rules.add_months(contract.start_date, month) - timedelta(days=1) if month > 0
               else rules.add_months(contract.end_date, month + 1))
        return due < self.today

    # --- active management: held check-ins and action items ------------------------------
    #
    # Plain rows, not audited: they are the city's history before the tracker's audit log
    # (like the readings). No Flag rows: the sweep opens flags from what it finds.

    def _management(self):
        for contract in self.contracts:
            if contract.status == "draft":
                continue
            days = self._checkin_days(contract)
            scenario_day = self._scenario_day(contract, days)
            if scenario_day is not None and scenario_day not in days:
                days = sorted([d for d in days if _quarter_start(d) != _quarter_start(scenario_day)] + [scenario_day])
            for index, held_on in enumerate(days):
                self._checkin(contract, held_on, last=index == len(days) - 1, scenario=held_on == scenario_day)

    def _decisions(self):
        """Renewal decisions already taken (DEMO_DECISIONS) on their end-of-term task, from the
        decision page with the performance summary (kept with the decision), audited."""
        by_reference = {c.reference: c for c in self.contracts}
        for reference, (choice, rationale, decider, days_before) in DEMO_DECISIONS.items():
            contract = by_reference.get(reference)
            if contract is None:
                continue
            opened = min(_utc(contract.end_date - timedelta(days=120), 14), self.now)
            task = DecisionTask(contract_id=contract.id, point=END_OF_TERM, point_key=END_OF_TERM,
                                decision_date=contract.end_date, opened_at=opened)
            db.session.add(task)
            db.session.flush()
            summary = performance_summary(contract)
            at = min(_utc(contract.end_date - timedelta(days=days_before), 17), self.now)
            actor = self.users[decider]
            decision = RenewalDecision(
                task_id=task.id, contract_id=contract.id, choice=choice, rationale=rationale, decided_by_id=actor.id,
                decided_at=at, summary_shown=True, summary_token=summary.token, summary=plain_figures(summary),
            )
            db.session.add(decision)
            db.session.flush()
            event = record(actor, "create", decision, after=snapshot(decision) | {"summary": None}, contract_id=contract.id,
                           summary=f"Decided on {contract.reference} (end of term): {CHOICES[choice]}")
            event.created_at = at
        db.session.flush()

    def _evaluations(self):
        """Closeout evaluations of the closed contracts (DEMO_EVALUATIONS), three weeks after
        each ended, by the contract's manager (Ana for the terminated one), audited."""
        by_reference = {c.reference: c for c in self.contracts}
        for reference, (ratings, narrative, comment, evaluator) in DEMO_EVALUATIONS.items():
            contract = by_reference.get(reference)
            if contract is None or contract.status not in ("completed", "terminated"):
                continue
            evaluated_on = min(contract.end_date + timedelta(days=21), self.today)
            at = min(_utc(evaluated_on, 16), self.now)
            actor = self.users[evaluator] if evaluator else contract.contract_manager
            quality, schedule, cost_control, management = ratings
            evaluation = CloseoutEvaluation(
                contract_id=contract.id, vendor_id=contract.vendor_id, quality=quality, schedule=schedule,
                cost_control=cost_control, management=management, narrative=narrative, vendor_comment=comment,
                evaluated_on=evaluated_on, evaluated_by_id=actor.id, created_at=at, updated_at=at,
            )
            db.session.add(evaluation)
            db.session.flush()
            event = record(actor, "create", evaluation, after=snapshot(evaluation), contract_id=contract.id,
                           summary=f"Recorded the closeout evaluation of {contract.reference}")
            event.created_at = at
            self.evaluations.append(evaluation)
        db.session.flush()

    def _checkin_days(self, contract):
        """One day per calendar quarter, for the current quarter and the four before it (those
        the contract ran in), before today; lapsed contracts stop 4-6 months ago."""
        rng, today = self.checkin_rng, self.today
        current = _quarter_start(today)
        first = max(contract.start_date, rules.add_months(current, -12))
        last = min(contract.end_date, today - timedelta(days=1))
        slots = []
        quarter = _quarter_start(first)
        while quarter <= last:
            low = max(quarter, first)
            high = min(rules.add_months(quarter, 3) - timedelta(days=1), last)
            # Too early in the current quarter to have met yet: the last quarter's meeting is recent.
            if high >= low and not (quarter == current and (high - low).days < 14):
                slots.append((low, high))
            quarter = rules.add_months(quarter, 3)
        days = [_weekday_between(rng, low, high, 0.3, 0.8) for low, high in slots]
        if not days:
            return days
        active = contract.status == "active"
        if active and contract.reference in data.CHECKIN_LAPSED:
            # 4-6 months ago, before the last full quarter when that fits, so that quarter has none.
            low = today - timedelta(days=LAPSED_CHECKIN_DAYS[1])
            high = min(today - timedelta(days=LAPSED_CHECKIN_DAYS[0]),
                       rules.add_months(current, -3) - timedelta(days=1))
            if high < low + timedelta(days=7):
                high = today - timedelta(days=LAPSED_CHECKIN_DAYS[0])
            lapsed_on = max(_weekday_between(rng, low, high, 0, 1), contract.start_date)
            days = [d for d in days if _quarter_start(d) < _quarter_start(lapsed_on)] + [lapsed_on]
        elif active:
            if contract.reference in data.CHECKIN_SKIPPED:
                skip = rules.add_months(current, -6)
                days = [d for d in days[:-1] if _quarter_start(d) != skip] + days[-1:]
            low, high = slots[-1]
            if (today - days[-1]).days > RECENT_CHECKIN_DAYS:
                days[-1] = _weekday_between(rng, max(low, today - timedelta(days=RECENT_CHECKIN_DAYS)), high, 0, 1)
        return days

    def _scenario_day(self, contract, days):
        """The scenario's check-in: 16 Oct 2025 when the scenario term is in use, else the first."""
        scenario = data.SCENARIO_CHECKIN
        if contract.reference != scenario["reference"]:
            return None
        fixed = date.fromisoformat(scenario["held_on"])
        if contract.start_date <= fixed < self.today and contract.status == "active":
            return fixed
        return days[0] if days else None

    def _checkin(self, contract, held_on, last, scenario):
        rng = self.checkin_rng
        manager = contract.contract_manager
        vendor = contract.vendor
        title, (second_name, second_title) = data.VENDOR_STAFF[vendor.name]
        discussed, worst, lines = self._standing(contract, held_on)
        city = [f"{manager.name}, contract manager",
                f"{data.ANALYSTS[contract.department]}, program analyst ({contract.department})"]
        if worst == rules.OFF_TRACK and rng.random() < 0.5:
            city.append(f"{self.users['priya'].name}, chief data officer")
        people = [f"{vendor.contact_name}, {title}"]
        if worst != rules.ON_TRACK or rng.random() < 0.5:
            people.append(f"{second_name}, {second_title}")
        metric_text = _lower_first(discussed.name) if discussed is not None else "the key metrics"
        created = min(_utc(held_on, 21, rng.randint(0, 59)), self.now)
        checkin = CheckIn(
            contract=contract, status="held", pending_contract_id=None, scheduled_for=held_on,
            start_time=time(rng.choice((9, 10, 11, 14, 15)), rng.choice((0, 30))), duration_minutes=60,
            location=rng.choice(("Video call", f"{contract.department} conference room", f"{vendor.name} office")),
            held_on=held_on, city_attendees="\n".join(city), vendor_attendees="\n".join(people),
            proposed_by_sweep=False, created_by=manager, created_at=created, updated_at=created,
        )
        update = rng.choice(data.CHECKIN_UPDATES[worst])
        checkin.notes = "Reviewed the latest readings against target:\n" + "\n".join(lines) + "\n\n" + update
        checkin.decisions = rng.choice(data.CHECKIN_DECISIONS[worst]).format(metric=metric_text)
        if scenario:
            items = self._scenario_items(contract, checkin)
        else:
            items = self._action_items(contract, checkin, worst, metric_text)
        for description, owner, due, *settled in items:
            self._action_item(contract, checkin, description, owner, due, last, *settled)
        self.checkins.append(checkin)

    def _standing(self, contract, held_on):
        """Each metric's latest reading entered by ``held_on``: (metric discussed, worst status, note lines)."""
        rank = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.ON_TRACK: 2}
        discussed, worst, lines = None, rules.ON_TRACK, []
        for metric in contract.metrics:
            known = [r for r in metric.readings if r.recorded_at.date() <= held_on]
            if not known:
                lines.append(f"- {metric.name}: no reading yet")
                continue
            reading = max(known, key=lambda r: r.period_start)
            period = rules.Period(reading.period_start, reading.period_end).label(metric.cadence)
            value = _plain(reading.value) + _UNIT_SUFFIX.get(metric.unit, f" {metric.unit}")
            lines.append(f"- {metric.name}: {value} for {period}, {rules.STATUS_LABELS[reading.status].lower()}")
            status = reading.status if reading.status in rank else rules.ON_TRACK
            if discussed is None or rank[status] < rank[worst]:
                discussed, worst = metric, status
        return discussed, worst, lines

    def _action_items(self, contract, checkin, worst, metric_text):
        rng = self.checkin_rng
        how_many = {rules.ON_TRACK: (0, 1, 1, 2), rules.AT_RISK: (1, 2, 2), rules.OFF_TRACK: (2, 3)}[worst]
        pool = [
            (text, owner) for text, owner in data.ACTION_ITEMS
            if (worst != rules.ON_TRACK or "recovery" not in text)
            and (contract.payment_structure in _PERFORMANCE_PAYMENTS or "withheld" not in text)
        ]
        chosen = rng.sample(pool, rng.choice(how_many))
        return [(text.format(metric=metric_text), owner, checkin.held_on + timedelta(days=rng.randint(10, 40)))
                for text, owner in chosen]

    def _scenario_items(self, contract, checkin):
        scenario = data.SCENARIO_CHECKIN
        if checkin.held_on == date.fromisoformat(scenario["held_on"]):
            checkin.notes = scenario["notes"]
        items = []
        for text, owner, due_in, status, done_in in scenario["items"]:
            # Done on the day given, once that day has come; until then, open.
            done_on = checkin.held_on + timedelta(days=done_in)
            settled = (status, done_on) if done_on < self.today else ()
            items.append((text, owner, checkin.held_on + timedelta(days=due_in)) + settled)
        due = items[0][2]
        checkin.decisions = scenario["decisions"].format(due=f"{due.day} {due:%B}")
        return items

    def _action_item(self, contract, checkin, description, owner, due, last, status=None, completed_on=None):
        """An action item; unless given, its status follows its due date: an item of the latest
        check-in is open until due and often after, an older one is mostly done."""
        rng = self.checkin_rng
        if owner == "vendor":
            owner_name = f"{contract.vendor.contact_name} ({contract.vendor.name})"
        else:
            owner_name = contract.contract_manager.name
        closed = contract.status != "active"
        if status is not None:
            pass
        elif due >= self.today and not closed:
            status = "open"
        elif last and not closed:
            status = "open" if rng.random() < 0.6 else "done"
        else:
            draw = rng.random()
            if draw < 0.82 or (closed and draw < 0.9):
                status = "done"
            else:
                status = "dropped" if closed or draw < 0.93 else "open"
        updated = checkin.created_at
        if status == "done":
            if completed_on is None:
                completed_on = min(max(due + timedelta(days=rng.randint(-8, 5)), checkin.held_on), self.today)
            updated = min(_utc(completed_on, 17), self.now)
        elif status == "dropped":
            updated = min(_utc(min(due + timedelta(days=rng.randint(0, 20)), self.today), 17), self.now)
        updated = max(updated, checkin.created_at)
        item = ActionItem(
            checkin=checkin, contract=contract, description=description, owner=owner_name, due_date=due,
            status=status, completed_on=completed_on, created_at=checkin.created_at, updated_at=updated,
        )
        self.action_items.append(item)


# Renewal decisions already taken: (choice, rationale, decider, days before the end date).
DEMO_DECISIONS = {
    "IT-2023-035": (
        "rebid",
        "Call answer times have been off track for six months despite three corrective action plans, and every "
        "check-in since spring found the same staffing gap. Rebid with staffing levels and answer times written "
        "into the terms; no renewal.",
        "priya",
        30,
    ),
}


# Closeout evaluations of the demo's closed contracts: (quality, schedule, cost control,
# management), narrative, the vendor's comment, evaluator (None: the contract's manager).
DEMO_EVALUATIONS = {
    "TR-2023-044": (
        (5, 4, 5, 4),
        "The platform went live on time and the first quarterly crash report was accepted without rework. "
        "Data from the three legacy systems now loads nightly; two dashboards slipped by three weeks.",
        "The dashboard delay came from late access to the police records system; we agree with the rest.",
        None,
    ),
    "HO-2023-030": (
        (4, 3, 4, 5),
        "Strong analysis and responsive account management. Two monthly reports were late while the "
        "vendor changed analysts; quality stayed high.",
        "",
        None,
    ),
    "PW-2023-017": (
        (4, 4, 3, 4),
        "Basins were cleaned on schedule and flooding complaints fell. Disposal costs ran close to the cap "
        "in the wet quarters.",
        "Disposal prices rose 12% during the term; we absorbed part of it.",
        None,
    ),
    "IT-2023-035": (
        (2, 1, 3, 2),
        "Call answer times stayed off track for six months despite three corrective action plans; the "
        "contract was terminated for performance. Rebid with staffing levels written into the terms.",
        "Call volumes were 30% above the forecast in the solicitation.",
        "ana",
    ),
}


def _quarter_start(day):
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _weekday_between(rng, low, high, lo_share, hi_share):
    """A weekday between ``low`` and ``high`` (inclusive), in the given share of that span."""
    days = [low + timedelta(days=i) for i in range((high - low).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5] or days
    first = int((len(weekdays) - 1) * lo_share)
    last = max(first, int((len(weekdays) - 1) * hi_share))
    return weekdays[rng.randint(first, last)]


def _plain(value):
    """A Decimal without trailing zeros or exponent: 21, 62.5."""
    return format(value.normalize(), "f")


def _lower_first(name):
    return name if name[:2].isupper() else name[0].lower() + name[1:]
