"""Forms for vendor reporting. They validate input; the services decide."""
from flask import current_app
from wtforms import HiddenField, MultipleFileField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.attachments import sniff
from contracts_app.auth.forms import PasswordRules
from contracts_app.auth.models import User
from contracts_app.auth.passwords import MIN_PASSWORD_LENGTH
from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, EmailAddress
from contracts_app.imports.reader import human_size
from contracts_app.metrics.forms import NumberField, not_negative


class InviteForm(BaseForm):
    name = StringField("Contact's name", validators=[InputRequired("Give the contact's name."), Length(max=max_length(User.name))])
    email = StringField(
        "Email", validators=[InputRequired("Give the contact's email address."), EmailAddress()],
        description="They get a one-time link to choose a password.",
    )


class SetPasswordForm(BaseForm):
    password = PasswordField(
        "Choose a password", validators=[InputRequired("Choose a password."), PasswordRules],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not a common password.", render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type it again", validators=[InputRequired("Type the password again.")], render_kw={"autocomplete": "new-password"},
    )


class SubmissionForm(BaseForm):
    """One metric and period on the vendor's contract page, with optional evidence files
    (checked by contracts_app.attachments when the submission is saved)."""

    metric_id = HiddenField()
    period = HiddenField()
    value = NumberField("Value", validators=[InputRequired("Enter the value for this period."), not_negative])
    note = TextAreaField(
        "Note", validators=[Optional(), Length(max=LONG_TEXT)],
        description="Needed when the value is below the off-track threshold: say what happened.",
    )
    evidence = MultipleFileField("Evidence (optional)", render_kw={"accept": sniff.ACCEPT_ATTRIBUTE})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence.description = (
            f"For example the report the value comes from. {sniff.ACCEPTED_TEXT}, at most "
            f"{human_size(current_app.config['MAX_ATTACHMENT_BYTES'])} each."
        )

    @property
    def files(self):
        """The files chosen (a file box left empty sends one nameless part: not a file)."""
        return [file for file in (self.evidence.data or []) if file and file.filename]


class ReturnForm(BaseForm):
    reason = TextAreaField(
        "Reason for returning it",
        validators=[InputRequired("Say why the submission is returned; the vendor sees the reason."), Length(max=LONG_TEXT)],
    )


class ActionForm(BaseForm):
    """A button with nothing but its CSRF token (accept, revoke)."""
