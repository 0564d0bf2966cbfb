from decimal import Decimal

from flask_babel import gettext as _
from wtforms import (
    BooleanField, EmailField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, SelectMultipleField,
    StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from contracts_app.i18n import lazy_gettext as _l
from contracts_app.forms_common import (
    AsciiDateField, AsciiDigitsOnly, BaseForm, EmailAddress, NumberField, PlainDateField, PlainParseMessage,
    WholeNumberField, coerce_id, strip_nul,
)
from contracts_app.contracts.models import (
    KINDS, PAYMENT_STRUCTURES, PROCUREMENT_METHODS, STATUSES, Contract, Department, Vendor,
)
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


# Option rows on the contract form: the contract's options and this many blank rows after them.
BLANK_OPTION_ROWS = 2
MAX_OPTION_ROWS = 20


class PlainIntegerField(AsciiDigitsOnly, PlainParseMessage, IntegerField):
    parse_error = "Enter a whole number of months, such as 12."


class OptionRowForm(Form):
    """One option of the contract form: by when, what, and how many months it extends the term.
    An empty row is ignored (with an id: the option is removed); a half-filled one is an error."""

    option_id = HiddenField(filters=[lambda v: optional_int(v) if v not in (None, "") else None])
    option_date = PlainDateField(_l("Exercise by"), validators=[Optional()])
    description = StringField(_l("Option"), filters=[strip_nul], validators=[Optional(), Length(max=255)])
    extension_months = PlainIntegerField(_l("Extends the term by (months)"), validators=[Optional()])

    def values(self):
        return {"option_id": self.option_id.data, "option_date": self.option_date.data,
                "description": (self.description.data or "").strip(), "extension_months": self.extension_months.data}


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
    procurement_method = SelectField(
        _l("Solicitation method"), choices=[("", _l("— not recorded —"))] + list(PROCUREMENT_METHODS.items()),
        validators=[Optional()], description=_l("How the vendor was chosen (the OCDS procurement methods)."),
    )
    procurement_method_details = StringField(
        _l("Solicitation details"), validators=[Optional(), Length(max=max_length(Contract.procurement_method_details))],
        description=_l("In the city's own words, e.g. “Request for proposals RFP-2025-031”."),
    )
    bids_received = WholeNumberField(
        _l("Bids received"), validators=[Optional(), NumberRange(min=0, max=100_000, message=_l("Enter a whole number of bids from 0 to 100,000."))],
        description=_l("How many bids or proposals were received; blank if not recorded."),
    )
    # Asked when a contract that is (or was) active changes its value, term or scope: the
    # change is then an amendment (amendments.services), refused without these.
    amended_on = PlainDateField(
        _l("Amendment date"), validators=[Optional()],
        description=_l("When the amendment was agreed."),
    )
    amendment_reason = TextAreaField(
        _l("Reason for the amendment"), validators=[Optional(), Length(max=LONG_TEXT)],
        description=_l("Why the value, term or scope changes; published with the contract's amendments."),
    )
    amendment_approver_id = SelectField(
        _l("Approved by"), coerce=optional_int, validators=[Optional()], validate_choice=False,
        description=_l("A procurement officer or admin who approved the change."),
    )
    option_rows = FieldList(FormField(OptionRowForm), min_entries=0, max_entries=MAX_OPTION_ROWS)

    def fill_option_rows(self, options=()):
        """On a GET: a row per option of the contract, then blank rows."""
        for option in options:
            self.option_rows.append_entry({
                "option_id": option.id, "option_date": option.option_date, "description": option.description,
                "extension_months": option.extension_months,
            })
        for _row in range(BLANK_OPTION_ROWS):
            self.option_rows.append_entry()

    def option_values(self):
        return [row.form.values() for row in self.option_rows]

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
    is_small = BooleanField(_l("Small business"), description=_l("Certified as a small business by the city."))
    is_local = BooleanField(_l("Local business"), description=_l("Based in the city or its region, as the city defines it."))
    is_diverse = BooleanField(
        _l("Diverse business"), description=_l("Minority-, women-, veteran- or disability-owned, as certified."),
    )

    def validate_identifier(self, field):
        if bool((field.data or "").strip()) != bool((self.identifier_scheme.data or "").strip()):
            raise ValidationError(_('Give both the identifier scheme and the identifier, or neither.'))


class DepartmentForm(BaseForm):
    name = StringField(
        _l('Name'), validators=[DataRequired(), Length(max=max_length(Department.name))],
        description=_l("Renaming keeps the department's contracts with it; open data keeps naming it the same buyer."),
    )
