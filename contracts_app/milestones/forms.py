"""The milestone form. Cross-field rules (completion date against status) live in the service."""
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.forms_common import BaseForm
from contracts_app.milestones.models import MILESTONE_STATUSES
from contracts_app.metrics.forms import PlainDateField


class MilestoneForm(BaseForm):
    title = StringField("Title", validators=[InputRequired("Give the milestone a title."), Length(max=255)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    due_date = PlainDateField("Due date", validators=[InputRequired("Give the due date.")])
    # validate_choice=False: the service says which statuses there are, in words.
    status = SelectField("Status", choices=list(MILESTONE_STATUSES.items()), default="scheduled", validate_choice=False)
    completed_on = PlainDateField(
        "Completed on", validators=[Optional()],
        description="Required when the milestone is met or partially met; not in the future.",
    )
    payment_linked = BooleanField("Payment-linked", description="A payment depends on this milestone.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def values(self):
        return {
            name: getattr(self, name).data
            for name in ("title", "description", "due_date", "status", "completed_on", "payment_linked", "notes")
        }

    def validate(self, extra_validators=None):
        from contracts_app.milestones.services import milestone_problems

        valid = super().validate(extra_validators)
        for field, message in milestone_problems(self.values(), self.today).items():
            target = getattr(self, field)
            if not target.errors:
                target.errors.append(message)
                valid = False
        return valid
