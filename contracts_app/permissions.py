"""Who may do what: the one place routes and templates ask.

The README's role-by-action table is this module in prose; keep them in step.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from contracts_app.attachments.models import CHECKIN, CONTRACT, READING, SUBMISSION, owner_contract, owner_kind
from contracts_app.auth.models import ADMIN, CDO, CONTRACT_MANAGER, PROCUREMENT_OFFICER, ROLES, VENDOR
from contracts_app.db_types import utcnow
from contracts_app.vendors.models import PENDING
from contracts_app.vendors.queries import has_active_access


def _signed_in(user):
    return user is not None and getattr(user, "is_authenticated", False)


def can_manage_users(user):
    return _signed_in(user) and user.role == ADMIN


def can_view_audit_log(user):
    return _signed_in(user) and user.role == ADMIN


def can_view_operations(user):
    """The operations page (scheduler heartbeat, outbox, failed notifications and retrying them)."""
    return _signed_in(user) and user.role == ADMIN


def can_edit_priorities(user):
    return _signed_in(user) and user.role in (ADMIN, CDO, PROCUREMENT_OFFICER)


def can_view_my_work(user):
    """"My work": every signed-in user (the page only ever shows their own contracts and items)."""
    return _signed_in(user)


def can_view_dimensions(user):
    """The city's dimensions (council district, age band...): every staff member sees them."""
    return _signed_in(user) and user.role in ROLES


def can_edit_dimensions(user):
    """Dimensions are defined once per city, by an administrator or a procurement officer."""
    return _signed_in(user) and user.role in (ADMIN, PROCUREMENT_OFFICER)


def can_create_contracts(user):
    return _signed_in(user) and user.role == PROCUREMENT_OFFICER


def can_edit_contract(user, contract):
    """Contract fields, metrics and archiving: procurement officers, on unarchived contracts."""
    return _signed_in(user) and user.role == PROCUREMENT_OFFICER and not contract.is_archived


def _manages(user, contract):
    return user.role == CONTRACT_MANAGER and contract.contract_manager_id == user.id


def can_enter_readings(user, contract):
    """Readings: procurement officers, and the contract's own contract manager."""
    if not _signed_in(user) or contract.is_archived:
        return False
    return user.role == PROCUREMENT_OFFICER or _manages(user, contract)


def can_import_readings(user):
    """The readings spreadsheet (download the due periods, upload them filled in): procurement
    officers and contract managers, each row then checked with ``can_enter_readings``."""
    return _signed_in(user) and user.role in (PROCUREMENT_OFFICER, CONTRACT_MANAGER)


def can_edit_milestones(user, contract):
    """Milestones: procurement officers, and the contract's own contract manager."""
    return can_enter_readings(user, contract)


def can_record_payments(user, contract):
    """Payments made (record, correct, void): procurement officers, and the contract's own
    contract manager (who checks the vendor's invoices), on unarchived contracts. Not admins:
    their role is users and settings, not a contract's money."""
    return can_enter_readings(user, contract)


def can_import_ocds(user):
    """A city's open contracting data (contracts_app.ocds.importer) creates and updates
    contracts, vendors and departments: procurement officers and administrators."""
    return _signed_in(user) and user.role in (PROCUREMENT_OFFICER, ADMIN)


def can_import_payments(user):
    """The payments spreadsheet: procurement officers and contract managers, each row then
    checked with ``can_record_payments``."""
    return can_import_readings(user)


def roles_required(*roles):
    """Route decorator: 403 unless the signed-in user has one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not _signed_in(current_user) or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require(allowed):
    """403 unless ``allowed`` (the result of one of the can_* checks)."""
    if not allowed:
        abort(403)


def can_manage_contract(user, contract):
    """Active management (check-ins, action items, resolving flags): procurement officers and
    the contract's own contract manager, on unarchived contracts."""
    return can_enter_readings(user, contract)



def can_restore_contract(user, contract):
    """Restoring an archived contract: procurement officers. (Restoring one that is not
    archived is refused by the service, with a message, not here.)"""
    return _signed_in(user) and user.role == PROCUREMENT_OFFICER



def can_evaluate(user, contract):
    """Closeout evaluations: procurement officers and the contract's own manager on unarchived
    contracts; on an archived contract, procurement officers only (a contract is often archived
    soon after it closes, and the evaluation is its last word, not a change to it)."""
    if can_manage_contract(user, contract):
        return True
    return _signed_in(user) and user.role == PROCUREMENT_OFFICER and contract.is_archived


def can_decide(user, contract):
    """Recording a renewal or option decision: procurement officers, chief data officers and
    admins, on unarchived contracts. Every staff role reads the decision page."""
    return _signed_in(user) and user.role in (PROCUREMENT_OFFICER, CDO, ADMIN) and not contract.is_archived


def can_download_evidence_packet(user):
    """The certification evidence packet (ZIP of the report, its PDF and CSVs): the chief data
    officer, who reports certification evidence, and admins."""
    return _signed_in(user) and user.role in (CDO, ADMIN)


def _staff(user):
    return _signed_in(user) and user.role in ROLES


def can_view_attachment(user, attachment):
    """An evidence file: whoever may see its record. Staff (every staff role reads every contract,
    its readings and its check-ins, archived or not); a vendor contact only the files of a
    submission they made themselves, while their access to its contract lasts (check-in and
    contract files are internal)."""
    if _staff(user):
        return True
    if not _signed_in(user) or user.role != VENDOR or attachment.owner_kind != SUBMISSION:
        return False
    submission = attachment.owner
    return (submission is not None and submission.submitted_by_id == user.id
            and has_active_access(user, owner_contract(submission), utcnow()))


def can_attach(user, owner):
    """Attaching a file to ``owner``: whoever may change that record. A contract: procurement
    officers and its own contract manager, unarchived; a reading: who may enter readings; a
    check-in: who may manage the contract; a vendor submission: the vendor contact who made it,
    while it waits for verification."""
    if not _signed_in(user):
        return False
    kind, contract = owner_kind(owner), owner_contract(owner)
    if kind == CONTRACT:
        return can_edit_contract(user, contract) or can_manage_contract(user, contract)
    if kind == READING:
        return can_enter_readings(user, contract)
    if kind == CHECKIN:
        return can_manage_contract(user, contract)
    if kind == SUBMISSION:
        return (user.role == VENDOR and owner.submitted_by_id == user.id and owner.state == PENDING
                and not contract.is_archived)
    return False


def is_vendor_contact(user):
    """A signed-in vendor contact (not staff): they reach only the vendor pages
    (``vendors.routes.keep_vendor_contacts_to_their_pages``)."""
    return _signed_in(user) and user.role == VENDOR


def can_invite_vendor_contact(user, contract):
    """Inviting (and revoking) the vendor's contacts on a contract: procurement officers and the
    contract's own manager, on an unarchived active contract."""
    if not _signed_in(user) or contract.is_archived or contract.status != "active":
        return False
    return user.role == PROCUREMENT_OFFICER or _manages(user, contract)


def can_see_vendor_contacts(user, contract):
    """The vendor contacts listed on a contract page: the same people who may invite, and any
    procurement officer or the manager on an ended or archived one (to see who had access)."""
    return _signed_in(user) and (user.role == PROCUREMENT_OFFICER or _manages(user, contract))


def can_use_vendor_pages(user):
    """The vendor pages (/vendor/...): vendor contacts only; which contracts they show is their
    active access (``vendors.queries.active_contract``), checked on every page."""
    return is_vendor_contact(user) and user.vendor_id is not None


def can_verify_submissions(user, contract=None):
    """Accepting or returning a vendor's submission: procurement officers, and the contract's
    own manager, on unarchived contracts (``contract`` None: whether the queue page opens)."""
    if not _signed_in(user):
        return False
    if contract is None:
        return user.role in (PROCUREMENT_OFFICER, CONTRACT_MANAGER)
    return can_enter_readings(user, contract)



def can_view_payments(user, contract=None):
    """Payment terms, rules and statements, and the what-if preview: every staff role (a vendor
    contact never: statements are internal until approved and published)."""
    return _staff(user)


def can_edit_payment_terms(user, contract):
    """Payment terms and rules: procurement officers and admins, on unarchived contracts."""
    return _signed_in(user) and user.role in (PROCUREMENT_OFFICER, ADMIN) and not contract.is_archived


def can_approve_statements(user, contract):
    """Approving, recomputing and revising payment statements: procurement officers, on
    unarchived contracts."""
    return _signed_in(user) and user.role == PROCUREMENT_OFFICER and not contract.is_archived


# What templates ask: ``can.edit_contract(contract)`` is ``can_edit_contract(current_user,
# contract)`` (template_helpers binds the signed-in user). Every can_* check above is in it.
def can_save_templates(user):
    """Contract templates (save one from a contract, import one): procurement officers and admins."""
    return _signed_in(user) and user.role in (PROCUREMENT_OFFICER, ADMIN)


TEMPLATE_CHECKS = {
    name.removeprefix("can_"): check for name, check in list(globals().items()) if name.startswith("can_")
}

