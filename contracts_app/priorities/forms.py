from flask_babel import gettext as _
from contracts_app.i18n import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, WholeNumberField, coerce_id
from contracts_app.priorities.models import MAX_TARGET_YEAR, MIN_TARGET_YEAR, Priority

NO_OWNER = 0


class YearRange(NumberRange):
    """NumberRange that stays quiet when the input was not a number (that has its own message)."""

    def __call__(self, form, field):
        if field.data is None:
            return
        super().__call__(form, field)


class PriorityForm(BaseForm):
    name = StringField(
        _l('Name'), validators=[DataRequired(message=_l('Give the priority a name.')), Length(max=max_length(Priority.name))],
        description=_l('A short name residents recognise, e.g. "Vision Zero".'),
    )
    outcome = TextAreaField(
        _l('Outcome statement'),
        validators=[DataRequired(message=_l('Describe the measurable outcome.')), Length(max=LONG_TEXT)],
        description=_l('What success looks like, measurably: "No traffic deaths by 2030".'),
    )
    owner_id = SelectField(_l('Owner'), coerce=coerce_id, validate_choice=True, description=_l('The official accountable for it.'))
    target_year = WholeNumberField(
        _l('Target year'),
        validators=[
            Optional(),
            YearRange(
                min=MIN_TARGET_YEAR, max=MAX_TARGET_YEAR,
                message=_l('Enter a year between %(MIN_TARGET_YEAR)s and %(MAX_TARGET_YEAR)s.', MIN_TARGET_YEAR=MIN_TARGET_YEAR, MAX_TARGET_YEAR=MAX_TARGET_YEAR),
            ),
        ],
        description=_l('The year the outcome should be reached (optional).'),
    )

    def set_owner_choices(self, users, current_owner=None):
        """Active users, plus the current owner if they have since been deactivated."""
        choices = [(NO_OWNER, _('— No owner —'))]
        choices += [(user.id, f"{user.name} ({user.email})") for user in users]
        if current_owner is not None and all(user.id != current_owner.id for user in users):
            choices.append((current_owner.id, f"{current_owner.name} ({current_owner.email}, inactive)"))
        self.owner_id.choices = choices
