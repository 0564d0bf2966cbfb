"""Reads for active management: the flags list's filters and select (the flags page and the
API's /flags share them), a contract's pending check-in, what the contract page shows, and what
the record form offers (open flags, owner names)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.db_types import max_length
from contracts_app.extensions import db
from contracts_app.management.models import FLAG_KINDS, SEVERITIES, SEVERITY_ORDER, ActionItem, CheckIn, Flag
from contracts_app.query_args import choice_arg, int_arg

FLAG_STATUSES = ("open", "resolved", "all")


def parse_flag_args(args):
    """Validated filters and page; bad values are dropped and named in ``problems``."""
    problems = []
    filters = {
        "status": choice_arg(args, "status", FLAG_STATUSES, problems) or "open",
        "kind": choice_arg(args, "kind", FLAG_KINDS, problems),
        "severity": choice_arg(args, "severity", SEVERITIES, problems),
        "department": args.get("department", "").strip()[:max_length(Contract.department)] or None,
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
    # Most urgent first: by severity, then the longest open.
    severity = case({name: rank for rank, name in enumerate(SEVERITY_ORDER)}, value=Flag.severity, else_=len(SEVERITY_ORDER))
    return query.order_by(severity, Flag.opened_at, Flag.id)


def pending_checkin(contract_id):
    """The contract's proposed or scheduled check-in, or None."""
    return db.session.scalar(select(CheckIn).where(CheckIn.pending_contract_id == contract_id))


@dataclass
class ContractManagement:
    open_flags: list
    resolved_count: int
    pending: CheckIn | None
    recent_held: list
    open_action_items: list


def contract_management(contract, recent=3):
    """What the contract page shows about active management, in five queries."""
    open_flags = db.session.scalars(
        select(Flag)
        .options(joinedload(Flag.metric), joinedload(Flag.milestone))
        .where(Flag.contract_id == contract.id, Flag.resolved_at.is_(None))
        .order_by(Flag.opened_at.desc(), Flag.id.desc())
    ).all()
    resolved_count = db.session.scalar(
        select(func.count()).select_from(Flag).where(Flag.contract_id == contract.id, Flag.resolved_at.is_not(None))
    )
    recent_held = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.contract_id == contract.id, CheckIn.status == "held")
        .order_by(CheckIn.held_on.desc(), CheckIn.id.desc())
        .limit(recent)
    ).all()
    open_items = db.session.scalars(
        select(ActionItem)
        .where(ActionItem.contract_id == contract.id, ActionItem.status == "open")
        .order_by(ActionItem.due_date, ActionItem.id)
    ).all()
    return ContractManagement(open_flags, resolved_count, pending_checkin(contract.id), recent_held, open_items)


def open_flags(contract):
    """The contract's open flags, oldest first, with what they are about (the record form's
    choice of flags discussed)."""
    return db.session.scalars(
        select(Flag)
        .options(joinedload(Flag.metric), joinedload(Flag.milestone))
        .where(Flag.contract_id == contract.id, Flag.resolved_at.is_(None))
        .order_by(Flag.opened_at, Flag.id)
    ).all()


def owner_suggestions(contract):
    """Names an action item's owner is usually picked from: the active staff, and the contract's
    vendor (its contact too); the field stays free text for the vendor's other people."""
    names = db.session.scalars(select(User.name).where(User.active.is_(True)).order_by(User.name)).all()
    vendor = contract.vendor
    extra = [vendor.name, vendor.contact_name] if vendor is not None else []
    return list(dict.fromkeys(name for name in [*extra, *names] if name))
