"""The milestone form. Cross-field rules (completion date against status) live in the service."""
from contracts_app.i18n import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, PlainDateField, add_problems
from contracts_app.milestones.models import MILESTONE_STATUSES, MILESTONE_TYPES, Milestone
from contracts_app.milestones.services import FIELDS, milestone_problems


class MilestoneForm(BaseForm):
    title = StringField(
        _l('Title'), validators=[InputRequired(_l('Give the milestone a title.')), Length(max=max_length(Milestone.title))]
    )
    description = TextAreaField(_l('Description'), validators=[Optional(), Length(max=LONG_TEXT)])
    due_date = PlainDateField(_l('Due date'), validators=[InputRequired(_l('Give the due date.'))])
    milestone_type = SelectField(
        _l('Type'), choices=list(MILESTONE_TYPES.items()), default="delivery", validate_choice=False,
        description=_l('Delivery of work, a report, a payment (financing), an assessment, an approval or an engagement.'),
    )
    # validate_choice=False: the service says which statuses there are, in words.
    status = SelectField(_l('Status'), choices=list(MILESTONE_STATUSES.items()), default="scheduled", validate_choice=False)
    completed_on = PlainDateField(
        _l('Completed on'), validators=[Optional()],
        description=_l('Required when the milestone is met or partially met; not in the future.'),
    )
    payment_linked = BooleanField(_l('Payment-linked'), description=_l('A payment depends on this milestone.'))
    notes = TextAreaField(_l('Notes'), validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def values(self):
        return {name: getattr(self, name).data for name in FIELDS}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return add_problems(self, milestone_problems(self.values(), self.today)) and valid
