"""Factories: build valid rows with sensible defaults; override any field by keyword."""
import itertools
from functools import lru_cache
from datetime import date
from decimal import Decimal

from werkzeug.security import generate_password_hash

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.milestones.models import Milestone
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.priorities.models import Priority

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def _n():
    return next(_seq)


@lru_cache(maxsize=None)
def _password_hash():
    # The app hashes with scrypt, deliberately slow to check; test users get a cheap PBKDF2
    # hash (werkzeug verifies whichever method a hash names) so hundreds of sign-ins stay fast.
    # Users made through the app's own services in tests still get the real scrypt hash.
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_user(role="viewer", **kw):
    n = _n()
    user = User(email=kw.pop("email", f"{role}{n}@city.test"), name=kw.pop("name", f"{role.title()} {n}"), role=role, **kw)
    user.password_hash = _password_hash()
    db.session.add(user)
    db.session.commit()
    return user


def make_vendor(**kw):
    vendor = Vendor(name=kw.pop("name", f"Vendor {_n()}"), **kw)
    db.session.add(vendor)
    db.session.commit()
    return vendor


def make_priority(**kw):
    priority = Priority(
        name=kw.pop("name", f"Priority {_n()}"), outcome=kw.pop("outcome", "A measurable outcome"), **kw
    )
    db.session.add(priority)
    db.session.commit()
    return priority


def make_contract(**kw):
    n = _n()
    priorities = kw.pop("priorities", None)
    defaults = dict(
        reference=f"C-{n:04d}",
        title=f"Contract {n}",
        department="Human Services",
        kind="contract",
        value=Decimal("100000.00"),
        currency="USD",
        start_date=date(2025, 7, 1),
        end_date=date(2027, 6, 30),
        status="active",
        payment_structure="performance_based",
        payment_terms="10% withheld until targets are met",
        problem="A problem",
        outcomes="An outcome",
    )
    defaults.update(kw)
    if "vendor" not in defaults and "vendor_id" not in defaults:
        defaults["vendor"] = make_vendor()
    contract = Contract(**defaults)
    if priorities is not None:
        contract.priorities = list(priorities)
    db.session.add(contract)
    db.session.commit()
    return contract


def make_metric(contract=None, **kw):
    contract = contract or make_contract()
    defaults = dict(
        name=f"Metric {_n()}",
        unit="count",
        direction="increase",
        baseline_value=Decimal(18),
        baseline_date=date(2025, 6, 30),
        target_value=Decimal(30),
        cadence="monthly",
        due_days=10,
    )
    targets = kw.pop("targets", {})
    defaults.update(kw)
    metric = Metric(contract=contract, **defaults)
    for start, value in targets.items():
        metric.targets.append(MetricTarget(period_start=start, value=Decimal(value)))
    db.session.add(metric)
    db.session.commit()
    return metric


def make_milestone(contract=None, **kw):
    contract = contract or make_contract()
    defaults = dict(title=f"Milestone {_n()}", due_date=date(2026, 1, 31), status="scheduled")
    defaults.update(kw)
    milestone = Milestone(contract=contract, **defaults)
    db.session.add(milestone)
    db.session.commit()
    return milestone


def make_reading(metric, period_start, value, status="on_track", period_end=None, **kw):
    from contracts_app.metrics import rules

    if period_end is None:
        contract = metric.contract
        period = rules.period_starting(rules.periods(contract.start_date, contract.end_date, metric.cadence), period_start)
        period_end = period.end
    reading = Reading(metric=metric, period_start=period_start, period_end=period_end, value=Decimal(value), status=status, **kw)
    db.session.add(reading)
    db.session.commit()
    return reading
