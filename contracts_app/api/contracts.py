"""Contracts, vendors and priorities: the register through the API."""
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.api.base import FORBIDDEN, ApiBlueprint, allow, api_user, find, paginate
from contracts_app.api.errors import ApiError
from contracts_app.api.schemas import (
    ArchiveSchema, ContractCreateSchema, ContractListArgs, ContractPageSchema, ContractPatchSchema, ContractSchema,
    PrioritySchema, VendorPatchSchema, VendorSchema, list_of,
)
from contracts_app.contracts import queries, services
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.permissions import can_create_contracts, can_edit_contract
from contracts_app.priorities.models import Priority
from contracts_app.priorities import services as priority_services

bp = ApiBlueprint("api_contracts", __name__, tag="contracts", description="The contract register.")
registry = ApiBlueprint("api_registry", __name__, tag="priorities and vendors", description="Citywide priorities and vendors.")

PriorityListSchema = list_of(PrioritySchema, "PriorityListSchema")
VendorListSchema = list_of(VendorSchema, "VendorListSchema")

_CONTRACT_OPTIONS = (
    joinedload(Contract.vendor), joinedload(Contract.contract_manager), joinedload(Contract.procurement_officer),
    selectinload(Contract.priorities),
)


def _pair_refusal(error, body):
    """A PairError of a change (PATCH): as it is (422) when the body gives both fields, since the
    request itself is wrong; else a 409, since the field it gives is refused by the other's
    stored value (the same body suits a row whose other value differs)."""
    given = [name for name in error.pair if name in body]
    if len(given) != 1:
        return error
    stored = next(name for name in error.pair if name not in body)
    message = f"{error.message} ({given[0]} was given; {stored} keeps its stored value.)"
    return ApiError(409, message, code="conflict", fields={error.field: message})


# --- priorities and vendors --------------------------------------------------------------------


def _priority_out(row):
    priority = row.priority
    return {
        "id": priority.id, "name": priority.name, "outcome": priority.outcome, "target_year": priority.target_year,
        "owner": priority.owner, "contract_count": row.contract_count,
        "created_at": priority.created_at, "updated_at": priority.updated_at,
    }


@registry.route("/priorities")
@registry.response(200, PriorityListSchema)
def list_priorities():
    """Every citywide priority, with the number of contracts serving it."""
    return {"items": [_priority_out(row) for row in priority_services.list_priorities()]}


@registry.route("/priorities/<int:priority_id>")
@registry.response(200, PrioritySchema)
def get_priority(priority_id):
    """One priority."""
    find(Priority, priority_id, "priority")
    row = next(row for row in priority_services.list_priorities() if row.priority.id == priority_id)
    return _priority_out(row)


def _vendor_out(vendor, contracts, total_value):
    out = {"id": vendor.id, "name": vendor.name}
    out.update({field: getattr(vendor, field) for field in services.VENDOR_TEXT_FIELDS})
    out.update({field: getattr(vendor, field) for field in services.VENDOR_STATUS_FIELDS})
    return out | {"contract_count": contracts, "total_value": total_value}


@registry.route("/vendors")
@registry.response(200, VendorListSchema)
def list_vendors():
    """Every vendor, with its number of unarchived contracts and their total value."""
    return {"items": [_vendor_out(*row) for row in queries.vendor_summaries()]}


@registry.route("/vendors/<int:vendor_id>")
@registry.response(200, VendorSchema)
def get_vendor(vendor_id):
    """One vendor."""
    find(Vendor, vendor_id, "vendor")
    row = next(row for row in queries.vendor_summaries() if row[0].id == vendor_id)
    return _vendor_out(*row)


@registry.route("/vendors/<int:vendor_id>", methods=["PATCH"])
@registry.arguments(VendorPatchSchema(partial=True))
@registry.response(200, VendorSchema)
@registry.alt_response(403, response=FORBIDDEN)
def update_vendor(body, vendor_id):
    """Change a vendor's name, contact, identifier, address or business status (procurement officers).

    Fields not given keep their values; null or "" clears one. The identifier scheme and the
    identifier go together (both or neither: one given alone against the other's stored value is a
    409), and no two vendors share a name or an identifier (409).
    """
    vendor = find(Vendor, vendor_id, "vendor")
    user = api_user()
    allow(can_create_contracts(user))
    current = {"name": vendor.name} | {field: getattr(vendor, field) for field in services.VENDOR_TEXT_FIELDS}
    try:
        services.update_vendor(vendor, current | body, user)
    except services.PairError as error:
        raise _pair_refusal(error, body)
    return get_vendor(vendor_id)


# --- contracts ---------------------------------------------------------------------------------


def contract_or_404(contract_id):
    return find(Contract, contract_id, "contract", options=_CONTRACT_OPTIONS)


@bp.route("/contracts")
@bp.arguments(ContractListArgs, location="query")
@bp.response(200, ContractPageSchema)
def list_contracts(args):
    """The register, filtered and paginated.

    Unarchived contracts unless ``archived`` says otherwise; sorted by reference unless ``sort``
    and ``dir`` say otherwise.
    """
    filters = {key: args.get(key) for key in (
        "q", "priority", "vendor", "manager", "status", "payment_structure", "health", "department", "archived",
    )}
    query = queries.register_query(filters, args["sort"], args["direction"]).options(
        joinedload(Contract.procurement_officer)
    )
    return paginate(query, args)


@bp.route("/contracts", methods=["POST"])
@bp.arguments(ContractCreateSchema)
@bp.response(201, ContractSchema)
@bp.alt_response(403, response=FORBIDDEN)
def create_contract(body):
    """Register a contract (procurement officers).

    Give vendor_id, or new_vendor_name to create the vendor with it (an existing vendor of that
    name is used). The procurement officer defaults to you. The end is on or after the start and
    the signature on or after the award, neither in the future (else 422); a reference in use, or
    an id naming no row or an inactive user, is a 409.
    """
    user = api_user()
    allow(can_create_contracts(user))
    data = dict(body)
    # Only procurement officers get here: as on the web form, the officer defaults to them.
    data.setdefault("procurement_officer_id", user.id)
    contract = services.create_contract(data, user)
    return contract_or_404(contract.id)


@bp.route("/contracts/<int:contract_id>")
@bp.response(200, ContractSchema)
def get_contract(contract_id):
    """One contract, with its vendor, priorities and people."""
    return contract_or_404(contract_id)


def _current_values(contract):
    values = {field: getattr(contract, field) for field in services.EDITABLE_FIELDS}
    values["vendor_id"] = contract.vendor_id
    values["new_vendor_name"] = ""
    values["priority_ids"] = [p.id for p in contract.priorities]
    return values


@bp.route("/contracts/<int:contract_id>", methods=["PATCH"])
@bp.arguments(ContractPatchSchema(partial=True))
@bp.response(200, ContractSchema)
@bp.alt_response(403, response=FORBIDDEN)
def update_contract(body, contract_id):
    """Change some of a contract's fields (procurement officers).

    Fields not given keep their values; statuses are re-judged when the term changes. An
    archived contract cannot be changed. Dates out of order in the request, or in the future, are
    a 422; a date the other's stored value refuses (an end before the stored start) is a 409.
    On a contract that is (or was) active, a change of value, term or scope is an amendment:
    without `amended_on`, `amendment_reason` and an active procurement officer or admin as
    `amendment_approver_id` it is a 409 with code `amendment_required` (a draft takes it as it is).
    """
    contract = contract_or_404(contract_id)
    user = api_user()
    allow(can_edit_contract(user, contract), contract)
    data = _current_values(contract) | body
    if body.get("new_vendor_name"):
        data["vendor_id"] = None
    try:
        services.update_contract(contract, data, user)
    except services.PairError as error:
        raise _pair_refusal(error, body)
    return contract_or_404(contract.id)


@bp.route("/contracts/<int:contract_id>/archive", methods=["POST"])
@bp.arguments(ArchiveSchema)
@bp.response(200, ContractSchema)
@bp.alt_response(403, response=FORBIDDEN)
def archive_contract(body, contract_id):
    """Archive a contract, with the reason (procurement officers).

    It keeps all its data and leaves the register; an archived contract is read-only (archiving
    it again is refused like any other change).
    """
    contract = contract_or_404(contract_id)
    user = api_user()
    allow(can_edit_contract(user, contract), contract)
    services.archive_contract(contract, user, body["reason"])
    return contract_or_404(contract.id)


__all__ = ["bp", "registry", "contract_or_404"]
