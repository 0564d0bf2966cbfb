"""The contract register: create, update, archive and restore contracts; vendors.

Services own the transaction: each public function validates, writes, records the audit
event and commits, or raises ContractError having written nothing.
"""
from flask_babel import gettext as _
from datetime import date

import pycountry
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import CONTRACT_MANAGER, PROCUREMENT_OFFICER, User
from contracts_app.amendments import services as amendments
from contracts_app.audit.services import snapshot_values
from contracts_app.contracts.models import PROCUREMENT_METHODS, Contract, Department, Vendor
from contracts_app.db_types import max_length, utcnow
from contracts_app.db_utils import dialect_insert
from contracts_app.decisions.services import discard_stale_tasks, save_options
from contracts_app.errors import ALREADY_USED, UNKNOWN_ROW, ConflictError, ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import refresh_contract, reevaluate_readings, today_for
from contracts_app.priorities.models import Priority

EDITABLE_FIELDS = (
    "reference", "title", "kind", "department", "value", "currency", "start_date", "end_date", "status",
    "payment_structure", "payment_terms", "problem", "outcomes", "procurement_officer_id",
    "contract_manager_id", "is_public", "awarded_on", "signed_on", "procurement_method",
    "procurement_method_details", "bids_received",
)
# What an edit of a contract that is (or was) active also carries: the amendment's date,
# reason and approver (amendments.services.check_amendment).
AMENDMENT_FIELDS = ("amended_on", "amendment_reason", "amendment_approver_id")
MAX_BIDS = 100_000


class ContractError(ServiceError):
    """A contract change that cannot be made; ``field`` names the form field at fault."""


class PairError(ContractError):
    """Two values that disagree (an end before the start, a signature before the award, an
    identifier without its scheme); ``pair`` names both fields. Wrong whatever is stored when
    the request gives both; a change that gives one is refused by the other's stored value
    (the API tells the two apart: api.contracts)."""

    def __init__(self, message, field, pair):
        super().__init__(message, field)
        self.pair = pair


class ContractConflict(ConflictError, ContractError):
    """A contract or vendor change refused by what is stored (a reference or name in use, an id
    naming no usable row, readings that fix the term): the API's 409."""


def _contract_snapshot(contract):
    return snapshot(
        contract,
        {
            "vendor": contract.vendor.name if contract.vendor else None,
            "priorities": sorted(p.name for p in contract.priorities),
        },
    )


def _resolve_vendor(vendor_id, new_vendor_name):
    name = (new_vendor_name or "").strip()
    if name:
        # The same name first: SQLite's lower() changes ASCII letters only, so "Ìsla" would not
        # find itself by lower() there, and inserting it again would break the unique name.
        existing = db.session.scalar(select(Vendor).where(Vendor.name == name)) or db.session.scalar(
            select(Vendor).where(func.lower(Vendor.name) == name.lower())
        )
        if existing is not None:
            return existing, False
        vendor = Vendor(name=name)
        db.session.add(vendor)
        return vendor, True
    vendor = db.session.get(Vendor, vendor_id) if vendor_id else None
    if vendor is None:
        if vendor_id:
            raise ContractConflict(_("There is no vendor with id %(id)s: pick a vendor from the list, or type the "
                                     "name of a new one.", id=vendor_id), "vendor_id", code=UNKNOWN_ROW)
        raise ContractError(_('Pick a vendor from the list, or type the name of a new one.'), "vendor_id")
    return vendor, False


def resolve_department(name):
    """The department named ``name`` (ignoring case and repeated spaces), made if there is none."""
    name = " ".join((name or "").split())
    if not name:
        raise ContractError(_('Name the department.'), "department")
    department = db.session.scalar(select(Department).where(func.lower(Department.name) == name.lower()))
    if department is None:
        # Two contracts naming the same new department at once: the unique name decides, and
        # the one that loses finds the other's (rather than failing its whole save).
        now = utcnow()
        db.session.execute(
            dialect_insert(Department).values(name=name, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        department = db.session.scalar(select(Department).where(Department.name == name))
    return department


def _set_department(contract, name):
    department = resolve_department(name)
    contract.department_row = department
    contract.department = department.name


def _resolve_priorities(priority_ids):
    ids = set(priority_ids or [])
    if not ids:
        raise ContractError(_('Pick at least one priority this contract serves.'), "priority_ids")
    found = db.session.scalars(select(Priority).where(Priority.id.in_(ids))).all()
    if len(found) != len(ids):
        raise ContractConflict(_('One of the chosen priorities does not exist.'), "priority_ids", code=UNKNOWN_ROW)
    return found


def _check_user(user_id, role, field, label):
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or user.role != role or not user.active:
        raise ContractConflict(_('Pick an active %(label)s.', label=label), field, code=UNKNOWN_ROW)


def _check_reference(reference, contract_id=None):
    query = select(Contract.id).where(func.lower(Contract.reference) == reference.lower())
    if contract_id is not None:
        query = query.where(Contract.id != contract_id)
    if db.session.scalar(query) is not None:
        raise ContractConflict(_('Reference %(reference)s is already used by another contract.', reference=reference),
                               "reference", code=ALREADY_USED)


# Terms outside these years are typing mistakes (and would overflow period arithmetic).
FIRST_TERM_DAY = date(1900, 1, 1)
LAST_TERM_DAY = date(2199, 12, 31)


def check_values(data):
    """The rules on a contract's own values (no database needed): raises ContractError.
    The CSV import runs them on each row before anything is written."""
    if data["start_date"] < FIRST_TERM_DAY:
        raise ContractError(_('Use a start date from 1900 on.'), "start_date")
    if data["end_date"] > LAST_TERM_DAY:
        raise ContractError(_('Use an end date before 2200.'), "end_date")
    if data["end_date"] < data["start_date"]:
        raise PairError(_('The end date must be on or after the start date.'), "end_date", ("start_date", "end_date"))
    if pycountry.currencies.get(alpha_3=data["currency"]) is None:
        # Published figures (OCDS) need a real ISO 4217 code.
        raise ContractError(_('%(currency)s is not an ISO 4217 currency code; use one such as USD or EUR.', currency=data['currency']), "currency")
    if data["value"] is None or data["value"] < 0:
        raise ContractError(_('The value cannot be negative.'), "value")
    awarded_on, signed_on = data.get("awarded_on"), data.get("signed_on")
    for field, day, what in (("awarded_on", awarded_on, "award"), ("signed_on", signed_on, "signature")):
        if day is not None and not FIRST_TERM_DAY <= day <= LAST_TERM_DAY:
            raise ContractError(_('Use a date of %(what)s from 1900 to 2199.', what=what), field)
    if awarded_on and signed_on and signed_on < awarded_on:
        raise PairError(_("The contract cannot be signed before it was awarded."), "signed_on", ("awarded_on", "signed_on"))
    method = data.get("procurement_method")
    if method and method not in PROCUREMENT_METHODS:
        raise ContractError(
            _("Use one of the procurement methods: %(methods)s.", methods=", ".join(PROCUREMENT_METHODS)),
                "procurement_method")
    details = data.get("procurement_method_details")
    if details and len(details) > max_length(Contract.procurement_method_details):
        raise ContractError(
            _("Use at most %(n)s characters.", n=max_length(Contract.procurement_method_details)),
                "procurement_method_details")
    bids = data.get("bids_received")
    if bids is not None and (isinstance(bids, bool) or not isinstance(bids, int) or not 0 <= bids <= MAX_BIDS):
        raise ContractError(_("The number of bids is a whole number from 0 to %(max)s.", max=f"{MAX_BIDS:,}"),
                                "bids_received")


def check_dates_not_future(data, today):
    """An award or signature is recorded once it has happened: neither date is after today."""
    for field, what in (("awarded_on", "award"), ("signed_on", "signature")):
        day = data.get(field)
        if day is not None and day > today:
            raise ContractError(_('The date of %(what)s cannot be in the future (today is %(today)s).', what=what, today=long_date(today)), field)


def _validate(data, contract_id=None, now=None):
    check_values(data)
    check_dates_not_future(data, today_for(now or utcnow()))
    _check_reference(data["reference"], contract_id)
    _check_user(data.get("procurement_officer_id"), PROCUREMENT_OFFICER, "procurement_officer_id", "procurement officer")
    _check_user(data.get("contract_manager_id"), CONTRACT_MANAGER, "contract_manager_id", "contract manager")


def _commit_or_reference_error():
    try:
        db.session.commit()
    except IntegrityError:
        # Two people saving the same reference at once: the unique constraint decides.
        db.session.rollback()
        raise ContractConflict(_('That reference was just used by another contract.'), "reference", code=ALREADY_USED)


def _normalise(data):
    """The data as the services store it: reference trimmed, currency in capitals, a blank
    procurement method or details as none."""
    data = dict(data, reference=data["reference"].strip(), currency=data["currency"].upper())
    data["procurement_method"] = (data.get("procurement_method") or "").strip() or None
    data["procurement_method_details"] = (data.get("procurement_method_details") or "").strip() or None
    return data


@command
def create_contract(data, actor, now=None, commit=True):
    """Register a contract from validated form data (see EDITABLE_FIELDS plus vendor_id,
    new_vendor_name and priority_ids).

    ``commit=False`` leaves the transaction to the caller (the CSV import writes a whole file
    in one): the contract is flushed, and the caller commits or rolls back.
    """
    now = now or utcnow()
    data = _normalise(data)
    _validate(data, now=now)
    priorities = _resolve_priorities(data.get("priority_ids"))
    vendor, vendor_created = _resolve_vendor(data.get("vendor_id"), data.get("new_vendor_name"))
    contract = Contract(**{field: data.get(field) for field in EDITABLE_FIELDS})
    _set_department(contract, data["department"])
    contract.vendor = vendor
    contract.priorities = priorities
    contract.health = rules.NO_DATA
    contract.health_updated_at = now
    db.session.add(contract)
    db.session.flush()
    if vendor_created:
        record(actor, "create", vendor, after=snapshot(vendor), summary=f"Created vendor {vendor.name}")
    record(
        actor, "create", contract, after=_contract_snapshot(contract), contract_id=contract.id,
        summary=f"Created contract {contract.reference}",
    )
    if data.get("option_rows"):
        save_options(contract, data["option_rows"], actor)
    if commit:
        _commit_or_reference_error()
    return contract


def _check_term_against_readings(contract, start_date, end_date):
    """Reporting periods count from the start date, so it is fixed once data exists; the end
    may move but not before a period that already has a reading."""
    metric_ids = select(Metric.id).where(Metric.contract_id == contract.id)
    first_last = db.session.execute(
        select(func.min(Reading.period_start), func.max(Reading.period_end)).where(Reading.metric_id.in_(metric_ids))
    ).one()
    if first_last[0] is None:
        return
    if start_date != contract.start_date:
        raise ContractConflict(
            _('The start date cannot change once readings are recorded: reporting periods are counted from it.'),
            "start_date", code="readings_exist",
        )
    if end_date < first_last[1]:
        raise ContractConflict(
            _('Readings exist up to %(first_last)s; the end date cannot be earlier.', first_last=long_date(first_last[1])),
            "end_date", code="readings_exist",
        )


def _comparable(values):
    """Amended fields as compared: JSON-safe, text with its line breaks normalised (a browser
    sends a textarea's lines with CR LF, whatever was stored)."""
    values = snapshot_values(Contract, values)
    return {key: value.replace("\r\n", "\n").strip() if isinstance(value, str) else value
            for key, value in values.items()}


def _pending_amendment(contract, data, now):
    """(kinds, before, after, approver) when the change to ``contract`` is an amendment (the
    contract is or was active, and its value, term or scope changes), checked before anything
    is written; None otherwise."""
    if not amendments.needs_amendment(contract):
        return None
    fields = [field for kind_fields in amendments.FIELDS.values() for field in kind_fields]
    before = _comparable({field: getattr(contract, field) for field in fields})
    after = _comparable({field: data.get(field) for field in fields})
    kinds = amendments.changed_kinds(before, after)
    if not kinds:
        return None
    approver = amendments.check_amendment(
        data.get("amendment_reason"), data.get("amendment_approver_id"), data.get("amended_on"), today_for(now), contract,
    )
    changed = [field for kind in kinds for field in amendments.FIELDS[kind]]
    return (kinds, {f: before[f] for f in changed}, {f: after[f] for f in changed}, approver)


@command
def update_contract(contract, data, actor, now=None):
    """Change a contract's fields, vendor and priorities; statuses follow a change of term.

    On a contract that is or was active, a change of value, term (start or end date) or scope
    (problem, desired outcomes) is an amendment: ``data`` must then carry ``amended_on``,
    ``amendment_reason`` and ``amendment_approver_id`` (an active procurement officer or admin),
    and the Amendment is written in this transaction with the change (or neither is)."""
    if contract.is_archived:
        raise ContractError(_('An archived contract cannot be edited; restore it first.'))
    now = now or utcnow()
    data = _normalise(data)
    _validate(data, contract.id, now=now)
    _check_term_against_readings(contract, data["start_date"], data["end_date"])
    amendment = _pending_amendment(contract, data, now)
    priorities = _resolve_priorities(data.get("priority_ids"))
    vendor, vendor_created = _resolve_vendor(data.get("vendor_id"), data.get("new_vendor_name"))
    before = _contract_snapshot(contract)
    term_changed = (contract.start_date, contract.end_date) != (data["start_date"], data["end_date"])
    for field in EDITABLE_FIELDS:
        setattr(contract, field, data.get(field))
    _set_department(contract, data["department"])
    contract.vendor = vendor
    contract.priorities = priorities
    db.session.flush()
    if term_changed:
        # Linear targets run from the start to the end of the term: re-judge every reading.
        for metric in contract.metrics:
            reevaluate_readings(metric)
        db.session.flush()
        refresh_contract(contract, now)
    after = _contract_snapshot(contract)
    if vendor_created:
        record(actor, "create", vendor, after=snapshot(vendor), summary=f"Created vendor {vendor.name}")
    if after != before:
        record(
            actor, "update", contract, before=before, after=after, contract_id=contract.id,
            summary=f"Updated contract {contract.reference}",
        )
    if amendment is not None:
        kinds, changed_before, changed_after, approver = amendment
        amendments.record_amendment(
            contract, kinds, changed_before, changed_after, data["amendment_reason"], approver, data["amended_on"],
            actor, today=today_for(now),
        )
    if data.get("option_rows") is not None:
        save_options(contract, data["option_rows"], actor)
    # An undecided renewal task for an end date that moved goes; the sweep opens the new one.
    discard_stale_tasks(contract)
    _commit_or_reference_error()
    return contract


@command
def archive_contract(contract, actor, reason, now=None):
    """Archive (never delete) a contract; it leaves the register but keeps all its data."""
    if contract.is_archived:
        raise ContractError(_('This contract is already archived.'))
    reason = (reason or "").strip()
    if not reason:
        raise ContractError(_('Say why the contract is archived.'), "reason")
    now = now or utcnow()
    before = _contract_snapshot(contract)
    contract.archived_at = now
    contract.archived_by_id = actor.id if actor else None
    record(
        actor, "archive", contract, before=before, after=_contract_snapshot(contract) | {"reason": reason},
        contract_id=contract.id, summary=f"Archived contract {contract.reference}: {reason}",
    )
    db.session.commit()
    return contract


@command
def restore_contract(contract, actor):
    if not contract.is_archived:
        raise ContractError(_('This contract is not archived.'))
    before = _contract_snapshot(contract)
    contract.archived_at = None
    contract.archived_by_id = None
    record(
        actor, "restore", contract, before=before, after=_contract_snapshot(contract), contract_id=contract.id,
        summary=f"Restored contract {contract.reference}",
    )
    db.session.commit()
    return contract


VENDOR_TEXT_FIELDS = (
    "contact_name", "contact_email", "identifier_scheme", "identifier", "street_address", "locality", "region",
    "postal_code", "country_name",
)
# The vendor's business status (WWC RDC8): yes or no each.
VENDOR_STATUS_FIELDS = ("is_small", "is_local", "is_diverse")


@command
def update_vendor(vendor, data, actor):
    """Change a vendor's name, contact, identifier (scheme and id, both or neither), address and
    business status (small, local, diverse: kept as they are when ``data`` leaves them out)."""
    name = data["name"].strip()
    clash = db.session.scalar(select(Vendor.id).where(func.lower(Vendor.name) == name.lower(), Vendor.id != vendor.id))
    if clash is not None:
        raise ContractConflict(_('Another vendor already has this name.'), "name", code=ALREADY_USED)
    values = {field: (data.get(field) or "").strip() or None for field in VENDOR_TEXT_FIELDS}
    if values["identifier_scheme"]:
        values["identifier_scheme"] = values["identifier_scheme"].upper()
    if bool(values["identifier_scheme"]) != bool(values["identifier"]):
        raise PairError(_('Give both the identifier scheme and the identifier, or neither.'), "identifier",
                        ("identifier_scheme", "identifier"))
    if values["identifier"]:
        same = db.session.scalar(select(Vendor.name).where(
            Vendor.identifier_scheme == values["identifier_scheme"], Vendor.identifier == values["identifier"],
            Vendor.id != vendor.id,
        ))
        if same is not None:
            raise ContractConflict(
                _('%(same)s already has identifier %(identifier_scheme)s %(identifier)s.', same=same,
                  identifier_scheme=values['identifier_scheme'], identifier=values['identifier']), "identifier",
                code=ALREADY_USED,
            )
    before = snapshot(vendor)
    vendor.name = name
    for field, value in values.items():
        setattr(vendor, field, value)
    for field in VENDOR_STATUS_FIELDS:
        if field in data:
            if not isinstance(data[field], bool):
                raise ContractError("Answer yes or no.", field)
            setattr(vendor, field, data[field])
    record(actor, "update", vendor, before=before, after=snapshot(vendor), summary=f"Updated vendor {vendor.name}")
    try:
        db.session.commit()
    except IntegrityError:
        # Two people saving at once: the unique constraints decide.
        db.session.rollback()
        raise ContractConflict(_('Another vendor was just saved with this name or identifier.'), "name",
                               code=ALREADY_USED)
    return vendor


@command
def rename_department(department, name, actor):
    """Rename a department, and with it the name on its contracts; it stays the same buyer."""
    name = " ".join((name or "").split())
    if not name:
        raise ContractError(_('Give the department a name.'), "name")
    if len(name) > Department.name.type.length:
        raise ContractError(_('Use at most %(length)s characters.', length=Department.name.type.length), "name")
    clash = db.session.scalar(
        select(Department.name).where(func.lower(Department.name) == name.lower(), Department.id != department.id)
    )
    if clash is not None:
        raise ContractError(_('There is already a department named %(clash)s.', clash=clash), "name")
    if name == department.name:
        return department
    before = snapshot(department)
    old = department.name
    department.name = name
    db.session.execute(
        update(Contract).where(Contract.department_id == department.id).values(department=name)
        .execution_options(synchronize_session="fetch")
    )
    record(actor, "update", department, before=before, after=snapshot(department),
           summary=f"Renamed department {old} to {name}")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ContractError(_('Another department was just given this name.'), "name")
    return department
