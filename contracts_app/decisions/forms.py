"""The decision form. It validates what it can alone; the service checks the rest (the option
belongs to the contract, the summary shown is the current one)."""
from contracts_app.i18n import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from contracts_app.decisions.models import CHOICES
from contracts_app.decisions.services import MAX_RATIONALE
from contracts_app.forms_common import BaseForm, coerce_id


def _optional_id(value):
    if value in ("", None):
        return None
    return coerce_id(value)


class DecisionForm(BaseForm):
    choice = RadioField(_l("Decision"), choices=list(CHOICES.items()),
                        validators=[DataRequired(message=_l("Pick one of the decisions offered."))])
    option_id = SelectField(_l("Option exercised"), coerce=_optional_id, validators=[Optional()], validate_choice=False,
                            description=_l("With the decision to renew: the contract's option being exercised, if any."))
    rationale = TextAreaField(
        _l("Rationale"),
        validators=[DataRequired(message=_l("Give the rationale for the decision: what in the record led to it.")),
                    Length(max=MAX_RATIONALE)],
        description=_l("What in the performance record led to this decision. Required."),
    )
    # The token of the performance summary this page showed (decisions/summary.py).
    summary_token = HiddenField(validators=[
        DataRequired(message=_l("The performance summary was not sent with the form; reload the page and decide again.")),
        Regexp(r"^[0-9a-f]{64}$", message=_l("The performance summary sent with the form is not valid; reload the page.")),
    ])

    def for_options(self, options):
        self.option_id.choices = [("", _l("— no option —"))] + [(o.id, o.description) for o in options]
        return self
