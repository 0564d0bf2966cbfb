"""marshmallow fields for the API: strict about what JSON clients send, plain in what they get.

Each refuses, as a validation error (422), what would otherwise reach the database as a 500:
NUL characters, non-finite or oversized numbers, ids no column can hold, dates centuries away;
and numbers are written with the ASCII digits 0-9 only (``int()`` and ``Decimal()`` would take
"１２" and "١٢"), as the OpenAPI document's patterns say.
"""
import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate

from contracts_app.digits import FOREIGN_DIGITS_MESSAGE, digits_at_most, has_foreign_digits
from contracts_app.query_args import MAX_ID

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


# What the document says of every text: no NUL character; and, when it must not be blank, at
# least one character that is not a space (the server strips spaces around text).
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = r"^[^\x00]*[^\x00\s][^\x00]*$"


class Text(fields.String):
    """A string, stripped, without NUL characters (PostgreSQL refuses them in text).

    The length and ``pattern`` are checked on the text as sent, before it is stripped, since
    that is what the document's maxLength and pattern describe; "blank" is judged after."""

    def __init__(self, *, max_length=None, blank=True, pattern=None, pattern_error=None, **kwargs):
        self.max_length = max_length
        self.blank = blank
        self.pattern = pattern
        self.pattern_error = pattern_error or "Not in the expected form."
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(f"Use at most {self.max_length} characters.")
        if self.pattern and not re.search(self.pattern, text):
            raise ValidationError(self.pattern_error)
        if not self.blank and not text.strip():
            raise ValidationError("Must not be blank.")
        return text.strip()

    def document(self):
        """The OpenAPI properties of this text."""
        properties = {"pattern": self.pattern or (NO_NUL_PATTERN if self.blank else NOT_BLANK_PATTERN)}
        if self.max_length is not None:
            properties["maxLength"] = self.max_length
        if not self.blank:
            properties["minLength"] = 1
        return properties


class Choice(fields.String):
    """One of a fixed set of codes (documented as an enum)."""

    def __init__(self, choices, error="Use one of: {choices}.", **kwargs):
        self.choices = list(choices)
        super().__init__(
            validate=validate.OneOf(self.choices, error=error),
            metadata={"enum": self.choices, **kwargs.pop("metadata", {})},
            **kwargs,
        )


# A whole number in a query string, and a decimal in a string, as the document states them.
INTEGER_TEXT = re.compile(r"-?[0-9]+", re.ASCII)
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
NUMBER_TEXT = re.compile(NUMBER_PATTERN, re.ASCII)


class _AsciiInteger(fields.Integer):
    """An Integer that takes a string (a query parameter) only as ASCII digits: marshmallow's
    ``int()`` would take "１２", " 12 " and "1_000"."""

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str) and not INTEGER_TEXT.fullmatch(value):
            if has_foreign_digits(value):
                raise ValidationError(FOREIGN_DIGITS_MESSAGE)
            raise self.make_error("invalid")
        return super()._validated(value)


class Id(_AsciiInteger):
    """A row id: a whole number from 1 to 2**31 - 1. In a JSON body it must be a JSON integer
    (not a string, not true); in a query string it is the usual digits."""

    def __init__(self, *, strict=True, **kwargs):
        super().__init__(strict=strict, validate=validate.Range(1, MAX_ID, error="Use an id from {min} to {max}."), **kwargs)


class WholeNumber(_AsciiInteger):
    """A JSON integer in [minimum, maximum] (true and false are not numbers)."""

    def __init__(self, minimum, maximum, *, strict=True, **kwargs):
        super().__init__(
            strict=strict, validate=validate.Range(minimum, maximum, error="Use a whole number from {min} to {max}."), **kwargs
        )


class Flag(fields.Boolean):
    """true or false, nothing else."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Use true or false.")
        return value


class Number(fields.Field):
    """A decimal number sent as a JSON number or a numeric string ("21.5"), read as Decimal.

    A string must match NUMBER_PATTERN (ASCII digits, an optional minus and decimal point: no
    exponent, spaces or thousands separators). Refuses NaN and infinities, more than ``places`` decimal places, more than ``max_abs`` and
    (by default) negative values, all with a message rather than a database error.
    """

    default_error_messages = {"invalid": "Enter a number, such as 42 or 3.5."}

    def __init__(self, *, places, max_abs, minimum=Decimal(0), **kwargs):
        self.places = places
        self.max_abs = Decimal(max_abs)
        self.minimum = minimum
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
            raise self.make_error("invalid")
        if isinstance(value, str) and not NUMBER_TEXT.fullmatch(value):
            if has_foreign_digits(value):
                raise ValidationError(FOREIGN_DIGITS_MESSAGE)
            raise self.make_error("invalid")
        try:
            number = Decimal(value) if isinstance(value, str) else Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise self.make_error("invalid")
        try:
            if not number.is_finite():
                raise ValidationError("Enter a finite number.")
            if number.copy_abs() > self.max_abs:
                raise ValidationError(f"That number is too large (at most {self.max_abs:,}).")
            if number != number.quantize(Decimal(1).scaleb(-self.places)):
                raise ValidationError(f"Use at most {self.places} decimal places.")
            if self.minimum is not None and number < self.minimum:
                raise ValidationError(
                    "Must be zero or more." if self.minimum == 0 else f"Must be at least {self.minimum}."
                )
        except ArithmeticError:
            raise self.make_error("invalid")
        return number + 0  # -0 becomes 0

    def _serialize(self, value, attr, obj, **kwargs):
        return decimal_text(value)


def decimal_text(value):
    """A Decimal as plain text without trailing zeros: 1200000.00 -> "1200000" (as the audit log)."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


class DecimalText(fields.Field):
    """A decimal in a response: a string, so that no precision is lost to binary floats."""

    def _serialize(self, value, attr, obj, **kwargs):
        return decimal_text(value)


# The years a Day accepts, and months 01-12 and days 01-31, as the document states them (with
# format: date for the rest, such as 30 February): generators then draw real dates, not mostly
# "2000-47-85" that format: date throws away.
DAY_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class Day(fields.Date):
    """An ISO date (YYYY-MM-DD) between 1900 and 2199."""

    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD, for example 2025-07-01."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise self.make_error("invalid")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(f"Use a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}.")
        return day



def _float_at_most(limit):
    """The largest binary float not above the Decimal ``limit`` (float(99999999999999.9999) is
    1e14, which the server refuses)."""
    value = float(limit)
    while Decimal(value) > limit:
        value = math.nextafter(value, -math.inf)
    return value


def number_text_pattern(field):
    """The pattern of a Number sent as a string, as strict as the server: ASCII digits, at most
    ``places`` significant decimal places (trailing zeros are fine), at most ``max_abs``, and a
    minus only where negatives are allowed (or before a zero: "-0" is 0)."""
    places, max_abs = field.places, field.max_abs
    fraction = rf"(\.[0-9]{{1,{places}}}0*)?" if places else r"(\.0+)?"
    whole = int(max_abs)
    if max_abs - whole == 1 - Decimal(1).scaleb(-places):  # 999.99 with two places: any fraction
        magnitude = digits_at_most(whole) + fraction
    elif max_abs == whole and whole > 0:  # 1000: up to 999.xx, or 1000 exactly
        magnitude = f"(?:{digits_at_most(whole - 1)}{fraction}|0*{whole}(\\.0+)?)"
    else:
        magnitude = "[0-9]+" + fraction
    if field.minimum is not None and field.minimum >= 0:
        return rf"^(?:{magnitude}|-0+(\.0+)?)$"
    return rf"^-?{magnitude}$"


def register_fields(api):
    """Tell the OpenAPI generator how these fields look."""
    api.register_field(Number, None, None)
    api.register_field(DecimalText, "string", "decimal")
    api.register_field(Text, fields.String)
    api.register_field(Choice, fields.String)
    api.register_field(Id, fields.Integer)
    api.register_field(WholeNumber, fields.Integer)
    api.register_field(Flag, fields.Boolean)
    api.register_field(Day, fields.Date)

    def number_properties(self, field, **kwargs):
        if isinstance(field, Number):
            bounds = {"maximum": _float_at_most(field.max_abs),
                      "minimum": float(field.minimum) if field.minimum is not None else -_float_at_most(field.max_abs)}
            return {
                "oneOf": [
                    {"type": "number", **bounds, "multipleOf": float(Decimal(1).scaleb(-field.places))},
                    {"type": "string", "pattern": number_text_pattern(field)},
                ],
                "description": (field.metadata.get("description", "") + f" A number with at most {field.places} "
                                "decimal places, as a JSON number or a string.").strip(),
            }
        if isinstance(field, DecimalText):
            return {"pattern": NUMBER_PATTERN}
        if isinstance(field, Text):
            return field.document()
        if isinstance(field, Day):
            return {"pattern": DAY_PATTERN}
        return {}

    api.ma_plugin.converter.add_attribute_function(number_properties)
