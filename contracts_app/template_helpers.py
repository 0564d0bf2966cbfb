"""Filters and globals available in every template."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from contracts_app.metrics.rules import STATUS_LABELS
from contracts_app.permissions import TEMPLATE_CHECKS

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def money(value, currency="USD"):
    if value is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{Decimal(value):,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


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


def percent(value):
    if value is None:
        return "—"
    return f"{Decimal(value):.0f}%"


def local_datetime(value):
    """A UTC timestamp shown in the city's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        tz = ZoneInfo(current_app.config["CITY_TIMEZONE"])
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    return str(value)


def long_date(value):
    if value is None:
        return "—"
    if isinstance(value, (date, datetime)):
        return value.strftime("%-d %b %Y")
    return str(value)


def status_badge(status):
    label = STATUS_LABELS.get(status, status or "—")
    return Markup('<span class="badge badge-{}">{}</span>').format(escape(status or "none"), label)


def url_with(**changes):
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app):
    app.jinja_env.filters.update(
        money=money, number=number, percent=percent, local_datetime=local_datetime,
        long_date=long_date, status_badge=status_badge,
    )
    app.jinja_env.globals.update(url_with=url_with, STATUS_LABELS=STATUS_LABELS)

    @app.context_processor
    def inject_permissions():
        checks = {
            name: (lambda *args, _check=check: _check(current_user, *args))
            for name, check in TEMPLATE_CHECKS.items()
        }
        return {"can": checks, "city_name": app.config["CITY_NAME"]}
