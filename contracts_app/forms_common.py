"""Form fields shared by every feature, and how a view shows a service error on its form."""
import contextlib
import re
import unicodedata
from decimal import Decimal

import email_validator
from email_validator import EmailNotValidError, validate_email
from flask import flash
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, StringField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from flask_babel import gettext as _

from contracts_app.digits import FOREIGN_DIGITS_MESSAGE, ascii_digits, coerce_id, has_foreign_digits  # noqa: F401 (coerce_id for forms)
from contracts_app.errors import ServiceError


# Digits are ASCII only: Python's Decimal() also takes full-width and other scripts' digits
# ("１２", "٣"), which a person would not know they typed. Thousands separators are commas in
# groups of three after a first group of one to three digits that does not start with 0
# ("0,500" is more likely a decimal comma than five hundred).
_NUMBER = re.compile(r"-?(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|-?\.[0-9]+", re.ASCII)
NUMBER_HELP = "use digits, an optional decimal point and commas between thousands (1,250.5)"
_SHOWN_MAX = 40


def _shown(text):
    """What was typed, as a message can show it: invisible characters named (U+200B), long
    text cut, so that "5\u200b5" does not look like a number in the message refusing it."""
    shown = "".join(
        char if char == " " or unicodedata.category(char)[0] not in "CZ" else f"[U+{ord(char):04X}]" for char in text
    )
    return shown if len(shown) <= _SHOWN_MAX else shown[: _SHOWN_MAX - 1] + "…"


def parse_decimal(text):
    """The number a person typed, as a Decimal; None for blank; ValueError (its message shows
    what was typed) for anything that is not plainly a number.

    Accepted: ASCII digits, an optional leading minus, an optional decimal point followed by
    digits (``3.5``, ``.5``), and commas between thousands in the right places (``1,200,000.25``);
    spaces around the number are ignored. Refused: spaces inside (``5 5`` is not 55), commas
    out of place (``1,20``, ``12,0000``, ``5,``), two points, exponents, ``Infinity``/``NaN``,
    and digits other than 0–9 (full-width, Arabic-Indic and the like).
    """
    raw = (text or "").strip()
    if raw == "":
        return None
    if _NUMBER.fullmatch(raw):
        return Decimal(raw.replace(",", ""))
    shown = _shown(raw)
    if any(char.isdigit() and not char.isascii() for char in raw):
        advice = "type the digits 0–9 (it has digits from another script or a full-width keyboard)"
    elif any(char.isspace() for char in raw) and _NUMBER.fullmatch("".join(raw.split())):
        advice = "remove the spaces inside it, or use commas between thousands (1,250.5)"
    elif raw.count(".") > 1 and _NUMBER.fullmatch(raw.replace(".", "")):
        advice = "use one decimal point at most, and commas between thousands (1,250.5)"
    else:
        advice = NUMBER_HELP
    raise ValueError(f"“{shown}” is not a number: {advice}.")


class DecimalInput(TextInput):
    """A text box for a number: ``type="number"`` would let the browser rewrite what was typed
    (Chrome drops "250,000" to 250000 or to nothing, and takes "5 5" as 55) before the server
    could refuse it; ``inputmode="decimal"`` still brings up the number keypad on phones."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("inputmode", "decimal")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class NumberField(DecimalField):
    """A Decimal typed as text and parsed strictly (``parse_decimal``): what the person typed,
    or a message showing it. Refuses more decimal places than ``places`` and more than
    ``max_abs``, which the database could not hold.
    """

    widget = DecimalInput()

    def __init__(self, label=None, validators=None, places=4, max_abs=Decimal("99999999999999"), **kwargs):
        super().__init__(label, validators, places=places, **kwargs)
        self.max_abs = Decimal(max_abs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            value = parse_decimal(valuelist[0])
        except ValueError as error:
            self.data = None
            raise ValueError(str(error))
        if value is None:
            self.data = None
            return
        if abs(value) > self.max_abs:
            self.data = None
            raise ValueError(_("That number is too large (at most %(max)s).", max=format(self.max_abs, ",")))
        if self.places is not None and value != value.quantize(Decimal(1).scaleb(-self.places)):
            self.data = None
            raise ValueError(_("Use at most %(places)s decimal places.", places=self.places))
        self.data = value + 0  # normalise -0 to 0

    def pre_validate(self, form):
        # A value that did not parse has its message already; range checks would only add noise.
        if self.process_errors:
            raise StopValidation()

    def _value(self):
        """What the input shows: what was typed, else the stored number as people type it
        (10, not the column's 10.0000)."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(Decimal(self.data).normalize(), "f")


class PlainParseMessage:
    """Mixed in before a WTForms field: input that does not parse gets ``parse_error``, a
    message people understand, instead of WTForms' own."""

    parse_error = None

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.parse_error)


class AsciiDigitsOnly:
    """Mixed in first, before a WTForms field that reads numbers with ``int()`` or
    ``strptime`` (both take full-width and other scripts' digits): such text is refused with
    FOREIGN_DIGITS_MESSAGE (contracts_app/digits.py) before the field parses it."""

    def process_formdata(self, valuelist):
        if valuelist and has_foreign_digits(valuelist[0]):
            self.data = None
            raise ValueError(FOREIGN_DIGITS_MESSAGE)
        super().process_formdata(valuelist)


class AsciiDateField(AsciiDigitsOnly, DateField):
    """WTForms' DateField with ASCII digits only ("２０２５-01-01" is not a date)."""


class WholeNumberField(AsciiDigitsOnly, IntegerField):
    """WTForms' IntegerField with ASCII digits only, and without what ``int()`` also takes
    ("1_000"): digits with an optional sign, spaces around them ignored."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip() and not ascii_digits(valuelist[0].strip().lstrip("+-")):
            if not has_foreign_digits(valuelist[0]):
                self.data = None
                raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class PlainDateField(AsciiDigitsOnly, PlainParseMessage, DateField):
    """A date with a message people understand when the text is not a date."""

    parse_error = "Enter a date as YYYY-MM-DD, for example 2025-07-01."


def strip_nul(value):
    """Drop NUL characters: PostgreSQL refuses them in text, and no person types one."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


class BaseForm(FlaskForm):
    """The base of every form: CSRF (Flask-WTF), and text fields that drop NUL characters."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                options["filters"] = [*unbound_field.kwargs.get("filters", ()), strip_nul]
            return super().bind_field(form, unbound_field, options)


class EmailAddress:
    """An email syntax check that accepts intranet domains (.local, .internal, .test).

    WTForms' Email() refuses special-use domains, which city intranets use; the user service
    applies the same check (``normalise_email_address``) so the form and the CLI agree.
    """

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalise_email_address(field.data)
        except ValueError as error:
            raise ValidationError(self.message or str(error))


def normalise_email_address(value):
    """The address lower-cased and checked for syntax only (no DNS); ValueError if invalid."""
    # email-validator refuses special-use domains; intranets use .local for mail, so allow it
    # (its documentation says this list is there to be changed).
    if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")
    try:
        result = validate_email(
            (value or "").strip(), check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as error:
        raise ValueError(f"Enter a valid email address ({error}).")
    return result.normalized.lower()


def add_problems(form, problems):
    """Put a service's problems ({field: message}, as ``metric_problems`` returns them) on the
    form after its own validation: a field that has a message already keeps just its own, and a
    problem naming no field goes into the form-level errors. False when any was added."""
    valid = True
    for name, message in problems.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
            valid = False
        elif not field.errors:
            field.errors = [*field.errors, message]
            valid = False
    return valid


def show_error(form, error, default=None):
    """Put a service error on the form field it names (``error.field``), so the page shows it
    where the user typed the value.

    ``error.field`` may name a field, or a row of a FieldList of FormFields
    ("action_items-2-owner"). An error naming no field of the form goes on ``default`` (a field
    name) when given, else into the form-level errors.
    """
    message = str(error)
    name = error.field if isinstance(getattr(error, "field", None), str) else ""
    field = None
    parts = name.split("-")
    if len(parts) == 3 and ascii_digits(parts[1]) and hasattr(form, parts[0]):
        entries = getattr(form, parts[0]).entries
        if int(parts[1]) < len(entries):
            field = getattr(entries[int(parts[1])].form, parts[2], None)
    if field is None and name:
        field = getattr(form, name, None)
    if field is None and default:
        field = getattr(form, default)
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message]


class errors_on(contextlib.AbstractContextManager):
    """``with errors_on(form, "email"): ...`` runs a form's command; a ServiceError it raises is
    put on the field it names (or on ``default``) and goes no further, so the view falls through
    to render the form again. The service rolled back before raising; nothing is left to undo.

    ``errors_on(None)`` flashes the message instead, for buttons that have no form to show.
    """

    def __init__(self, form, default=None):
        self.form = form
        self.default = default

    def __exit__(self, kind, error, traceback):
        if not isinstance(error, ServiceError):
            return False
        if self.form is None:
            flash(str(error), "error")
        else:
            show_error(self.form, error, self.default)
        return True
