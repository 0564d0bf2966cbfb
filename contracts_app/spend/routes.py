"""Payment pages: record, correct and void a payment. The contract page shows the spend and
lists the payments (templates/spend/_contract_spend.html)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.formatting import money
from contracts_app.forms_common import errors_on
from contracts_app.metrics.status import today_for
from contracts_app.permissions import can_record_payments, require
from contracts_app.spend import bp, services
from contracts_app.spend.forms import PaymentCorrectionForm, PaymentForm, VoidPaymentForm
from contracts_app.spend.models import Payment


def _values(form):
    return {field: form[field].data for field in services.FIELDS}


def _back(contract):
    return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="spend"))


@bp.route("/contracts/<int:contract_id>/payments/new", methods=["GET", "POST"])
def new_payment(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_record_payments(current_user, contract))
    form = PaymentForm()
    now = utcnow()
    if not form.is_submitted():
        form.paid_on.data = today_for(now)
    if form.validate_on_submit():
        with errors_on(form, "invoice_reference"):
            payment = services.record_payment(contract, _values(form), current_user, now=now)
            flash(_("Payment %(ref)s of %(amount)s recorded.", ref=payment.invoice_reference,
                    amount=money(payment.amount, contract.currency)), "success")
            return _back(contract)
    problem = services.contract_problem(contract)
    return render_template("spend/payment_form.html", form=form, contract=contract, payment=None, problem=problem)


def _payment(payment_id):
    payment = db.get_or_404(Payment, payment_id)
    require(can_record_payments(current_user, payment.contract))
    return payment


@bp.route("/payments/<int:payment_id>/edit", methods=["GET", "POST"])
def edit_payment(payment_id):
    payment = _payment(payment_id)
    contract = payment.contract
    form = PaymentCorrectionForm(obj=payment)
    if form.validate_on_submit():
        with errors_on(form, "invoice_reference"):
            services.correct_payment(payment, _values(form), form.reason.data, current_user)
            flash(_("Payment %(ref)s corrected.", ref=payment.invoice_reference), "success")
            return _back(contract)
    return render_template("spend/payment_form.html", form=form, contract=contract, payment=payment,
                           problem=_("This payment is voided; it cannot be corrected.") if payment.is_voided else None)


@bp.route("/payments/<int:payment_id>/void", methods=["GET", "POST"])
def void_payment(payment_id):
    payment = _payment(payment_id)
    contract = payment.contract
    form = VoidPaymentForm()
    if form.validate_on_submit():
        with errors_on(form, "reason"):
            services.void_payment(payment, form.reason.data, current_user)
            flash(_("Payment %(ref)s voided; it no longer counts toward the spend.", ref=payment.invoice_reference),
                  "success")
            return _back(contract)
    return render_template("spend/void_form.html", form=form, contract=contract, payment=payment)
