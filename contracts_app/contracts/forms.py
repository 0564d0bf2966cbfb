from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from decimal import Decimal

from wtforms import (
    BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from contracts_app.forms_common import AsciiDateField, BaseForm, EmailAddress, NumberField, PlainDateField, coerce_id
from contracts_app.contracts.models import KINDS, PAYMENT_STRUCTURES, STATUSES, Contract, Department, Vendor
from contracts_app.db_types import LONG_TEXT, max_length

REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
# org-id.guide list codes: a country or "XI"/"XM" prefix, a hyphen, the register's code.
IDENTIFIER_SCHEME_PATTERN = r"^[A-Za-z]{2}-[A-Za-z0-9]+$"
IDENTIFIER_SCHEME_MESSAGE = "Use an org-id.guide code: two letters, a hyphen and the register's code, such as US-EIN."


def optional_int(value):
    """Coerce a select's value: '' means none; anything not a whole number is refused."""
    if value in ("", None):
        return None
    return coerce_id(value)


class ContractForm(BaseForm):
    reference = StringField(
        _l('Reference'),
        validators=[DataRequired(), Length(max=max_length(Contract.reference)), Regexp(REFERENCE_PATTERN, message=_l('Use letters, digits and . _ / - only, starting with a letter or digit.'))],
        description=_l("The city's unique reference, e.g. HS-2025-014."),
    )
    title = StringField(_l('Title'), validators=[DataRequired(), Length(max=max_length(Contract.title))])
    kind = SelectField(_l('Kind'), choices=list(KINDS.items()), validators=[DataRequired()])
    department = StringField(
        _l('Department'), validators=[DataRequired(), Length(max=max_length(Contract.department))],
        render_kw={"list": "department-names", "autocomplete": "off"},
        description=_l("An existing department (suggested as you type), or a new one's name."),
    )
    vendor_id = SelectField(_l('Vendor'), coerce=optional_int)
    new_vendor_name = StringField(
        _l('…or a new vendor'), validators=[Optional(), Length(max=max_length(Vendor.name))],
        description=_l('Type a name to create the vendor now, instead of picking one above.'),
    )
    value = NumberField(
        _l('Value'), places=2, max_abs=Decimal("999999999999.99"),
        validators=[InputRequired(message=_l('Enter the contract value.')), NumberRange(min=0, message=_l('The value cannot be negative.'))],
    )
    currency = StringField(
        _l('Currency'), default="USD",
        validators=[DataRequired(), Regexp(r"^[A-Za-z]{3}$", message=_l('Use a three-letter ISO 4217 code, such as USD.'))],
    )
    start_date = AsciiDateField(_l('Start date'), validators=[InputRequired(message=_l('Enter a start date.'))])
    end_date = AsciiDateField(_l('End date'), validators=[InputRequired(message=_l('Enter an end date.'))])
    awarded_on = PlainDateField(
        _l('Awarded on'), validators=[Optional()], description=_l('When the award was decided (published as open data).'),
    )
    signed_on = PlainDateField(_l('Signed on'), validators=[Optional()], description=_l('When the contract was signed.'))
    status = SelectField(_l('Status'), choices=list(STATUSES.items()), validators=[DataRequired()])
    payment_structure = SelectField(_l('Payment structure'), choices=list(PAYMENT_STRUCTURES.items()), validators=[DataRequired()])
    payment_terms = TextAreaField(
        _l('How payment ties to results'), validators=[DataRequired(), Length(max=LONG_TEXT)],
        description=_l('E.g. 10% of each quarterly payment is withheld and released when placements meet target.'),
    )
    problem = TextAreaField(_l('Problem to solve'), validators=[DataRequired(), Length(max=LONG_TEXT)])
    outcomes = TextAreaField(_l('Desired outcomes (goals)'), validators=[DataRequired(), Length(max=LONG_TEXT)])
    priority_ids = SelectMultipleField(
        _l('Citywide priorities served'), coerce=coerce_id,
        validators=[DataRequired(message=_l('Pick at least one priority this contract serves.'))],
        description=_l('Hold Ctrl (or Cmd) to pick more than one.'),
    )
    procurement_officer_id = SelectField(_l('Procurement officer'), coerce=optional_int, validators=[Optional()])
    contract_manager_id = SelectField(_l('Contract manager'), coerce=optional_int, validators=[Optional()])
    is_public = BooleanField(_l('Publish as open data'), default=True)

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_('The end date must be on or after the start date.'))

    def validate_vendor_id(self, field):
        if not field.data and not (self.new_vendor_name.data or "").strip():
            raise ValidationError(_('Pick a vendor, or type the name of a new one below.'))
        if field.data and (self.new_vendor_name.data or "").strip():
            raise ValidationError(_('Pick a vendor or type a new one, not both.'))

    def validate_signed_on(self, field):
        if self.awarded_on.data and field.data and field.data < self.awarded_on.data:
            raise ValidationError(_('The contract cannot be signed before it was awarded.'))

    def validate_currency(self, field):
        field.data = (field.data or "").upper()


class ArchiveForm(BaseForm):
    reason = TextAreaField(_l('Reason'), validators=[DataRequired(message=_l('Say why the contract is archived.')), Length(max=1000)])


class RestoreForm(BaseForm):
    pass


class VendorForm(BaseForm):
    name = StringField(_l('Name'), validators=[DataRequired(), Length(max=max_length(Vendor.name))])
    contact_name = StringField(_l('Contact name'), validators=[Optional(), Length(max=max_length(Vendor.contact_name))])
    contact_email = EmailField(_l('Contact email'), validators=[Optional(), EmailAddress(), Length(max=max_length(Vendor.contact_email))])
    identifier_scheme = StringField(
        _l('Identifier scheme'),
        validators=[Optional(), Length(max=max_length(Vendor.identifier_scheme)), Regexp(IDENTIFIER_SCHEME_PATTERN, message=IDENTIFIER_SCHEME_MESSAGE)],
        description=_l('The register the identifier comes from, as an org-id.guide code: US-EIN for a US tax id, GB-COH for a UK company number.'),
    )
    identifier = StringField(
        _l('Identifier'), validators=[Optional(), Length(max=max_length(Vendor.identifier))],
        description=_l("The organisation's id in that register, e.g. its employer identification number."),
    )
    street_address = StringField(_l('Street address'), validators=[Optional(), Length(max=max_length(Vendor.street_address))])
    locality = StringField(_l('City or town'), validators=[Optional(), Length(max=max_length(Vendor.locality))])
    region = StringField(_l('State or region'), validators=[Optional(), Length(max=max_length(Vendor.region))])
    postal_code = StringField(_l('Postal code'), validators=[Optional(), Length(max=max_length(Vendor.postal_code))])
    country_name = StringField(_l('Country'), validators=[Optional(), Length(max=max_length(Vendor.country_name))])

    def validate_identifier(self, field):
        if bool((field.data or "").strip()) != bool((self.identifier_scheme.data or "").strip()):
            raise ValidationError(_('Give both the identifier scheme and the identifier, or neither.'))


class DepartmentForm(BaseForm):
    name = StringField(
        _l('Name'), validators=[DataRequired(), Length(max=max_length(Department.name))],
        description=_l("Renaming keeps the department's contracts with it; open data keeps naming it the same buyer."),
    )
