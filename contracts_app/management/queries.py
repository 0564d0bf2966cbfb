"""Reads of the active-management lists: the flags list's query-string filters and its select
(the flags page and the API's /flags share them)."""
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from contracts_app.contracts.models import Contract
from contracts_app.management.models import FLAG_KINDS, SEVERITIES, Flag
from contracts_app.query_args import choice_arg, int_arg

FLAG_STATUSES = ("open", "resolved", "all")


def parse_flag_args(args):
    """Validated filters and page; bad values are dropped and named in ``problems``."""
    problems = []
    filters = {
        "status": choice_arg(args, "status", FLAG_STATUSES, problems) or "open",
        "kind": choice_arg(args, "kind", FLAG_KINDS, problems),
        "severity": choice_arg(args, "severity", SEVERITIES, problems),
        "department": args.get("department", "").strip()[:120] or None,
        "contract": int_arg(args, "contract", problems),
        "mine": choice_arg(args, "mine", ("1", "on", "yes", "true"), problems) is not None,
    }
    page = int_arg(args, "page", problems) or 1
    return filters, page, problems


def flags_query(filters, user):
    query = (
        select(Flag)
        .join(Flag.contract)
        .options(
            joinedload(Flag.contract), joinedload(Flag.metric), joinedload(Flag.milestone), joinedload(Flag.resolved_by)
        )
    )
    if filters["status"] == "open":
        query = query.where(Flag.resolved_at.is_(None))
    elif filters["status"] == "resolved":
        query = query.where(Flag.resolved_at.is_not(None))
    if filters["kind"]:
        query = query.where(Flag.kind == filters["kind"])
    if filters["severity"]:
        query = query.where(Flag.severity == filters["severity"])
    if filters["department"]:
        query = query.where(Contract.department == filters["department"])
    if filters["contract"]:
        query = query.where(Flag.contract_id == filters["contract"])
    if filters["mine"]:
        query = query.where(or_(Contract.contract_manager_id == user.id, Contract.procurement_officer_id == user.id))
    return query.order_by(Flag.opened_at.desc(), Flag.id.desc())
