"""Payments made against a contract's ceiling: record, correct and void, each audited.

Every command validates, writes, records the audit event and commits, or raises PaymentError
having written nothing. ``payment_problems`` holds the rules on a payment's own values, shared
with the payments spreadsheet import (``spend.sheet``), which checks every row before writing.
"""
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from contracts_app.audit.services import record, snapshot
from contracts_app.db_types import LONG_TEXT, max_length, utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date, money
from contracts_app.metrics.status import today_for
from contracts_app.spend.forms import MAX_AMOUNT
from contracts_app.spend.models import Payment

FIELDS = ("paid_on", "amount", "period_start", "period_end", "invoice_reference", "note")
FIRST_DAY = date(1900, 1, 1)
CENT = Decimal("0.01")


class PaymentError(ServiceError):
    """A payment that cannot be recorded; ``field`` names the form field at fault."""


def contract_problem(contract):
    """Why payments cannot be recorded on ``contract`` now, or None."""
    if contract.is_archived:
        return _("The contract is archived: restore it before recording payments.")
    if contract.status == "draft":
        return _("The contract is still a draft: payments are recorded once it is active.")
    return None


def payment_problems(values, today):
    """{field: message} for a payment's values (parsed: dates, Decimal amount, text)."""
    problems = {}
    paid_on = values.get("paid_on")
    if paid_on is None:
        problems["paid_on"] = _("Enter the date of the payment.")
    elif paid_on < FIRST_DAY:
        problems["paid_on"] = _("Use a date from 1900 on.")
    elif paid_on > today:
        problems["paid_on"] = _("A payment is recorded once made: the date cannot be after today (%(today)s).",
                                today=long_date(today))
    amount = values.get("amount")
    if amount is None:
        problems["amount"] = _("Enter the amount paid.")
    elif amount <= 0:
        problems["amount"] = _("The amount must be more than zero (void a payment to take it back).")
    elif amount > MAX_AMOUNT:
        problems["amount"] = _("That amount is too large.")
    elif amount != amount.quantize(CENT):
        problems["amount"] = _("Use at most 2 decimal places.")
    start, end = values.get("period_start"), values.get("period_end")
    if (start is None) != (end is None):
        problems["period_end" if start else "period_start"] = _(
            "Give both dates of the billing period, or neither.")
    elif start and end < start:
        problems["period_end"] = _("The billing period must end on or after its first day.")
    elif start and start < FIRST_DAY:
        problems["period_start"] = _("Use a date from 1900 on.")
    reference = (values.get("invoice_reference") or "").strip()
    if not reference:
        problems["invoice_reference"] = _("Enter the invoice reference.")
    elif len(reference) > max_length(Payment.invoice_reference):
        problems["invoice_reference"] = _("Use at most %(n)s characters.", n=max_length(Payment.invoice_reference))
    if len(values.get("note") or "") > LONG_TEXT:
        problems["note"] = _("Use at most %(n)s characters.", n=LONG_TEXT)
    return problems


def _clean(values):
    data = {field: values.get(field) for field in FIELDS}
    data["invoice_reference"] = (data["invoice_reference"] or "").strip()
    data["note"] = (data["note"] or "").strip()
    return data


def _check_invoice_unique(contract_id, reference, payment_id=None):
    query = select(Payment.id).where(
        Payment.contract_id == contract_id, func.lower(Payment.invoice_reference) == reference.lower())
    if payment_id is not None:
        query = query.where(Payment.id != payment_id)
    if db.session.scalar(query) is not None:
        raise PaymentError(
            _("Invoice %(ref)s is already recorded on this contract; correct that payment instead.", ref=reference),
            "invoice_reference")


def _commit_or_invoice_error(reference):
    try:
        db.session.commit()
    except IntegrityError:
        # Two people recording the same invoice at once: the unique constraint decides.
        db.session.rollback()
        raise PaymentError(_("Invoice %(ref)s was just recorded on this contract by someone else.", ref=reference),
                           "invoice_reference")


def new_payment(contract, data, actor, now):
    """A Payment of ``contract`` from checked values (not added to the session)."""
    return Payment(contract_id=contract.id, recorded_by_id=actor.id if actor else None, created_at=now,
                   updated_at=now, **data)


def payment_summary(verb, contract, payment):
    return f"{verb} payment {payment.invoice_reference} of {money(payment.amount, contract.currency)} on {contract.reference}"


@command
def record_payment(contract, values, actor, now=None):
    """Record a payment made on ``contract``: date, amount (in the contract's currency), billing
    period (optional), invoice reference (unique per contract) and note."""
    now = now or utcnow()
    problem = contract_problem(contract)
    if problem:
        raise PaymentError(problem)
    data = _clean(values)
    PaymentError.raise_first(payment_problems(data, today_for(now)))
    _check_invoice_unique(contract.id, data["invoice_reference"])
    payment = new_payment(contract, data, actor, now)
    db.session.add(payment)
    try:
        # The insert may wait on another transaction recording the same invoice: the unique
        # constraint then refuses this one at the flush, not at the commit.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PaymentError(_("Invoice %(ref)s was just recorded on this contract by someone else.",
                             ref=data["invoice_reference"]), "invoice_reference")
    record(actor, "create", payment, after=snapshot(payment), contract_id=contract.id,
           summary=payment_summary("Recorded", contract, payment))
    _commit_or_invoice_error(data["invoice_reference"])
    return payment


@command
def correct_payment(payment, values, reason, actor, now=None):
    """Correct a payment's date, amount, period, invoice reference or note, saying why; the audit
    log keeps the values before and after."""
    now = now or utcnow()
    contract = payment.contract
    if contract.is_archived:
        raise PaymentError(contract_problem(contract))
    if payment.is_voided:
        raise PaymentError(_("This payment is voided; it cannot be corrected."))
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Say why the payment is corrected."), "reason")
    data = _clean(values)
    PaymentError.raise_first(payment_problems(data, today_for(now)))
    _check_invoice_unique(contract.id, data["invoice_reference"], payment.id)
    before = snapshot(payment)
    for field, value in data.items():
        setattr(payment, field, value)
    after = snapshot(payment)
    if after == before:
        raise PaymentError(_("Nothing was changed: change a value to correct the payment."))
    payment.updated_at = now
    record(actor, "update", payment, before=before, after=after | {"reason": reason}, contract_id=contract.id,
           summary=payment_summary("Corrected", contract, payment) + f": {reason}")
    _commit_or_invoice_error(data["invoice_reference"])
    return payment


@command
def void_payment(payment, reason, actor, now=None):
    """Void a payment (entered twice, on the wrong contract): it stays listed, with who voided it
    and why, and no longer counts toward the spend. A payment is voided once."""
    now = now or utcnow()
    contract = payment.contract
    if contract.is_archived:
        raise PaymentError(contract_problem(contract))
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Say why the payment is voided."), "reason")
    if len(reason) > 1000:
        raise PaymentError(_("Use at most %(n)s characters.", n=1000), "reason")
    before = snapshot(payment)
    # Conditional, so that two people voiding at once void it once (one audit event).
    claimed = db.session.execute(
        Payment.__table__.update()
        .where(Payment.id == payment.id, Payment.voided_at.is_(None))
        .values(voided_at=now, voided_by_id=actor.id if actor else None, void_reason=reason, updated_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise PaymentError(_("This payment is already voided."))
    db.session.refresh(payment)
    record(actor, "void", payment, before=before, after=snapshot(payment), contract_id=contract.id,
           summary=payment_summary("Voided", contract, payment) + f": {reason}")
    db.session.commit()
    return payment
