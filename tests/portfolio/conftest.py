"""Shared builders for the portfolio tests: a deterministic city of N contracts, bulk-inserted.

``build_city(n)`` adds n contracts (call it again to grow the same city: 10, then 190 more) with
priorities, vendors, three metrics each, readings, stored statuses and health, monthly health
snapshots, open and resolved flags, held and pending check-ins — all in one commit, fast enough
for 200 contracts on both backends. Everything is a pure function of the contract's index ``i``
(see ``CityPattern``), so tests compute the expected figures from the same rules.

    def test_x(build_city):
        city = build_city(10)
        city.contracts        # list of Contract (all built so far)
        city.priorities       # the 4 priorities, city.vendors: the 5 vendors
        city.expected_health_counts()   # {"on_track": .., ...} over strategic contracts

Dates are fixed in 2025 (not relative to the clock) except pending check-ins, which are either
long past (overdue, 2025-01-xx) or far in the future (2099), so pages that read the real clock
still see the same "overdue" set.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract, Department, Vendor
from contracts_app.management.models import CheckIn, Flag
from contracts_app.metrics.models import Metric, Reading
from contracts_app.portfolio.models import HealthSnapshot
from contracts_app.priorities.models import Priority

HEALTHS = ("on_track", "at_risk", "off_track", "overdue", "no_data")
DEPARTMENTS = ("Human Services", "Transportation", "Public Works")
STRUCTURES = tuple(PAYMENT_STRUCTURES)
SNAPSHOT_MONTHS = tuple(date(2025, m, 1) for m in range(1, 7))  # Jan..Jun 2025
READINGS_PER_HEADLINE_METRIC = 14  # more than the 12 a sparkline shows
TERM_START = date(2025, 1, 1)
TERM_END = date(2026, 12, 31)
NOW = datetime(2025, 9, 15, 15, 0, tzinfo=timezone.utc)


class CityPattern:
    """What contract number i looks like. Pure functions of i, shared with the assertions."""

    @staticmethod
    def health(i):
        return HEALTHS[i % 5]

    @staticmethod
    def status(i):
        # Every tenth contract is completed (not strategic-active), the rest active.
        return "completed" if i % 10 == 9 else "active"

    @staticmethod
    def archived(i):
        # Every 20th (offset 4) is archived: never counted.
        return i % 20 == 4

    @staticmethod
    def is_strategic(i):
        return CityPattern.status(i) == "active" and not CityPattern.archived(i)

    @staticmethod
    def value(i):
        return Decimal(100000 + 1000 * i)

    @staticmethod
    def department(i):
        return DEPARTMENTS[i % 3]

    @staticmethod
    def structure(i):
        return STRUCTURES[i % len(STRUCTURES)]

    @staticmethod
    def vendor_index(i):
        return i % 5

    @staticmethod
    def priority_indexes(i):
        # Each contract serves priority i % 4; every third also serves the next one.
        first = i % 4
        return (first, (first + 1) % 4) if i % 3 == 0 else (first,)

    @staticmethod
    def snapshot_health(i, month_index):
        return "off_track" if (i + month_index) % 3 == 0 else "on_track"

    @staticmethod
    def has_overdue_checkin(i):
        return i % 7 == 0

    @staticmethod
    def open_flag_severity(i):
        """Severity of the contract's one open flag, or None."""
        return {"off_track": "high", "overdue": "medium"}.get(CityPattern.health(i))

    @staticmethod
    def has_resolved_flag(i):
        return i % 4 == 0


@dataclass
class City:
    priorities: list = field(default_factory=list)
    vendors: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    # index i of each contract (position in the city), parallel to contracts
    indexes: list = field(default_factory=list)

    @property
    def strategic(self):
        return [c for c, i in zip(self.contracts, self.indexes) if CityPattern.is_strategic(i)]

    def strategic_indexes(self):
        return [i for i in self.indexes if CityPattern.is_strategic(i)]

    def expected_health_counts(self, indexes=None):
        indexes = self.strategic_indexes() if indexes is None else indexes
        counts = Counter(CityPattern.health(i) for i in indexes)
        return {h: counts.get(h, 0) for h in HEALTHS}

    def expected_total_value(self, indexes=None):
        indexes = self.strategic_indexes() if indexes is None else indexes
        return sum((CityPattern.value(i) for i in indexes), Decimal(0))

    def indexes_for_priority(self, priority_index):
        return [i for i in self.strategic_indexes() if priority_index in CityPattern.priority_indexes(i)]

    def contract_at(self, i):
        return self.contracts[self.indexes.index(i)]


def _reading_months(count):
    """The first days of the ``count`` months up to December 2025, oldest first."""
    months = []
    year, month = 2025, 12
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(months)


def _month_end(first):
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def make_city_builder(db):
    """Return build(n): add n contracts to one growing city and return the City."""
    city = City()
    state = {"next": 0}
    departments = {}

    def department(name):
        if name not in departments:
            departments[name] = Department(name=name)
        return departments[name]

    def build(n):
        if not city.priorities:
            city.priorities = [
                Priority(name=f"Priority {k}: goal <{k}>", outcome=f"Outcome {k}") for k in range(4)
            ]
            city.vendors = [Vendor(name=f"Vendor {k}") for k in range(5)]
            db.session.add_all(city.priorities + city.vendors)
            db.session.flush()
        months = _reading_months(READINGS_PER_HEADLINE_METRIC)
        new = []
        for _ in range(n):
            i = state["next"]
            state["next"] += 1
            contract = Contract(
                reference=f"CITY-{i:05d}",
                title=f"City contract {i}",
                department=CityPattern.department(i),
                department_row=department(CityPattern.department(i)),
                vendor=city.vendors[CityPattern.vendor_index(i)],
                kind="contract",
                value=CityPattern.value(i),
                currency="USD",
                start_date=TERM_START,
                end_date=TERM_END,
                status=CityPattern.status(i),
                payment_structure=CityPattern.structure(i),
                health=CityPattern.health(i),
                health_updated_at=NOW,
                archived_at=NOW if CityPattern.archived(i) else None,
            )
            contract.priorities = [city.priorities[k] for k in CityPattern.priority_indexes(i)]
            for position in range(3):
                metric = Metric(
                    name=f"Metric {position} of {i}",
                    unit="count",
                    direction="increase",
                    baseline_value=Decimal(10),
                    baseline_date=date(2024, 12, 31),
                    target_value=Decimal(20),
                    cadence="monthly",
                    due_days=10,
                    position=position,
                    status=CityPattern.health(i) if position == 0 else "on_track",
                )
                count = READINGS_PER_HEADLINE_METRIC if position == 0 else 2
                for k, start in enumerate(months[-count:]):
                    metric.readings.append(
                        Reading(period_start=start, period_end=_month_end(start),
                                value=Decimal(10 + (k * 7 + i) % 9 + k // 2), status="on_track", recorded_at=NOW)
                    )
                contract.metrics.append(metric)
            new.append((i, contract))
            city.contracts.append(contract)
            city.indexes.append(i)
        db.session.add_all([c for _, c in new])
        db.session.flush()

        rows = []
        for i, contract in new:
            for m, month in enumerate(SNAPSHOT_MONTHS):
                rows.append(HealthSnapshot(contract_id=contract.id, month=month,
                                           health=CityPattern.snapshot_health(i, m), recorded_at=NOW))
            headline = contract.metrics[0]
            severity = CityPattern.open_flag_severity(i)
            if severity:
                rows.append(Flag(contract_id=contract.id, subject_type="metric", subject_id=headline.id,
                                 metric_id=headline.id, period_start=date(2025, 8, 1),
                                 kind="off_track" if severity == "high" else "overdue", severity=severity,
                                 summary=f"Flag on <{contract.reference}>", opened_at=NOW - timedelta(days=5)))
            if CityPattern.has_resolved_flag(i):
                rows.append(Flag(contract_id=contract.id, subject_type="metric", subject_id=headline.id,
                                 metric_id=headline.id, period_start=date(2025, 6, 1), kind="at_risk_twice",
                                 severity="medium", summary=f"Resolved on {contract.reference}",
                                 opened_at=NOW - timedelta(days=60),
                                 resolved_at=NOW - timedelta(days=30, minutes=i)))
            rows.append(CheckIn(contract_id=contract.id, status="held", scheduled_for=date(2025, 1 + i % 6, 15),
                                held_on=date(2025, 1 + i % 6, 15), notes="held"))
            pending_day = date(2025, 1, 10) if CityPattern.has_overdue_checkin(i) else date(2099, 1, 10)
            if i % 2 == 0 or CityPattern.has_overdue_checkin(i):
                rows.append(CheckIn(contract_id=contract.id, status="scheduled", pending_contract_id=contract.id,
                                    scheduled_for=pending_day))
        db.session.add_all(rows)
        db.session.commit()
        return city

    return build


@pytest.fixture
def build_city(app, db):
    """build_city(n) -> City; call again to add more contracts to the same city."""
    return make_city_builder(db)
