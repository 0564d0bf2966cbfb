from flask_babel import gettext as _

from contracts_app.audit.readable import action_label, entity_label
from contracts_app.i18n import lazy_gettext as _l
from datetime import date

from wtforms import Form, SelectField
from wtforms.validators import Optional, ValidationError

from contracts_app.audit.queries import SYSTEM_ACTOR
from contracts_app.forms_common import AsciiDateField

# Bounds that keep a mistyped year (0001, 9999) from reaching date arithmetic or the database.
EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)


def _sane_date(form, field):
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_('Enter a date between %(year)s and %(year_2)s.', year=EARLIEST.year, year_2=LATEST.year))


class AuditFilterForm(Form):
    """The audit browser's filters, read from the query string (a GET form: no CSRF token).

    The URL arguments are ``type``, ``actor``, ``action``, ``from`` and ``to``; ``from`` is a
    Python keyword, so those two fields are attached below and read as ``form["from"]``.
    """

    type = SelectField(_l('Entity type'), validators=[Optional()])
    actor = SelectField(_l('Who'), validators=[Optional()])
    action = SelectField(_l('Action'), validators=[Optional()])

    def __init__(self, formdata, types, actions, users):
        super().__init__(formdata)
        self.type.choices = [("", _('Any type'))] + [(t, entity_label(t)) for t in types]
        self.actor.choices = (
            [("", _('Anyone'))]
            + [(str(u.id), u.name if u.active else _("%(name)s (inactive)", name=u.name)) for u in users]
            + [(SYSTEM_ACTOR, _('System / command line'))]
        )
        self.action.choices = [("", _('Any action'))] + [(a, action_label(a)) for a in actions]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        start, end = self["from"], self["to"]
        self.reversed_range = bool(
            not start.errors and not end.errors and start.data and end.data and end.data < start.data
        )
        if self.reversed_range:
            end.errors = [*end.errors, _('The end date is before the start date.')]
            valid = False
        return valid

    def value(self, name):
        """The field's value if it was understood, else None (a bad filter is ignored).

        A reversed date range ignores both dates: either one alone would still mislead.
        """
        field = self[name]
        if field.errors or (name in ("from", "to") and getattr(self, "reversed_range", False)):
            return None
        return field.data or None


setattr(AuditFilterForm, "from", AsciiDateField(_l('From'), validators=[Optional(), _sane_date]))
setattr(AuditFilterForm, "to", AsciiDateField(_l('To'), validators=[Optional(), _sane_date]))
