"""Numbers, money, dates and periods on the public pages, written the way the visitor's language
writes them (Babel's CLDR data): "Nov 3, 2026" and "$1,200,000" in English, "3 nov 2026" and
"$1,200,000" in Spanish. A US city's Spanish-speaking residents read dollars and digits as
in the United States, so each language is formatted in its US variant (``FORMAT_LOCALES``)."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from flask import current_app
from flask_babel import gettext as _

from contracts_app.i18n import current_language

FORMAT_LOCALES = {"en": "en_US", "es": "es_US"}
DASH = "—"


def format_locale():
    language = current_language()
    return FORMAT_LOCALES.get(language, language)


def day(value):
    """A date (or a timestamp, in the city's time zone): "Nov 3, 2026" / "3 nov 2026"."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["CITY_TIMEZONE"])).date()
    return format_date(value, "medium", locale=format_locale())


def long_day(value):
    """ "November 3, 2026" / "3 de noviembre de 2026"."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["CITY_TIMEZONE"])).date()
    return format_date(value, "long", locale=format_locale())


def month(value):
    """A month by name and year, for chart labels and tables: "Nov 2026" / "nov 2026"."""
    return format_date(value, "MMM y", locale=format_locale())


def decimal(value, places=None):
    """A reading or target: no trailing zeros, grouped thousands."""
    if value is None:
        return DASH
    value = Decimal(value)
    if places is not None:
        value = round(value, places)
    return format_decimal(value, format="#,##0.####", locale=format_locale())


def money(value, currency="USD"):
    """A contract value: whole amounts without cents."""
    if value is None:
        return DASH
    value = Decimal(value)
    pattern = None if value != value.to_integral_value() else "¤#,##0"
    return format_currency(value, currency, format=pattern, locale=format_locale(), currency_digits=pattern is None)


def share(value):
    """A share in percent (0-100, a Decimal) as "67%"."""
    if value is None:
        return DASH
    return format_percent(Decimal(value) / 100, locale=format_locale())


def period(start: date, cadence: str) -> str:
    """A reporting period in the visitor's language (the public twin of ``rules.period_label``):
    "Jul 2026", "Q3 2026" / "T3 2026", "2026"; off a calendar boundary, by its first day."""
    if cadence == "monthly" and start.day == 1:
        return month(start)
    if cadence == "quarterly" and start.day == 1 and start.month in (1, 4, 7, 10):
        return _("Q%(quarter)s %(year)s", quarter=(start.month - 1) // 3 + 1, year=start.year)
    if cadence == "annually" and start.month == 1 and start.day == 1:
        return str(start.year)
    if cadence == "weekly":
        return _("Week of %(day)s", day=day(start))
    months = {"quarterly": 3, "annually": 12}.get(cadence)
    if months and start.day == 1:
        # A quarter or year off the calendar (a term that starts in June): its first and last
        # month, "Jun – Aug 2026", "Dec 2025 – Feb 2026".
        index = start.year * 12 + start.month - 1 + months - 1
        last = date(index // 12, index % 12 + 1, 1)
        return _("%(first)s – %(last)s", first=month(start), last=month(last))
    return _("Period from %(day)s", day=day(start))


FILTERS = {
    "pub_day": day, "pub_long_day": long_day, "pub_month": month, "pub_number": decimal, "pub_money": money,
    "pub_share": share,
}
