"""Filters and globals available in every template.

The value formatters themselves live in ``contracts_app.formatting`` (services and forms use
them too); this module registers them and adds what only pages need.
"""
from flask import request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from contracts_app.formatting import cents, local_datetime, long_date, money, number, percent, plural
from contracts_app.imports.reader import human_size
from contracts_app.metrics import rules
from contracts_app.metrics.rules import STATUS_LABELS
from contracts_app.permissions import TEMPLATE_CHECKS


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


def target_number(value, metric):
    """A computed target shown to its metric's precision (``rules.shown_target``)."""
    return number(rules.shown_target(value, metric))


def init_app(app):
    app.jinja_env.filters.update(
        money=money, cents=cents, number=number, percent=percent, local_datetime=local_datetime, target_number=target_number,
        long_date=long_date, status_badge=status_badge, plural=plural, file_size=human_size,
    )
    app.jinja_env.globals.update(url_with=url_with, STATUS_LABELS=STATUS_LABELS)

    @app.context_processor
    def inject_permissions():
        checks = {
            name: (lambda *args, _check=check: _check(current_user, *args))
            for name, check in TEMPLATE_CHECKS.items()
        }
        return {"can": checks, "city_name": app.config["CITY_NAME"]}
