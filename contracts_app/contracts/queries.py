"""Reads of the contract register: the register's filtered, sorted select and the query-string
parsing that feeds it (the register page, its CSV export and the API share them), the lists its
filters and forms offer, and the vendor pages' reads."""
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from contracts_app.auth.models import User
from contracts_app.contracts.models import PAYMENT_STRUCTURES, STATUSES, Contract, Department, Vendor
from contracts_app.db_types import max_length
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.priorities.models import Priority
from contracts_app.query_args import choice_arg, int_arg

def strategic_conditions():
    """The strategic portfolio: active contracts that are not archived. Every count of
    "contracts" across pages (priorities, portfolio, evidence) means these."""
    return [Contract.status == "active", Contract.archived_at.is_(None)]


SORTS = {
    "reference": Contract.reference,
    "title": Contract.title,
    "vendor": Vendor.name,
    "department": Contract.department,
    "value": Contract.value,
    "end": Contract.end_date,
    "start": Contract.start_date,
    "status": Contract.status,
    "health": case({status: rank for rank, status in enumerate(rules.SEVERITY)}, value=Contract.health, else_=99),
}


def register_query(filters, sort="reference", direction="asc"):
    """The register's select: filters is a dict of already-validated values."""
    query = (
        select(Contract)
        .join(Contract.vendor)
        .options(
            joinedload(Contract.vendor),
            joinedload(Contract.contract_manager),
            selectinload(Contract.priorities),
        )
    )
    archived = filters.get("archived", "no")
    if archived == "no":
        query = query.where(Contract.archived_at.is_(None))
    elif archived == "only":
        query = query.where(Contract.archived_at.is_not(None))
    if filters.get("q"):
        like = f"%{filters['q'].lower()}%"
        query = query.where(
            or_(
                func.lower(Contract.reference).like(like),
                func.lower(Contract.title).like(like),
                func.lower(Vendor.name).like(like),
                func.lower(Contract.department).like(like),
            )
        )
    if filters.get("priority"):
        query = query.where(Contract.priorities.any(Priority.id == filters["priority"]))
    for key, column in (
        ("status", Contract.status),
        ("department", Contract.department),
        ("vendor", Contract.vendor_id),
        ("payment_structure", Contract.payment_structure),
        ("health", Contract.health),
        ("manager", Contract.contract_manager_id),
    ):
        if filters.get(key) not in (None, ""):
            query = query.where(column == filters[key])
    order = SORTS.get(sort, Contract.reference)
    order = order.desc() if direction == "desc" else order.asc()
    return query.order_by(order, Contract.id)


def departments():
    return db.session.scalars(select(Contract.department).distinct().order_by(Contract.department)).all()


def department_summaries():
    """Every department with its number of (unarchived) contracts and their total value: one query."""
    live = Contract.archived_at.is_(None)
    return db.session.execute(
        select(
            Department,
            func.count(Contract.id).filter(live).label("contracts"),
            func.coalesce(func.sum(Contract.value).filter(live), 0).label("total_value"),
        )
        .outerjoin(Contract, Contract.department_id == Department.id)
        .group_by(Department.id)
        .order_by(Department.name)
    ).all()


def vendor_summaries():
    """Every vendor with its number of (unarchived) contracts and their total value: one query."""
    live = Contract.archived_at.is_(None)
    return db.session.execute(
        select(
            Vendor,
            func.count(Contract.id).filter(live).label("contracts"),
            func.coalesce(func.sum(Contract.value).filter(live), 0).label("total_value"),
        )
        .outerjoin(Contract, Contract.vendor_id == Vendor.id)
        .group_by(Vendor.id)
        .order_by(Vendor.name)
    ).all()


def parse_register_args(args):
    """Validated filters, sort and page from the query string; bad values are dropped and named."""
    problems = []
    filters = {
        "q": args.get("q", "").strip()[:100],
        "priority": int_arg(args, "priority", problems),
        "vendor": int_arg(args, "vendor", problems),
        "manager": int_arg(args, "manager", problems),
        "status": choice_arg(args, "status", STATUSES, problems),
        "payment_structure": choice_arg(args, "payment_structure", PAYMENT_STRUCTURES, problems),
        "health": choice_arg(args, "health", rules.STATUS_LABELS, problems),
        "department": args.get("department", "").strip()[:max_length(Contract.department)] or None,
        "archived": choice_arg(args, "archived", ("no", "only", "all"), problems) or "no",
    }
    sort = choice_arg(args, "sort", SORTS, problems) or "reference"
    direction = choice_arg(args, "dir", ("asc", "desc"), problems) or "asc"
    page = int_arg(args, "page", problems) or 1
    return filters, sort, direction, page, problems


def priorities_by_name():
    return db.session.scalars(select(Priority).order_by(Priority.name)).all()


def vendors_by_name():
    return db.session.scalars(select(Vendor).order_by(Vendor.name)).all()


def active_users(role):
    """The active users of ``role``, by name: who a contract can be assigned to."""
    return db.session.scalars(select(User).where(User.role == role, User.active.is_(True)).order_by(User.name)).all()


def vendor_contracts(vendor):
    """A vendor's contracts: current ones first, latest start first."""
    return db.session.scalars(
        select(Contract)
        .where(Contract.vendor_id == vendor.id)
        .order_by(Contract.archived_at.is_not(None), Contract.start_date.desc())
    ).all()


def first_contract_of_vendor():
    """A condition on Contract: it is its vendor's first contract with the city (WWC RDC8's
    "first-time vendor"), derived from the register rather than typed in: no other contract of
    the vendor was awarded (or, without an award date, started) earlier; on the same day, the
    one registered first. Archived contracts count: they are part of the vendor's history."""
    other = aliased(Contract)
    key = func.coalesce(Contract.awarded_on, Contract.start_date)
    other_key = func.coalesce(other.awarded_on, other.start_date)
    return ~exists().where(
        other.vendor_id == Contract.vendor_id, other.id != Contract.id,
        or_(other_key < key, and_(other_key == key, other.id < Contract.id)),
    )


def is_first_contract_of_vendor(contract):
    """Whether ``contract`` is its vendor's first contract with the city (one query)."""
    return bool(db.session.scalar(select(first_contract_of_vendor()).where(Contract.id == contract.id)))
