"""Milestones of contracts."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from contracts_app.api.base import FORBIDDEN, ApiBlueprint, allow, api_user, find, problems_error
from contracts_app.api.errors import ApiError
from contracts_app.api.schemas import MilestoneCreateSchema, MilestoneListSchema, MilestonePatchSchema, MilestoneSchema
from contracts_app.contracts.models import Contract
from contracts_app.milestones.models import Milestone
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import today_for
from contracts_app.milestones import services
from contracts_app.permissions import can_edit_milestones

bp = ApiBlueprint("api_milestones", __name__, tag="milestones", description="Deliverables with due dates.")


@bp.route("/contracts/<int:contract_id>/milestones")
@bp.response(200, MilestoneListSchema)
def list_milestones(contract_id):
    """A contract's milestones by due date."""
    contract = find(Contract, contract_id, "contract")
    return {"items": db.session.scalars(
        select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.due_date, Milestone.id)
    ).all()}


def _save(save, values, now, body=None):
    """Save unless the values have problems: a 422 naming them all; or, for a change (``body``)
    that gives only one of status and completed_on, a 409 when that is all that is wrong, since
    the other's stored value refuses it (the same body suits another milestone)."""
    today = today_for(now)
    problems = services.milestone_problems(values, today)
    if problems:
        completed_on = values.get("completed_on")
        if (body is not None and set(problems) == {"completed_on"} and len(PAIR & body.keys()) == 1
                and not (completed_on is not None and completed_on > today)):
            stored = next(name for name in PAIR if name not in body)
            message = f"{problems['completed_on']} ({stored} keeps its stored value.)"
            raise ApiError(409, message, code="conflict", fields={"completed_on": message})
        raise problems_error(problems)
    return save()


PAIR = {"status", "completed_on"}


@bp.route("/contracts/<int:contract_id>/milestones", methods=["POST"])
@bp.arguments(MilestoneCreateSchema)
@bp.response(201, MilestoneSchema)
@bp.alt_response(403, response=FORBIDDEN)
def create_milestone(body, contract_id):
    """Add a milestone (procurement officers, and the contract's own contract manager).

    Met and partially met need completed_on, a scheduled one has none; completed_on is not in the
    future (else 422).
    """
    contract = find(Contract, contract_id, "contract")
    user = api_user()
    allow(can_edit_milestones(user, contract), contract)
    now = utcnow()
    return _save(lambda: services.create_milestone(contract, user, body, now=now), body, now)


@bp.route("/milestones/<int:milestone_id>", methods=["PATCH"])
@bp.arguments(MilestonePatchSchema(partial=True))
@bp.response(200, MilestoneSchema)
@bp.alt_response(403, response=FORBIDDEN)
def update_milestone(body, milestone_id):
    """Change a milestone, usually its status.

    Met and partially met need completed_on, not in the future. Fields not given keep their values;
    a status or completed_on that the other's stored value refuses is a 409. The contract's health
    follows.
    """
    milestone = find(Milestone, milestone_id, "milestone", options=[joinedload(Milestone.contract)])
    user = api_user()
    allow(can_edit_milestones(user, milestone.contract), milestone.contract)
    values = {name: getattr(milestone, name) for name in services.FIELDS} | body
    now = utcnow()
    return _save(lambda: services.update_milestone(milestone, user, values, now=now), values, now, body)
