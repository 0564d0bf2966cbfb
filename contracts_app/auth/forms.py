from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from contracts_app.forms_common import BaseForm, EmailAddress
from contracts_app.auth.models import ROLES, User
from contracts_app.db_types import max_length

MIN_PASSWORD = 8


class LoginForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=max_length(User.email))])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


class UserForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired(), EmailAddress(), Length(max=max_length(User.email))])
    name = StringField("Name", validators=[DataRequired(), Length(max=max_length(User.name))])
    role = SelectField("Role", choices=list(ROLES.items()), validators=[DataRequired()])
    active = BooleanField("Active (may sign in)", default=True)
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters.")],
        description="Leave empty to keep the current password.",
    )

    def __init__(self, *args, require_password=False, **kwargs):
        super().__init__(*args, **kwargs)
        if require_password:
            # Optional() would stop validation on an empty password: a new user needs one.
            self.password.validators = [
                DataRequired("A new user needs a password."),
                Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters."),
            ]
            self.password.description = ""
