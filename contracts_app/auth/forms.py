from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from contracts_app.forms_common import BaseForm, EmailAddress
from contracts_app.auth.models import ROLES, User
from contracts_app.i18n import language_name
from contracts_app.auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from contracts_app.auth.services import offered_languages_for_users
from contracts_app.db_types import max_length


def PasswordRules(form, field):
    """The project's password rules (auth.passwords), for any form's new-password field."""
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


class LoginForm(BaseForm):
    email = EmailField(_l('Email'), validators=[DataRequired(), Length(max=max_length(User.email))])
    password = PasswordField(_l('Password'), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l('Keep me signed in'))


class UserForm(BaseForm):
    email = EmailField(_l('Email'), validators=[DataRequired(), EmailAddress(), Length(max=max_length(User.email))])
    name = StringField(_l('Name'), validators=[DataRequired(), Length(max=max_length(User.name))])
    role = SelectField(_l('Role'), choices=list(ROLES.items()), validators=[DataRequired()])
    active = BooleanField(_l('Active (may sign in)'), default=True)
    language = SelectField(
        _l("Language"), default="",
        description=_l("Their pages and emails are written in it, where it is offered: vendor contacts have the "
                       "public site's languages, staff the staff languages."),
    )
    password = PasswordField(
        _l('Password'),
        # Spaces are a password the rules refuse, not an empty field.
        validators=[Optional(strip_whitespace=False), PasswordRules],
        description=_l('At least %(MIN_PASSWORD_LENGTH)s characters, not a common password. Leave empty to keep the current password; a new one signs the user out everywhere.', MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH),
    )

    def __init__(self, *args, require_password=False, **kwargs):
        super().__init__(*args, **kwargs)
        if require_password:
            # Optional() would stop validation on an empty password: a new user needs one.
            self.password.validators = [
                InputRequired(_('A new user needs a password.')),
                PasswordRules,
            ]
            self.password.description = _("At least %(MIN_PASSWORD_LENGTH)s characters, not a common password.",
                                          MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH)
        self.language.choices = language_choices(offered_languages_for_users(), blank=True)
        if self.language.data is None:  # the user's None: the city's default, the blank choice
            self.language.data = ""


def language_choices(codes, blank=False):
    """(code, name) for a language select; ``blank`` adds the city's default first."""
    from flask import current_app

    choices = [(code, language_name(code)) for code in codes]
    if blank:
        default = current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"
        choices.insert(0, ("", _("The city's default (%(language)s)", language=language_name(default))))
    return choices


class AccountForm(BaseForm):
    """A person's own settings: the language of their pages and emails."""

    language = SelectField(_l("Language"), description=_l("Your pages and the emails you get are written in it."))

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(codes)


class SingleSignOnForm(BaseForm):
    """The provider's button (a POST, so the CSRF token is checked before leaving for the provider)."""

    remember = BooleanField(_l('Keep me signed in'))
