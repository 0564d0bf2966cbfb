"""Load the demo city: users, priorities, vendors, 40 contracts with metrics, readings and milestones.

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

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Milestone, Vendor
from contracts_app.db_types import utcnow
from contracts_app.demo import data
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading, ReadingRevision
from contracts_app.metrics.status import evaluate, refresh_all_statuses, target_for, today_for
from contracts_app.priorities.models import Priority

DEFAULT_PASSWORD = "rdc-demo-2026"
SEED = 2026
# The tracker holds this many months of readings (the city adopted it then).
HISTORY_MONTHS = 18
# Readings corrected after entry, to show that a correction keeps its history.
CORRECTED = ("HS-2024-031", "PW-2024-005", "IT-2024-010", "SA-2024-002")

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
        self.users = {}
        self.priorities = {}
        self.vendors = {}
        self.contracts = []
        self.n_readings = 0
        self.n_milestones = 0
        self.n_metrics = 0

    # --- the whole city ------------------------------------------------------------------

    def build(self):
        self._users()
        self._priorities()
        self._vendors()
        for spec in data.CONTRACTS:
            self.contracts.append(self._contract(spec))
        db.session.add_all(list(self.users.values()) + list(self.priorities.values()) + list(self.vendors.values()))
        db.session.add_all(self.contracts)
        db.session.flush()
        ana = self.users["ana"]
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
        # Storing the statuses is an UPDATE: stamp it with ``now`` rather than letting onupdate
        # use the wall clock, so the load stays on its own timeline and deterministic.
        for contract in self.contracts:
            contract.updated_at = self.now
            for metric in contract.metrics:
                metric.updated_at = self.now
        db.session.flush()
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
            },
            health={status: health.get(status, 0) for status in rules.SEVERITY},
            sign_ins=[(u.email, u.role, self.password) for u in self.users.values()],
        )

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
        for name, (contact, email) in data.VENDORS.items():
            self.vendors[name] = Vendor(name=name, contact_name=contact, contact_email=email, created_at=created)

    # --- one contract --------------------------------------------------------------------

    def _term(self, spec):
        if "fixed_term" in spec:
            start, end = (date.fromisoformat(d) for d in spec["fixed_term"])
            if start <= self.today <= end:
                return start, end
            spec = dict(spec, start_ago=17, term=24)
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
            vendor=self.vendors[spec["vendor"]], kind=spec["kind"], value=Decimal(spec["value"]).quantize(Decimal("0.01")),
            currency="USD", start_date=start, end_date=end, status=spec["status"],
            payment_structure=spec["payment"], payment_terms=spec["payment_terms"], problem=spec["problem"],
            outcomes=spec["outcomes"], procurement_officer=self.users["ana"],
            contract_manager=self.users[spec["manager"]], is_public=spec.get("is_public", True),
            created_at=created, updated_at=created,
        )
        contract.priorities = [self.priorities[key] for key in spec["priorities"]]
        missing_index = None
        if spec["profile"] == "missing":
            monthly = [i for i, m in enumerate(spec["metrics"]) if m["cadence"] == "monthly"]
            missing_index = monthly[0] if monthly else 0
        for position, metric_spec in enumerate(spec["metrics"]):
            metric = self._metric(contract, metric_spec, position, created)
            self._readings(contract, spec, metric, metric_spec, position, drop_last=2 if position == missing_index else 0)
        for milestone_spec in spec["milestones"]:
            self._milestone(contract, spec, milestone_spec, created)
        return contract

    def _metric(self, contract, spec, position, created):
        metric = Metric(
            contract=contract, name=spec["name"], definition=spec["definition"], unit=spec["unit"],
            direction=spec["direction"], baseline_value=spec["baseline_value"],
            baseline_date=contract.start_date - timedelta(days=1) if spec["baseline_value"] is not None else None,
            target_value=spec["target_value"], range_low=spec["range_low"], range_high=spec["range_high"],
            tolerance_pct=spec["tolerance_pct"], cadence=spec["cadence"], due_days=spec["due_days"],
            on_track_pct=Decimal(100), at_risk_pct=spec["at_risk_pct"], data_source=spec["data_source"],
            indicator_type=spec["indicator_type"], payment_linked=spec["payment_linked"], position=position,
            created_at=created, updated_at=created,
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
            )
        )
        reading.note = reason

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
