from decimal import Decimal

from contracts_app.i18n import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, NumberField, PlainDateField
from contracts_app.spend.models import Payment

MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)


class PaymentForm(BaseForm):
    paid_on = PlainDateField(_l("Paid on"), validators=[InputRequired(message=_l("Enter the date of the payment."))])
    amount = NumberField(
        _l("Amount"), places=2, max_abs=MAX_AMOUNT,
        validators=[InputRequired(message=_l("Enter the amount paid."))],
        description=_l("In the contract's currency."),
    )
    period_start = PlainDateField(_l("Billing period from"), validators=[Optional()])
    period_end = PlainDateField(_l("Billing period to"), validators=[Optional()],
                                description=_l("The period the invoice bills for (both dates, or neither)."))
    invoice_reference = StringField(
        _l("Invoice reference"),
        validators=[DataRequired(message=_l("Enter the invoice reference.")), Length(max=max_length(Payment.invoice_reference))],
        description=_l("The vendor's invoice number; each is recorded once per contract."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LONG_TEXT)])


class PaymentCorrectionForm(PaymentForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[DataRequired(message=_l("Say why the payment is corrected.")), Length(max=1000)],
    )


class VoidPaymentForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why the payment is voided.")), Length(max=1000)],
        description=_l("E.g. entered twice, or recorded on the wrong contract. A voided payment stays listed "
                       "but no longer counts toward the spend."),
    )
