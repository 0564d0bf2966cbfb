"""Forms for vendor reporting. They validate input; the services decide."""
from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from flask import current_app
from wtforms import HiddenField, MultipleFileField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.attachments import sniff
from contracts_app.auth.forms import PasswordRules, language_choices
from contracts_app.i18n import default_language
from contracts_app.auth.models import User
from contracts_app.auth.passwords import MIN_PASSWORD_LENGTH
from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.forms_common import BaseForm, EmailAddress
from contracts_app.imports.reader import human_size
from contracts_app.metrics.forms import NumberField, not_negative


class InviteForm(BaseForm):
    name = StringField(_l("Contact's name"), validators=[InputRequired(_l("Give the contact's name.")), Length(max=max_length(User.name))])
    email = StringField(
        _l('Email'), validators=[InputRequired(_l("Give the contact's email address.")), EmailAddress()],
        description=_l('They get a one-time link to choose a password.'),
    )
    language = SelectField(
        _l("Language"),
        description=_l("Their invitation, their pages and the emails they get are written in it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = current_app.config["PUBLIC_LANGUAGES"]
        self.language.choices = language_choices(codes)
        if self.language.data is None:
            self.language.data = default_language(codes)


class SetPasswordForm(BaseForm):
    password = PasswordField(
        _l('Choose a password'), validators=[InputRequired(_l('Choose a password.')), PasswordRules],
        description=_l('At least %(MIN_PASSWORD_LENGTH)s characters, not a common password.', MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH), render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l('Type it again'), validators=[InputRequired(_l('Type the password again.'))], render_kw={"autocomplete": "new-password"},
    )


class SubmissionForm(BaseForm):
    """One metric and period on the vendor's contract page, with optional evidence files
    (checked by contracts_app.attachments when the submission is saved)."""

    metric_id = HiddenField()
    period = HiddenField()
    value = NumberField(_l('Value'), validators=[InputRequired(_l('Enter the value for this period.')), not_negative])
    note = TextAreaField(
        _l('Note'), validators=[Optional(), Length(max=LONG_TEXT)],
        description=_l('Needed when the value is below the off-track threshold: say what happened.'),
    )
    evidence = MultipleFileField(_l('Evidence (optional)'), render_kw={"accept": sniff.ACCEPT_ATTRIBUTE})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence.description = _(
            "For example the report the value comes from. %(ACCEPTED_TEXT)s, at most %(size)s each.",
            ACCEPTED_TEXT=sniff.ACCEPTED_TEXT, size=human_size(current_app.config["MAX_ATTACHMENT_BYTES"]),
        )

    @property
    def files(self):
        """The files chosen (a file box left empty sends one nameless part: not a file)."""
        return [file for file in (self.evidence.data or []) if file and file.filename]


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l('Reason for returning it'),
        validators=[InputRequired(_l('Say why the submission is returned; the vendor sees the reason.')), Length(max=LONG_TEXT)],
    )


class ActionForm(BaseForm):
    """A button with nothing but its CSRF token (accept, revoke)."""
