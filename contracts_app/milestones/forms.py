"""The milestone form. Cross-field rules (completion date against status) live in the service."""
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, PlainDateField, add_problems
from contracts_app.milestones.models import MILESTONE_STATUSES, MILESTONE_TYPES, Milestone
from contracts_app.milestones.services import FIELDS, milestone_problems


class MilestoneForm(BaseForm):
    title = StringField(
        "Title", validators=[InputRequired("Give the milestone a title."), Length(max=max_length(Milestone.title))]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=LONG_TEXT)])
    due_date = PlainDateField("Due date", validators=[InputRequired("Give the due date.")])
    milestone_type = SelectField(
        "Type", choices=list(MILESTONE_TYPES.items()), default="delivery", validate_choice=False,
        description="Delivery of work, a report, a payment (financing), an assessment, an approval or an engagement.",
    )
    # validate_choice=False: the service says which statuses there are, in words.
    status = SelectField("Status", choices=list(MILESTONE_STATUSES.items()), default="scheduled", validate_choice=False)
    completed_on = PlainDateField(
        "Completed on", validators=[Optional()],
        description="Required when the milestone is met or partially met; not in the future.",
    )
    payment_linked = BooleanField("Payment-linked", description="A payment depends on this milestone.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def values(self):
        return {name: getattr(self, name).data for name in FIELDS}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return add_problems(self, milestone_problems(self.values(), self.today)) and valid
