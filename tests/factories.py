"""Factories: build valid rows with sensible defaults; override any field by keyword."""
import itertools
from functools import lru_cache
from datetime import date, datetime, timezone
from decimal import Decimal

from werkzeug.security import generate_password_hash

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.contracts.services import resolve_department
from contracts_app.milestones.models import Milestone
from contracts_app.extensions import db
from contracts_app.management.models import FLAG_SEVERITY, ActionItem, CheckIn, Flag
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.priorities.models import Priority

PASSWORD = "correct-horse-battery"
# make_flag's default opening time: three days before the management tests' NOW (20 Jan 2026, 15:00 UTC).
FLAG_OPENED_AT = datetime(2026, 1, 17, 15, 0, tzinfo=timezone.utc)
_seq = itertools.count(1)


def _n():
    return next(_seq)


@lru_cache(maxsize=None)
def _password_hash():
    # The app hashes with scrypt, deliberately slow to check; test users get a cheap PBKDF2
    # hash (werkzeug verifies whichever method a hash names) so hundreds of sign-ins stay fast.
    # Users made through the app's own services in tests still get the real scrypt hash.
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _new_user(role, **kw):
    n = _n()
    user = User(email=kw.pop("email", f"{role}{n}@city.test"), name=kw.pop("name", f"{role.title()} {n}"), role=role, **kw)
    user.password_hash = _password_hash()
    db.session.add(user)
    return user


def make_user(role="viewer", **kw):
    user = _new_user(role, **kw)
    db.session.commit()
    return user


def make_users(roles):
    """One user per role, keyed by role, in one commit."""
    users = {role: _new_user(role) for role in roles}
    db.session.commit()
    return users


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
    if "department_id" not in defaults and "department_row" not in defaults:
        defaults["department_row"] = resolve_department(defaults["department"])
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


def make_flag(contract, metric=None, milestone=None, kind="off_track", period_start=date(2025, 8, 1),
              opened_at=None, resolved_at=None, **kw):
    """A Flag row made directly (opening flags is the sweep's job, tested in tests/management)."""
    if metric is not None:
        subject = dict(subject_type="metric", subject_id=metric.id, metric_id=metric.id)
    elif milestone is not None:
        subject = dict(subject_type="milestone", subject_id=milestone.id, milestone_id=milestone.id)
    else:
        subject = dict(subject_type="contract", subject_id=contract.id)
    flag = Flag(
        contract_id=contract.id, period_start=period_start, kind=kind, severity=kw.pop("severity", FLAG_SEVERITY[kind]),
        opened_at=opened_at or FLAG_OPENED_AT, resolved_at=resolved_at, **subject, **kw,
    )
    db.session.add(flag)
    db.session.commit()
    return flag


def make_checkin(contract, status="scheduled", scheduled_for=date(2026, 1, 27), held_on=None, **kw):
    pending = contract.id if status in ("proposed", "scheduled") else None
    if status == "held" and held_on is None:
        held_on = scheduled_for
    checkin = CheckIn(
        contract_id=contract.id, status=status, pending_contract_id=pending, scheduled_for=scheduled_for,
        held_on=held_on, **kw,
    )
    db.session.add(checkin)
    db.session.commit()
    return checkin


def make_action_item(checkin, description="Hire a second intake worker", owner="Harbor Light", due_date=date(2026, 2, 1), **kw):
    item = ActionItem(
        checkin_id=checkin.id, contract_id=checkin.contract_id, description=description, owner=owner,
        due_date=due_date, **kw,
    )
    db.session.add(item)
    db.session.commit()
    return item
