from contracts_app.i18n import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.dimensions.models import Dimension
from contracts_app.forms_common import BaseForm


class DimensionForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the dimension a name, for example “Council district”.")),
                    Length(max=max_length(Dimension.name))],
        description=_l("How results are broken down, for example “Council district” or “Age band”."),
    )
    groups = TextAreaField(
        _l("Groups"),
        validators=[DataRequired(message=_l("List at least two groups, one a line (for example District 1, District 2).")),
                    Length(max=LONG_TEXT)],
        description=_l("One group a line, in the order tables show them. A group with values recorded cannot be removed."),
        render_kw={"rows": 10},
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=LONG_TEXT)],
        description=_l("Where the groups come from (for example the 2022 council district map); optional."),
    )
