"""How values are written for people: numbers, money, dates (in the language being written,
English outside a request) and English plurals.

The bottom of the stack (the standard library and the app's config only): services, forms and
the CSV import use these directly, and ``template_helpers`` registers them as template filters.
"""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import get_locale

# Each language written in its US variant (dollars and digits as in the United States), as the
# public site does (contracts_app.public.formatting).
FORMAT_LOCALES = {"en": "en_US", "es": "es_US"}


def language():
    """The language text is being written in (English outside an app, where nothing is set)."""
    locale = get_locale()
    return str(locale) if locale else "en"


def in_english():
    return language() == "en"

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def money(value, currency="USD"):
    if value is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{Decimal(value):,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def cents(value, currency="USD"):
    """Money to the cent, always (a payment statement's amounts: $96,000.00, -$4,000.00)."""
    if value is None:
        return "—"
    value = Decimal(value)
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def number(value, places=None):
    """A reading or target for people: no trailing zeros, thousands separators."""
    if value is None:
        return "—"
    value = Decimal(value)
    if places is not None:
        value = round(value, places)
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def plain_number(value):
    """A Decimal as people type it: 18 rather than 18.0000, never 1E+1 (blank for None)."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def percent(value):
    if value is None:
        return "—"
    return f"{Decimal(value):.0f}%"


def local_datetime(value):
    """A UTC timestamp shown in the city's time zone, in the one date style: "1 Dec 2026, 14:30 EST"."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(ZoneInfo(current_app.config["CITY_TIMEZONE"]))
        return f"{long_date(local)}, {local:%H:%M %Z}"
    return str(value)


def long_date(value):
    """The app's one date style, on pages, in messages and in emails: "1 Dec 2026"."""
    if value is None:
        return "—"
    if isinstance(value, (date, datetime)):
        if in_english():
            return f"{value.day} {value:%b %Y}"
        code = language()
        return format_date(value, "d MMM y", locale=FORMAT_LOCALES.get(code, code))
    return str(value)


def month_name(day):
    """ "November 2026" in the language being written."""
    if in_english():
        return day.strftime("%B %Y")
    code = language()
    return format_date(day, "LLLL y", locale=FORMAT_LOCALES.get(code, code))


def plural(count, word):
    """ "1 metric", "2 metrics": the count with the word, plural unless the count is one."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def with_article(noun):
    """ "a contract manager", "an administrator"."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
