"""The closeout evaluation form: four 1–5 ratings, the narrative, the vendor's comment and the
date. The service checks the same rules again (``services._clean``) for callers without a form."""
from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from contracts_app.forms_common import BaseForm, PlainDateField
from contracts_app.portfolio.models import RATING_FIELDS
from contracts_app.portfolio.services import MAX_COMMENT, MAX_NARRATIVE, RATING_MESSAGE, RATINGS


def _rating(form, field):
    if field.data not in RATINGS:
        raise ValidationError(RATING_MESSAGE)


def _rating_field(label):
    return SelectField(
        label, choices=[("", _('Choose a rating…')), *RATINGS.items()], validate_choice=False,
        validators=[InputRequired(RATING_MESSAGE), _rating],
    )


class EvaluationForm(BaseForm):
    quality = _rating_field(RATING_FIELDS["quality"])
    schedule = _rating_field(RATING_FIELDS["schedule"])
    cost_control = _rating_field(RATING_FIELDS["cost_control"])
    management = _rating_field(RATING_FIELDS["management"])
    narrative = TextAreaField(
        _l('Narrative'),
        validators=[DataRequired(_l('Describe how the vendor performed: what worked, what did not.')), Length(max=MAX_NARRATIVE)],
        description=_l('What worked and what did not, with the evidence; read at renewal and when similar work is bought.'),
    )
    vendor_comment = TextAreaField(
        _l("Vendor's comment"), validators=[Optional(), Length(max=MAX_COMMENT)],
        description=_l("Optional: the vendor's response to this evaluation."),
    )
    evaluated_on = PlainDateField(_l('Evaluated on'), validators=[InputRequired(_l('Give the date of the evaluation.'))])

    def values(self):
        values = {name: self[name].data for name in RATING_FIELDS}
        values.update(narrative=self.narrative.data, vendor_comment=self.vendor_comment.data,
                      evaluated_on=self.evaluated_on.data)
        return values

    @classmethod
    def for_evaluation(cls, evaluation, today, formdata=None):
        """The form, prefilled from an existing evaluation (or dated today for a new one)."""
        if formdata is not None:
            return cls(formdata=formdata)
        if evaluation is None:
            return cls(formdata=None, data={"evaluated_on": today})
        data = {name: str(getattr(evaluation, name)) for name in RATING_FIELDS}
        data.update(narrative=evaluation.narrative, vendor_comment=evaluation.vendor_comment,
                    evaluated_on=evaluation.evaluated_on)
        return cls(formdata=None, data=data)
