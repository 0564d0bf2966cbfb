"""Recording amendments: a change of value, term, scope or payment rules after a contract became
active is dated, reasoned and approved, and written in the transaction of the change itself.

``record_amendment`` adds the Amendment and its audit event to the caller's transaction and
does not commit: the caller (``contracts.services.update_contract``, the payment-rules service)
commits the change and its amendment together, or neither.
"""
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from contracts_app.amendments.models import KINDS, SCOPE, TERM, VALUE, Amendment
from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import ADMIN, PROCUREMENT_OFFICER, User
from contracts_app.db_types import LONG_TEXT
from contracts_app.errors import ConflictError
from contracts_app.extensions import db
from contracts_app.formatting import long_date, money

# The roles whose approval an amendment needs.
APPROVER_ROLES = (PROCUREMENT_OFFICER, ADMIN)
# The contract fields each kind of amendment covers (payment rules are the payment service's).
FIELDS = {VALUE: ("value",), TERM: ("start_date", "end_date"), SCOPE: ("problem", "outcomes")}
# Statuses of a contract that is, or has been, active: its changes are amendments.
AMENDABLE_STATUSES = ("active", "completed", "terminated")
FIRST_DAY = date(1900, 1, 1)


class AmendmentError(ConflictError):
    """An amendment that cannot be recorded; ``field`` is amended_on, amendment_reason or
    amendment_approver_id. A ConflictError: the same change needs no amendment on a contract
    that is not active yet, so the API answers 409 (code ``amendment_required``), the stored
    contract's status refusing it."""

    code = "amendment_required"


def needs_amendment(contract):
    """Whether changes to ``contract`` are amendments: it is, or has been, active."""
    return contract.status in AMENDABLE_STATUSES


def changed_kinds(before, after):
    """The KINDS whose fields differ between ``before`` and ``after`` (dicts by field), in order."""
    return [kind for kind, fields in FIELDS.items() if any(before.get(f) != after.get(f) for f in fields)]


def approver_choices():
    """The active users who may approve an amendment, by name."""
    return db.session.scalars(
        select(User).where(User.role.in_(APPROVER_ROLES), User.active.is_(True)).order_by(User.name, User.id)
    ).all()


def check_amendment(reason, approver_id, amended_on, today, contract=None):
    """The approver (a User) once the reason, approver and date are right, else AmendmentError."""
    if not (reason or "").strip():
        raise AmendmentError(_("Say why the contract is amended: changes to an active contract need a reason."),
                             "amendment_reason")
    if len(reason) > LONG_TEXT:
        raise AmendmentError(_("Use at most %(n)s characters.", n=LONG_TEXT), "amendment_reason")
    if amended_on is None:
        raise AmendmentError(_("Give the date of the amendment."), "amended_on")
    if amended_on < FIRST_DAY:
        raise AmendmentError(_("Use a date from 1900 on."), "amended_on")
    if amended_on > today:
        raise AmendmentError(
            _("The amendment cannot be dated in the future (today is %(today)s).", today=long_date(today)),
            "amended_on")
    if approver_id is None:
        raise AmendmentError(_("Name who approved the amendment: a procurement officer or an admin."),
                             "amendment_approver_id")
    approver = db.session.get(User, approver_id)
    if approver is None or approver.role not in APPROVER_ROLES or not approver.active:
        raise AmendmentError(_("The approver must be an active procurement officer or admin."),
                             "amendment_approver_id")
    return approver


def _shown(field, value, currency):
    """A before or after value as people read it: money with its currency, dates in words."""
    if value in (None, ""):
        return "—"
    try:
        if field == "value":
            return money(Decimal(str(value)), currency)
        if field in ("start_date", "end_date"):
            return long_date(date.fromisoformat(str(value)))
    except (ArithmeticError, ValueError):
        pass
    return str(value)


def _describe(kinds, before, after, currency):
    """The amendment in words, for the history and OCDS: "Value: $1,200,000 → $1,350,000; End date: …"."""
    parts = []
    labels = {"value": _("Value"), "start_date": _("Start date"), "end_date": _("End date"),
              "problem": _("Problem"), "outcomes": _("Desired outcomes")}
    for kind in kinds:
        for field in FIELDS.get(kind, ()):
            if before.get(field) != after.get(field):
                if kind == SCOPE:
                    parts.append(_("%(field)s rewritten", field=labels[field]))
                else:
                    parts.append(f"{labels[field]}: {_shown(field, before.get(field), currency)} → "
                                 f"{_shown(field, after.get(field), currency)}")
        if kind not in FIELDS:
            if after.get("summary"):  # the payment service's words: "Withhold and release changed from 1 Oct 2026"
                parts.append(f"{KINDS.get(kind, kind)}: {after['summary']}")
            else:
                parts.append(_("%(kind)s changed", kind=KINDS.get(kind, kind)))
    return "; ".join(parts)


def record_amendment(contract, kinds, before, after, reason, approver, amended_on, actor, today=None):
    """Add an Amendment of ``contract`` and its audit event to the current transaction (not
    committed: the caller commits it with the change it records).

    ``kinds``: KINDS keys (value, term, scope, payment_rules); ``before``/``after``: JSON-safe
    dicts of what changed; ``approver``: a User (or an id) who is an active procurement officer
    or admin; ``amended_on``: the amendment's date (not in the future). Raises AmendmentError
    (nothing added) when the reason, approver or date is missing or wrong.
    """
    kinds = [kind for kind in KINDS if kind in set(kinds)]
    if not kinds:
        raise AmendmentError(_("An amendment must change the value, term, scope or payment rules."))
    if today is None:
        from contracts_app.db_types import utcnow
        from contracts_app.metrics.status import today_for

        today = today_for(utcnow())
    approver_id = approver.id if isinstance(approver, User) else approver
    approver = check_amendment(reason, approver_id, amended_on, today, contract)
    amendment = Amendment(
        contract_id=contract.id, amended_on=amended_on, kinds=",".join(kinds), before=before, after=after,
        rationale=reason.strip(), approver_id=approver.id, recorded_by_id=actor.id if actor else None,
    )
    db.session.add(amendment)
    db.session.flush()
    record(actor, "create", amendment, after=snapshot(amendment), contract_id=contract.id,
           summary=f"Amended {contract.reference} ({', '.join(kinds)}), approved by {approver.name}")
    return amendment


def description(amendment, currency="USD"):
    """What an amendment changed, in words (money in the contract's ``currency``)."""
    return _describe(amendment.kind_list, amendment.before or {}, amendment.after or {}, currency)


def contract_amendments(contract_id):
    """A contract's amendments, newest first, with approver and recorder (one query)."""
    from sqlalchemy.orm import joinedload

    return db.session.scalars(
        select(Amendment).where(Amendment.contract_id == contract_id)
        .options(joinedload(Amendment.approver), joinedload(Amendment.recorded_by))
        .order_by(Amendment.amended_on.desc(), Amendment.id.desc())
    ).all()
