from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from contracts_app.forms_common import BaseForm
from contracts_app.i18n import lazy_gettext as _l


class SaveTemplateForm(BaseForm):
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=200)])
    kind_of_service = StringField(_l("Kind of service"), validators=[DataRequired(), Length(max=120)],
                                  description=_l("For example street outreach, workforce training, street cleaning."))
    note = TextAreaField(_l("What made it work"), validators=[Length(max=20000)])


class ImportTemplateForm(BaseForm):
    file = FileField(_l("Template file (JSON)"))
    document = HiddenField()
