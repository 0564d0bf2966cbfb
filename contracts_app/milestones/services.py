"""Milestones: create and update. Services own the transaction and refresh contract health."""
from contracts_app.audit.services import record, snapshot
from contracts_app.milestones.models import MILESTONE_STATUSES, MILESTONE_TYPES, Milestone
from contracts_app.db_types import max_length, utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.metrics import status

FIELDS = ("title", "description", "due_date", "milestone_type", "status", "completed_on", "payment_linked", "notes")
COMPLETED = ("met", "partially_met")


class MilestoneError(ServiceError):
    """A milestone change that cannot be made; ``field`` names the form field at fault."""


def milestone_problems(values, today=None):
    """Every problem with a milestone's values, as {field: message}.

    ``today`` is the city's date; without it the "not in the future" rule is not checked.
    A due date outside the contract term is allowed (close-out deliverables often are).
    """
    problems = {}

    def add(field, message):
        problems.setdefault(field, message)

    if not (values.get("title") or "").strip():
        add("title", "Give the milestone a title.")
    elif len(values["title"].strip()) > max_length(Milestone.title):
        add("title", f"Use at most {max_length(Milestone.title)} characters.")
    if values.get("due_date") is None:
        add("due_date", "Give the due date.")
    if values.get("milestone_type", "delivery") not in MILESTONE_TYPES:
        add("milestone_type", "Choose one of: " + ", ".join(map(str, MILESTONE_TYPES.values())) + ".")
    state = values.get("status")
    completed_on = values.get("completed_on")
    if state not in MILESTONE_STATUSES:
        add("status", "Choose one of: " + ", ".join(map(str, MILESTONE_STATUSES.values())) + ".")
    elif state in COMPLETED and completed_on is None:
        add("completed_on", f"A milestone marked {MILESTONE_STATUSES[state].lower()} needs the date it was completed.")
    elif state == "scheduled" and completed_on is not None:
        add("completed_on", "A scheduled milestone has no completion date: mark it met or partially met, or clear the date.")
    if completed_on is not None and today is not None and completed_on > today:
        add("completed_on", f"The completion date cannot be in the future (today is {long_date(today)}).")
    return problems


def _check(values, now):
    MilestoneError.raise_first(milestone_problems(values, status.today_for(now)))


def _apply(milestone, values):
    for name in FIELDS:
        value = values.get(name)
        if name in ("title", "description", "notes"):
            value = (value or "").strip()
        elif name == "payment_linked":
            value = bool(value)
        elif name == "milestone_type":
            value = value or "delivery"
        setattr(milestone, name, value)


@command
def create_milestone(contract, actor, values, now=None):
    """Add a milestone to ``contract`` and refresh its health."""
    now = now or utcnow()
    _check(values, now)
    milestone = Milestone(contract=contract)
    _apply(milestone, values)
    db.session.add(milestone)
    db.session.flush()
    status.refresh_contract_health(contract, now)
    record(
        actor, "create", milestone, after=snapshot(milestone), contract_id=contract.id,
        summary=f"Added milestone {milestone.title} to {contract.reference}",
    )
    db.session.commit()
    return milestone


@command
def update_milestone(milestone, actor, values, now=None):
    """Change a milestone (its status, usually) and refresh its contract's health."""
    now = now or utcnow()
    _check(values, now)
    before = snapshot(milestone)
    _apply(milestone, values)
    db.session.flush()
    status.refresh_contract_health(milestone.contract, now)
    record(
        actor, "update", milestone, before=before, after=snapshot(milestone), contract_id=milestone.contract_id,
        summary=f"Updated milestone {milestone.title} ({milestone.status_label})",
    )
    db.session.commit()
    return milestone
