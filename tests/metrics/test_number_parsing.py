"""Numbers are what the person typed or refused (issue 10, section 2): the shared parser and
the NumberField every form uses (metrics, readings, targets, contract value)."""
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from contracts_app.forms_common import BaseForm, NumberField, parse_decimal


@pytest.mark.parametrize(
    "typed, value",
    [
        ("42", Decimal(42)),
        ("3.5", Decimal("3.5")),
        ("0", Decimal(0)),
        ("0.25", Decimal("0.25")),
        (".5", Decimal("0.5")),
        ("1,200", Decimal(1200)),
        ("250,000", Decimal(250000)),
        ("1,200,000.25", Decimal("1200000.25")),
        ("1200000.25", Decimal("1200000.25")),
        ("-3", Decimal(-3)),  # parsed, so that the field's own check says why it is refused
        (" 42 ", Decimal(42)),
        ("\t42\n", Decimal(42)),
    ],
)
def test_it_accepts_plain_numbers(typed, value):
    assert parse_decimal(typed) == value


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_it_reads_blank_as_no_value(typed):
    assert parse_decimal(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "5 5", "1 200", "1,20", "12,0000", "1234,567", "0,500", ",5", "5,", "1,,200", "1.2.3", "1.200,5", "5.",
        "１２", "٣", "१२", "1e5", "1E5", "Infinity", "-Infinity", "NaN", "sNaN", "+5", "−5", "- 5", "--5", "-",
        "1_000", "$5", "5%", "0x10", "abc", "5\u200b5", "5\u00a05",
    ],
)
def test_it_refuses_anything_else(typed):
    with pytest.raises(ValueError) as refused:
        parse_decimal(typed)
    assert str(refused.value).startswith("“")
    assert " is not a number: " in str(refused.value)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("5 5", "“5 5” is not a number: remove the spaces inside it, or use commas between thousands (1,250.5)."),
        ("1,20", "“1,20” is not a number: use digits, an optional decimal point and commas between thousands (1,250.5)."),
        ("1.2.3", "“1.2.3” is not a number: use one decimal point at most, and commas between thousands (1,250.5)."),
        ("１２", "“１２” is not a number: type the digits 0–9 (it has digits from another script or a full-width keyboard)."),
        ("٣", "“٣” is not a number: type the digits 0–9 (it has digits from another script or a full-width keyboard)."),
        ("a lot", "“a lot” is not a number: use digits, an optional decimal point and commas between thousands (1,250.5)."),
        (" 1e5 ", "“1e5” is not a number: use digits, an optional decimal point and commas between thousands (1,250.5)."),
    ],
)
def test_its_message_shows_what_was_typed(typed, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.") + "$"):
        parse_decimal(typed)


def test_its_message_names_invisible_characters_and_cuts_long_text():
    with pytest.raises(ValueError, match=r"“5\[U\+200B\]5” is not a number"):
        parse_decimal("5\u200b5")
    with pytest.raises(ValueError) as refused:
        parse_decimal("9" * 30 + "x" * 100)
    assert "“" + "9" * 30 + "x" * 9 + "…” is not a number" in str(refused.value)


class _Form(BaseForm):
    amount = NumberField("Amount", places=2, max_abs=Decimal("1000000"))


def _submit(app, typed):
    with app.test_request_context(method="POST"):
        form = _Form(formdata=MultiDict({"amount": typed}), meta={"csrf": False})
        form.validate()
        return form


def test_the_field_keeps_what_was_typed_and_parses_it(app):
    form = _submit(app, "250,000")
    assert form.amount.data == Decimal(250000) and not form.amount.errors
    assert 'value="250,000"' in form.amount()


def test_the_field_refuses_with_the_parsers_message(app):
    form = _submit(app, "5 5")
    assert form.amount.data is None
    assert form.amount.errors == ["“5 5” is not a number: remove the spaces inside it, or use commas between thousands (1,250.5)."]


def test_the_field_keeps_its_places_and_size_checks(app):
    assert _submit(app, "1.005").amount.errors == ["Use at most 2 decimal places."]
    assert _submit(app, "1,000,001").amount.errors == ["That number is too large (at most 1,000,000)."]
    assert _submit(app, "-0").amount.data == Decimal(0)


def test_the_field_is_a_text_input_with_the_decimal_keypad(app):
    html = _submit(app, "42").amount()
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert 'type="number"' not in html
