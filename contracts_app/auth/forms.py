from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from contracts_app.auth.models import ROLES

MIN_PASSWORD = 8


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=255)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=list(ROLES.items()), validators=[DataRequired()])
    active = BooleanField("Active (may sign in)", default=True)
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters.")],
        description="Leave empty to keep the current password.",
    )

    def __init__(self, *args, require_password=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.require_password = require_password

    def validate_password(self, field):
        if self.require_password and not field.data:
            raise ValidationError("A new user needs a password.")
