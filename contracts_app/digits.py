"""Numbers are typed with the ASCII digits 0-9 only, everywhere: forms, query strings, the
API, spreadsheet imports and the CLI.

Python's ``int()``, ``Decimal()``, ``str.isdigit()`` and ``strptime`` also take full-width
("１２３") and other scripts' digits ("١٢٣"), and ``isdigit()`` even superscripts ("²", which
``int()`` then refuses): a person would not know they typed them, a spreadsheet would sort them
as text, and the value would reach the database looking like a number it never was. These
helpers are the one place that rule lives; they import nothing from the app.
"""
import re

FOREIGN_DIGITS_MESSAGE = (
    "Type the digits 0–9: this has digits from another script or a full-width keyboard."
)
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)


def has_foreign_digits(text):
    """True when ``text`` holds a numeral character that is not one of the ASCII digits."""
    return isinstance(text, str) and any(char.isnumeric() and not char.isascii() for char in text)


def ascii_digits(text):
    """True for a non-empty string of the digits 0-9 and nothing else (what ``isdigit()`` is
    usually meant to check)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def whole_number(text):
    """The int written in ``text`` (spaces around it ignored, an optional sign); ValueError
    for anything else, with FOREIGN_DIGITS_MESSAGE when it has non-ASCII digits. Unlike
    ``int()`` it refuses "１２", "1_000" and "٣"."""
    raw = text.strip() if isinstance(text, str) else ""
    if _WHOLE_NUMBER.fullmatch(raw):
        return int(raw)
    if has_foreign_digits(raw):
        raise ValueError(FOREIGN_DIGITS_MESSAGE)
    raise ValueError(f"{text!r} is not a whole number.")


def coerce_id(value):
    """A SelectField's ``coerce`` for row ids: ``int`` that takes only ASCII digits (WTForms
    reports a ValueError as an invalid choice)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return whole_number(value)


def digits_at_most(limit):
    """A regular expression for the whole numbers 0 to ``limit`` in ASCII digits (leading zeros
    allowed): an id converter's limit in the URL pattern, a number's bound in the API document."""
    digits = str(limit)
    choices = [rf"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - index - 1
            choices.append(digits[:index] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    choices.append(digits)
    return "0*(?:" + "|".join(choices) + ")"
