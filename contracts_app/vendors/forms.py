"""Forms for vendor reporting. They validate input; the services decide."""
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.auth.models import User
from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, EmailAddress
from contracts_app.metrics.forms import NumberField, not_negative


class InviteForm(BaseForm):
    name = StringField("Contact's name", validators=[InputRequired("Give the contact's name."), Length(max=max_length(User.name))])
    email = StringField(
        "Email", validators=[InputRequired("Give the contact's email address."), EmailAddress()],
        description="They get a one-time link to choose a password.",
    )


class SetPasswordForm(BaseForm):
    password = PasswordField(
        "Choose a password", validators=[InputRequired("Choose a password.")],
        description="At least 12 characters.", render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type it again", validators=[InputRequired("Type the password again.")], render_kw={"autocomplete": "new-password"},
    )


class SubmissionForm(BaseForm):
    """One metric and period on the vendor's contract page.

    Evidence files: add ``evidence = MultipleFileField(...)`` here (and ``enctype`` on the form in
    vendors/contract.html); the route passes ``form.evidence.data`` to ``submit_value(evidence=)``.
    """

    metric_id = HiddenField()
    period = HiddenField()
    value = NumberField("Value", validators=[InputRequired("Enter the value for this period."), not_negative])
    note = TextAreaField(
        "Note", validators=[Optional(), Length(max=LONG_TEXT)],
        description="Needed when the value is below the off-track threshold: say what happened.",
    )


class ReturnForm(BaseForm):
    reason = TextAreaField(
        "Reason for returning it",
        validators=[InputRequired("Say why the submission is returned; the vendor sees the reason."), Length(max=LONG_TEXT)],
    )


class ActionForm(BaseForm):
    """A button with nothing but its CSRF token (accept, revoke)."""
