"""Forms for metrics, per-period targets and readings. They validate input; services decide."""
from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from decimal import Decimal

from wtforms import BooleanField, FieldList, SelectMultipleField, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from contracts_app import forms_common
from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.formatting import number, plain_number
from contracts_app.digits import ascii_digits
from contracts_app.forms_common import BaseForm, PlainDateField, WholeNumberField, add_problems, strip_nul
from contracts_app.metrics import rules
from contracts_app.metrics.models import CADENCES, DIRECTIONS, INDICATOR_TYPES, REPORTED_BY_MANAGER, REPORTERS, Metric
from contracts_app.metrics.services import MAX_DUE_DAYS, METRIC_FIELDS, NEGATIVE, NOTE_WITHOUT_VALUE, metric_problems


class NumberField(forms_common.NumberField):
    """The shared number field, shown as people type numbers: 18 rather than 18.0000.

    Metric values are Numeric(18, 4): at most 4 decimal places and 14 digits before the point.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", 4)
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return plain_number(self.data)


def not_negative(form, field):
    if field.data is not None and field.data < 0:
        raise ValidationError(NEGATIVE)


class MetricForm(BaseForm):
    name = StringField(
        _l('Name'), validators=[InputRequired(_l('Give the metric a name.')), Length(max=max_length(Metric.name))]
    )
    definition = TextAreaField(
        _l('Definition'), validators=[Optional(), Length(max=LONG_TEXT)],
        description=_l('What is counted and how, so that every reading means the same thing.'),
    )
    unit = StringField(
        _l('Unit'),
        validators=[InputRequired(_l('Give the unit, for example count, percent or days.')), Length(max=max_length(Metric.unit))],
        description=_l('For example: count, percent, days.'),
    )
    direction = SelectField(_l('Direction'), choices=list(DIRECTIONS.items()), validate_choice=False)
    baseline_value = NumberField(_l('Baseline value'), validators=[Optional(), not_negative])
    baseline_date = PlainDateField(_l('Baseline date'), validators=[Optional()], description=_l('Optional: when the baseline was measured.'))
    target_value = NumberField(
        _l('Final target'), validators=[Optional(), not_negative],
        description=_l('Reached by the end of the term (increase, decrease, maintain). Range metrics need none.'),
    )
    target_notes = TextAreaField(
        _l('How the target was set'), validators=[Optional(), Length(max=LONG_TEXT)],
        description=_l('For example: the baseline plus 10%, a peer city\'s result, what the budget buys. Kept with the '
                       'design when the contract is saved as a template.'),
    )
    range_low = NumberField(_l('Range low'), validators=[Optional(), not_negative], description=_l('Range metrics only.'))
    range_high = NumberField(_l('Range high'), validators=[Optional(), not_negative], description=_l('Range metrics only.'))
    tolerance_pct = NumberField(
        _l('Tolerance (%)'), default=Decimal(5), places=2, validators=[Optional(), not_negative],
        description=_l('Maintain metrics only: how far from the target, in percent of it, still counts as on track.'),
    )
    cadence = SelectField(_l('Cadence'), choices=list(CADENCES.items()), default="monthly", validate_choice=False)
    due_days = WholeNumberField(
        _l('Data due (days after period end)'), default=10,
        validators=[InputRequired(_l('Give the number of days after the period ends when data is due.')),
                    NumberRange(min=0, max=MAX_DUE_DAYS, message=_l('Use a whole number of days from 0 to %(MAX_DUE_DAYS)s.', MAX_DUE_DAYS=MAX_DUE_DAYS))],
    )
    on_track_pct = NumberField(
        _l('On-track threshold (%)'), default=Decimal(100), places=2,
        validators=[InputRequired(_l('Give the on-track threshold in percent.')), not_negative],
        description=_l('Attainment at or above this is on track.'),
    )
    at_risk_pct = NumberField(
        _l('At-risk threshold (%)'), default=Decimal(90), places=2,
        validators=[InputRequired(_l('Give the at-risk threshold in percent.')), not_negative],
        description=_l('At or above this (and below on track) is at risk; below it is off track.'),
    )
    data_source = StringField(_l('Data source'), validators=[Optional(), Length(max=max_length(Metric.data_source))])
    indicator_type = SelectField(_l('Leading or lagging'), choices=list(INDICATOR_TYPES.items()), default="lagging", validate_choice=False)
    payment_linked = BooleanField(_l('Payment-linked'), description=_l('Payments depend on this metric.'))
    reported_by = SelectField(
        _l('Reported by'), choices=list(REPORTERS.items()), default=REPORTED_BY_MANAGER, validate_choice=False,
        description=_l("A vendor-reported value waits in the contract manager's verification queue before it becomes a reading."),
    )

    is_public = BooleanField(
        _l('Public'), default=True,
        description=_l('Shown on the public site and in open data when the contract is public.'),
    )

    is_count = BooleanField(
        _l('A count'),
        description=_l('People, visits, meals: the values per group add up to the total. Leave unticked for a rate, '
                       'an average or a score, whose groups are independent of the total.'),
    )
    dimension_ids = SelectMultipleField(
        _l('Broken down by'), coerce=int, validate_choice=True,
        description=_l('The dimensions whose groups each reading may report (optional). The city defines them on the Dimensions page.'),
    )

    def set_dimension_choices(self, dimensions, metric=None):
        self.dimension_ids.choices = [(d.id, d.name) for d in dimensions]
        if metric is not None and not self.is_submitted():
            self.dimension_ids.data = [d.id for d in metric.dimensions]

    def values(self):
        """The submitted values as the services expect them."""
        return {
            **{name: getattr(self, name).data for name in METRIC_FIELDS},
            "reported_by": self.reported_by.data, "is_public": self.is_public.data,
            "is_count": self.is_count.data, "dimension_ids": self.dimension_ids.data or [],
            "target_notes": self.target_notes.data or "",
        }

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Cross-field rules (target against direction, threshold order) live in the service so
        # that every caller gets them; only add a message where the field has none yet.
        return add_problems(self, metric_problems(self.values())) and valid


def targets_form(metric, periods, linear, prefill, formdata=None):
    """A form with one optional number per period, named ``t_YYYYMMDD``.

    ``periods`` are (Period, label) pairs; ``linear`` maps a period start to its linear target
    (shown as the placeholder, to the ``metric``'s precision), ``prefill`` maps a period start to its explicit target.
    """
    class TargetsForm(BaseForm):
        pass

    data = {}
    for period, label in periods:
        name = target_field_name(period.start)
        default = linear.get(period.start)
        hint = _('Blank uses the linear target %(default)s.', default=number(rules.shown_target(default, metric))) if default is not None else _('Blank uses the linear target.')
        setattr(
            TargetsForm, name,
            NumberField(
                label, validators=[Optional(), not_negative], description=hint,
                render_kw={"placeholder": number(rules.shown_target(default, metric)) if default is not None else "", "inputmode": "decimal"},
            ),
        )
        if period.start in prefill:
            data[name] = prefill[period.start]
    if formdata is not None:
        return TargetsForm(formdata=formdata)
    return TargetsForm(data=data)


def target_field_name(day):
    return "t_" + day.strftime("%Y%m%d")


class ReadingForm(BaseForm):
    # validate_choice=False: a crafted period gets the service's clear message, not "Not a valid choice".
    period = SelectField(_l('Reporting period'), validate_choice=False, validators=[InputRequired(_l('Choose the reporting period.'))])
    value = NumberField(_l('Value'), validators=[InputRequired(_l('Enter the value for this period.')), not_negative])
    # Checked by the service (it knows which period is in progress); named by IN_PROGRESS_FIELD.
    confirm_in_progress = BooleanField(
        _l('Record this value anyway'),
        description=_l('For a period marked “in progress” only: it has not ended, so its value may still change. Tick to record it now.'),
    )
    note = TextAreaField(_l('Note'), validators=[Optional(), Length(max=LONG_TEXT)], description=_l('Anything a reader should know about this value.'))


class PeriodReadingRowForm(Form):
    """One metric's row on the contract-period form (no CSRF of its own: the outer form has it)."""

    metric_id = HiddenField()
    value = NumberField(_l('Value'), validators=[Optional(), not_negative])
    note = TextAreaField(_l('Note'), filters=[strip_nul], validators=[Optional(), Length(max=LONG_TEXT)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # The service refuses it too; said here so that it shows beside the other rows' errors.
        if (self.note.data or "").strip() and self.value.data is None and not self.value.errors:
            self.value.errors = [*self.value.errors, NOTE_WITHOUT_VALUE]
            return False
        return valid


class PeriodReadingsForm(BaseForm):
    """Every metric of a contract due for one period: fields readings-<i>-value and -note."""

    readings = FieldList(FormField(PeriodReadingRowForm))


def seen_version(form, field):
    if (field.data or "").strip() and not ascii_digits(field.data.strip()):
        raise ValidationError(_('This form is out of date or damaged: reload the page and enter the correction again.'))


class CorrectionForm(BaseForm):
    # The reading's version when the form was rendered: a correction of a reading that someone
    # else corrected since is refused (409) instead of silently replacing their value.
    version = HiddenField(validators=[seen_version])
    value = NumberField(_l('Corrected value'), validators=[InputRequired(_l('Enter the corrected value.')), not_negative])
    note = TextAreaField(
        _l('Reason for the correction'),
        validators=[InputRequired(_l('Say why the value is being corrected.')), Length(max=LONG_TEXT)],
        description=_l('Kept with the reading; the earlier value and note move to its history.'),
    )

    def seen_version(self):
        """The version the form was rendered with, or None (a form posted without one)."""
        text = (self.version.data or "").strip()
        return int(text) if ascii_digits(text) else None
