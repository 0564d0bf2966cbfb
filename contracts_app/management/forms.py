"""Forms for check-ins, action items and resolving flags. They validate input; services decide."""
from contracts_app.i18n import lazy_gettext as _l
from wtforms import (
    FieldList, Form, FormField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from contracts_app.db_types import max_length
from contracts_app.formatting import long_date
from contracts_app.forms_common import (
    AsciiDigitsOnly, BaseForm, PlainDateField, PlainParseMessage, add_problems, coerce_id, strip_nul,
)
from contracts_app.management.models import ACTION_ITEM_STATUSES, ActionItem, CheckIn
from contracts_app.management.services import (
    MAX_ATTENDEES, MAX_DESCRIPTION, MAX_DURATION, MAX_NOTE, MAX_TEXT, MIN_DURATION, action_item_problems,
    checkin_problems,
)

ACTION_ROWS = 5
MAX_ACTION_ROWS = 20


class PlainTimeField(AsciiDigitsOnly, PlainParseMessage, TimeField):
    """A time of day with a message people understand."""

    parse_error = "Enter a time as HH:MM, for example 10:00 or 14:30."


class PlainIntegerField(AsciiDigitsOnly, PlainParseMessage, IntegerField):
    parse_error = "Enter a whole number of minutes, for example 60."


class CheckInForm(BaseForm):
    scheduled_for = PlainDateField(_l('Date'), validators=[InputRequired(_l('Give the date of the check-in.'))])
    start_time = PlainTimeField(_l('Start time'), validators=[Optional()], description=_l('Optional (HH:MM); invites use 10:00 without one.'))
    duration_minutes = PlainIntegerField(
        _l('Length (minutes)'), default=60, validators=[InputRequired(_l('Give the length of the meeting in minutes.'))],
        description=_l('Between %(MIN_DURATION)s and %(MAX_DURATION)s minutes.', MIN_DURATION=MIN_DURATION, MAX_DURATION=MAX_DURATION),
    )
    location = StringField(_l('Location'), validators=[Optional(), Length(max=max_length(CheckIn.location))], description=_l('A room, an address or a video link.'))
    city_attendees = TextAreaField(_l('City attendees'), validators=[Optional(), Length(max=MAX_ATTENDEES)], description=_l('One per line.'))
    vendor_attendees = TextAreaField(_l('Vendor attendees'), validators=[Optional(), Length(max=MAX_ATTENDEES)], description=_l('One per line.'))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def values(self):
        return {name: getattr(self, name).data for name in (
            "scheduled_for", "start_time", "duration_minutes", "location", "city_attendees", "vendor_attendees"
        )}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.today is not None:
            valid = add_problems(self, checkin_problems(self.values(), self.today)) and valid
        return valid


class ActionItemRowForm(Form):
    """One action-item row of the record form. An empty row is ignored; a half-filled one is an error."""

    description = StringField(_l('What'), filters=[strip_nul], validators=[Optional(), Length(max=MAX_DESCRIPTION)])
    owner = StringField(_l('Owner'), filters=[strip_nul], validators=[Optional(), Length(max=max_length(ActionItem.owner))])
    due_date = PlainDateField(_l('Due date'), validators=[Optional()])

    def values(self):
        return {"description": self.description.data, "owner": self.owner.data, "due_date": self.due_date.data}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if any(f.errors for f in self):
            return False
        return add_problems(self, action_item_problems(self.values())) and valid


class RecordCheckInForm(BaseForm):
    held_on = PlainDateField(_l('Held on'), validators=[InputRequired(_l('Give the date the check-in was held.'))])
    city_attendees = TextAreaField(_l('City attendees'), validators=[Optional(), Length(max=MAX_ATTENDEES)], description=_l('One per line.'))
    vendor_attendees = TextAreaField(_l('Vendor attendees'), validators=[Optional(), Length(max=MAX_ATTENDEES)], description=_l('One per line.'))
    notes = TextAreaField(_l('Notes'), validators=[Optional(), Length(max=MAX_TEXT)])
    decisions = TextAreaField(_l('Decisions'), validators=[Optional(), Length(max=MAX_TEXT)])
    flag_ids = SelectMultipleField(
        _l('Flags discussed'), coerce=coerce_id, choices=[],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    action_items = FieldList(FormField(ActionItemRowForm), min_entries=ACTION_ROWS, max_entries=MAX_ACTION_ROWS)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def values(self):
        return {
            "held_on": self.held_on.data,
            "city_attendees": self.city_attendees.data,
            "vendor_attendees": self.vendor_attendees.data,
            "notes": self.notes.data,
            "decisions": self.decisions.data,
            "flag_ids": list(self.flag_ids.data or ()),
            "action_items": [entry.form.values() for entry in self.action_items],
        }

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        held_on = self.held_on.data
        if self.today is not None and held_on is not None and held_on > self.today and not self.held_on.errors:
            self.held_on.errors = list(self.held_on.errors) + [
                f"The check-in cannot be recorded as held in the future (today is {long_date(self.today)})."
            ]
            valid = False
        return valid


class CancelCheckInForm(BaseForm):
    reason = TextAreaField(_l('Reason'), validators=[InputRequired(_l('Say why the check-in is cancelled.')), Length(max=MAX_NOTE)])


class ResolveFlagForm(BaseForm):
    note = TextAreaField(
        _l('Resolution note'), validators=[InputRequired(_l('Say why the flag is resolved.')), Length(max=MAX_NOTE)],
        description=_l('Why this no longer needs attention (kept with the flag and in the audit log).'),
    )


class ActionItemStatusForm(BaseForm):
    status = SelectField(_l('Status'), choices=list(ACTION_ITEM_STATUSES.items()), validate_choice=False)
