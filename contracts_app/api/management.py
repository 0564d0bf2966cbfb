"""Active management: flags and check-ins."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.api.base import CONFLICT, FORBIDDEN, ApiBlueprint, ApiError, allow, api_user, find, paginate
from contracts_app.api.schemas import CheckInListArgs, CheckInPageSchema, FlagListArgs, FlagPageSchema, FlagSchema, ResolveFlagSchema
from contracts_app.management import services
from contracts_app.management.models import CheckIn, Flag
from contracts_app.management.queries import flags_query
from contracts_app.permissions import can_manage_contract

bp = ApiBlueprint(
    "api_management", __name__, tag="active management",
    description="Flags the sweep opens (off track, overdue, ...) and check-ins with vendors.",
)


def _flag_out(flag):
    return {
        **{name: getattr(flag, name) for name in (
            "id", "contract", "kind", "severity", "subject_type", "metric_id", "milestone_id", "period_start", "summary",
            "opened_at", "resolved_at", "resolved_by", "resolution_note", "escalated_at",
        )},
        "subject": flag.subject_label,
    }


@bp.route("/flags")
@bp.arguments(FlagListArgs, location="query")
@bp.response(200, FlagPageSchema)
def list_flags(args):
    """Flags, most severe first, then the longest open.

    Filter by status (open, resolved or all, the default), contract, kind, severity or
    department.
    """
    filters = {
        "status": args["status"], "kind": args.get("kind"), "severity": args.get("severity"),
        "department": args.get("department"), "contract": args.get("contract"), "mine": False,
    }
    page = paginate(flags_query(filters, api_user()), args)
    page["items"] = [_flag_out(flag) for flag in page["items"]]
    return page


def _flag_or_404(flag_id):
    return find(
        Flag, flag_id, "flag",
        options=[joinedload(Flag.contract), joinedload(Flag.metric), joinedload(Flag.milestone), joinedload(Flag.resolved_by)],
    )


@bp.route("/flags/<int:flag_id>")
@bp.response(200, FlagSchema)
def get_flag(flag_id):
    """One flag."""
    return _flag_out(_flag_or_404(flag_id))


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@bp.arguments(ResolveFlagSchema)
@bp.response(200, FlagSchema)
@bp.alt_response(403, response=FORBIDDEN)
@bp.alt_response(409, response=CONFLICT)
def resolve_flag(body, flag_id):
    """Resolve an open flag by hand, with a note.

    Procurement officers, and the contract's own contract manager. The sweep never reopens it.
    An already resolved flag answers 409.
    """
    flag = _flag_or_404(flag_id)
    user = api_user()
    allow(can_manage_contract(user, flag.contract), flag.contract)
    if not flag.is_open:
        raise ApiError(409, "This flag is already resolved.", code="already_resolved")
    resolved = services.resolve_flag(flag, user, body["note"])
    if not resolved:
        # The sweep or someone else resolved it between our read and the conditional UPDATE.
        raise ApiError(409, "This flag was resolved meanwhile (by the sweep or someone else).", code="already_resolved")
    return _flag_out(_flag_or_404(flag.id))


def _checkin_out(checkin):
    return {
        **{name: getattr(checkin, name) for name in (
            "id", "contract", "status", "scheduled_for", "start_time", "duration_minutes", "location", "held_on",
            "city_attendees", "vendor_attendees", "notes", "decisions", "proposed_by_sweep", "action_items",
        )},
        "flag_ids": sorted(flag.id for flag in checkin.flags),
    }


@bp.route("/checkins")
@bp.arguments(CheckInListArgs, location="query")
@bp.response(200, CheckInPageSchema)
def list_checkins(args):
    """Check-ins, latest date first.

    Filter by contract and status; each with the flags discussed and the action items agreed.
    """
    query = (
        select(CheckIn)
        .options(joinedload(CheckIn.contract), selectinload(CheckIn.flags), selectinload(CheckIn.action_items))
        .order_by(CheckIn.scheduled_for.desc(), CheckIn.id.desc())
    )
    if args.get("contract"):
        query = query.where(CheckIn.contract_id == args["contract"])
    if args.get("status"):
        query = query.where(CheckIn.status == args["status"])
    page = paginate(query, args)
    page["items"] = [_checkin_out(checkin) for checkin in page["items"]]
    return page
