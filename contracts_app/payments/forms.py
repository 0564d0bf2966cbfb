"""Payment forms: terms, a rule (one form, its fields by kind), ending a rule, revising a
statement, and the what-if values. Cross-field rules live in the services."""
from contracts_app.i18n import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from contracts_app.db_types import LONG_TEXT
from contracts_app.forms_common import BaseForm, NumberField, PlainDateField, WholeNumberField, add_problems, coerce_id
from contracts_app.payments.models import (
    AGGREGATIONS, BILLING_PERIODS, GRACE, IMPROVEMENT, INCENTIVE, MILESTONE, OUTCOME, PENALTY, WITHHOLD,
)
from contracts_app.payments.services import MAX_TIERS, needs_reason, rule_problems, terms_problems

MONEY_MAX = 999999999999
AMENDMENT_FIELDS = ("amended_on", "amendment_approver_id")


def amendment_fields(form, contract):
    """Once the contract is under way a change of its payment terms or rules is an amendment:
    the form asks for its date (today by default) and who approved it; on a draft it does not
    (the fields are removed)."""
    if contract is None or not needs_reason(contract):
        for name in AMENDMENT_FIELDS:
            delattr(form, name)
        return
    from contracts_app.amendments.services import approver_choices

    form.amendment_approver_id.choices = [(0, _l("Choose who approved it"))] + [
        (user.id, user.name) for user in approver_choices()]
    form.amended_on.flags.required = form.amendment_approver_id.flags.required = True
    if form.amended_on.data is None and not form.is_submitted():
        from contracts_app.db_types import utcnow
        from contracts_app.metrics.status import today_for

        form.amended_on.data = today_for(utcnow())


def amendment_values(form):
    """The amendment's date and approver from ``form`` (nothing on a draft contract)."""
    if getattr(form, "amended_on", None) is None:  # removed: a draft contract
        return {}
    return {"amended_on": form.amended_on.data, "amendment_approver_id": form.amendment_approver_id.data or None}


class AmendmentFieldsMixin:
    """The amendment's date and approver (see ``amendment_fields``)."""

    amended_on = PlainDateField(_l("Amendment date"), validators=[Optional()],
                                description=_l("When the change was agreed with the vendor."))
    amendment_approver_id = SelectField(_l("Approved by"), coerce=coerce_id, validate_choice=False,
                                        description=_l("A procurement officer or admin who approved the change."))


class TermsForm(AmendmentFieldsMixin, BaseForm):
    billing_period = SelectField(_l("Billing period"), choices=list(BILLING_PERIODS.items()), validate_choice=False,
                                 description=_l("How often the vendor is paid; per milestone: a period ends at each "
                                                "payment-linked milestone's due date."))
    amount_per_period = NumberField(_l("Scheduled amount per period"), places=2, max_abs=MONEY_MAX,
                                    validators=[InputRequired(_l("Give the scheduled amount per billing period."))])
    reason = TextAreaField(_l("Reason for the change"), validators=[Optional(), Length(max=LONG_TEXT)],
                           description=_l("Required once the contract is under way."))

    def __init__(self, *args, contract=None, terms=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract, self.terms = contract, terms
        # A first setting of the terms is no change to amend; a change of them once under way is.
        amendment_fields(self, contract if terms is not None else None)

    def values(self):
        return {"billing_period": self.billing_period.data, "amount_per_period": self.amount_per_period.data,
                "reason": self.reason.data, **amendment_values(self)}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not valid:
            return False
        return add_problems(self, terms_problems(self.contract, self.values(), self.terms))


class LinkForm(Form):
    metric_id = HiddenField()
    include = BooleanField(_l("Tied to this rule"))
    weight = NumberField(_l("Weight (%)"), places=4, max_abs=100000, validators=[Optional()])
    aggregation = SelectField(_l("Counts for a billing period as"), choices=list(AGGREGATIONS.items()),
                              validate_choice=False, default="sum")


class TierForm(Form):
    threshold = NumberField(_l("Attainment threshold (%)"), places=4, max_abs=100000, validators=[Optional()])
    amount = NumberField(_l("Amount"), places=2, max_abs=MONEY_MAX, validators=[Optional()])
    percent = NumberField(_l("or % of the scheduled payment"), places=4, max_abs=100000, validators=[Optional()])


# Which fields each kind of rule shows (besides the metric rows, the tiers, the date and reason).
KIND_FIELDS = {
    WITHHOLD: ("percent", "at_risk_release_pct", "missing_releases"),
    PENALTY: ("cap_per_period", "cap_per_contract", "missing_penalised"),
    INCENTIVE: ("cap_per_contract",),
    OUTCOME: ("price_per_unit", "floor", "minimum", "cap_total"),
    MILESTONE: ("milestone_id", "amount", "partial_share_pct"),
    GRACE: ("grace_periods",),
    IMPROVEMENT: ("release_pct", "min_points"),
}
TIER_KINDS = (PENALTY, INCENTIVE)
LINK_KINDS = (WITHHOLD, PENALTY, INCENTIVE, OUTCOME)


def _pct(label, description=None):
    return NumberField(label, places=4, max_abs=100000, validators=[Optional()], description=description)


def _money(label, description=None):
    return NumberField(label, places=2, max_abs=MONEY_MAX, validators=[Optional()], description=description)


class RuleForm(AmendmentFieldsMixin, BaseForm):
    percent = _pct(_l("Share of each period's payment withheld (%)"))
    at_risk_release_pct = _pct(_l("Share of a metric's part released when at risk (%)"),
                               _l("Blank or 0: nothing is released for at risk."))
    missing_releases = BooleanField(_l("A missing reading releases its part"),
                                    description=_l("Unticked: a missing reading keeps its part withheld."))
    missing_penalised = BooleanField(_l("A missing reading takes the deepest tier"))
    cap_per_period = _money(_l("Cap per period"), _l("Blank: no cap."))
    cap_per_contract = _money(_l("Cap over the contract"), _l("Blank: no cap."))
    price_per_unit = _money(_l("Price per unit of outcome"))
    floor = NumberField(_l("Floor (units above it are paid)"), places=4, validators=[Optional()])
    minimum = NumberField(_l("Minimum (below it nothing is paid)"), places=4, validators=[Optional()],
                          description=_l("Blank: the floor."))
    cap_total = _money(_l("Maximum total over the contract"), _l("Blank: no cap."))
    milestone_id = SelectField(_l("Milestone"), coerce=coerce_id, validate_choice=False)
    amount = _money(_l("Amount when met"))
    partial_share_pct = _pct(_l("Share paid when partially met (%)"))
    grace_periods = WholeNumberField(_l("Billing periods exempt from the start"), validators=[Optional()])
    release_pct = _pct(_l("Share of a metric's part released (%)"))
    min_points = _pct(_l("Improvement needed (points of attainment)"))
    metrics = FieldList(FormField(LinkForm), min_entries=0)
    tiers = FieldList(FormField(TierForm), min_entries=MAX_TIERS, max_entries=MAX_TIERS)
    effective_from = PlainDateField(_l("Applies from"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args, contract=None, kind=None, terms=None, metrics=(), milestones=(), replacing=None,
                 amends=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract, self.kind, self.terms, self.replacing = contract, kind, terms, replacing
        self.section_errors = {}
        self.milestone_id.choices = [(0, _l("Choose a milestone"))] + [(m.id, m.title) for m in milestones]
        # One row per payment-linked metric, in the contract's order, whatever was posted.
        posted = {entry.form.metric_id.data: entry for entry in self.metrics.entries}
        self.metric_rows = []
        while self.metrics.entries:
            self.metrics.pop_entry()
        for metric in metrics:
            entry = self.metrics.append_entry()
            old = posted.get(str(metric.id))
            if old is not None:
                entry.form.include.data = old.form.include.data
                entry.form.weight.data = old.form.weight.data
                entry.form.weight.process_errors = list(old.form.weight.process_errors)
                entry.form.aggregation.data = old.form.aggregation.data
            entry.form.metric_id.data = str(metric.id)
            self.metric_rows.append((metric, entry.form))
        self.effective_from.flags.required = contract is not None and needs_reason(contract)
        self.reason.flags.required = self.effective_from.flags.required
        # A change or end of a rule once under way is an amendment; an addition when rules exist.
        amendment_fields(self, contract if (replacing is not None if amends is None else amends) else None)

    def fill_from(self, rule):
        """Show an existing rule's values (a GET of the edit page)."""
        for name in KIND_FIELDS.get(rule.kind, ()):
            getattr(self, name).data = getattr(rule, name)
        links = {link.metric_id: link for link in rule.metrics}
        for metric, row in self.metric_rows:
            link = links.get(metric.id)
            row.include.data = link is not None
            if link is not None:
                row.weight.data = link.weight
                row.aggregation.data = link.aggregation
        for entry, tier in zip(self.tiers.entries, rule.tiers or []):
            from decimal import Decimal

            entry.form.threshold.data = Decimal(tier["threshold"])
            entry.form.amount.data = Decimal(tier["amount"]) if "amount" in tier else None
            entry.form.percent.data = Decimal(tier["percent"]) if "percent" in tier else None
        if self.contract is not None and not needs_reason(self.contract):
            self.effective_from.data = rule.effective_from
            self.reason.data = rule.reason

    def values(self):
        values = {name: getattr(self, name).data for name in KIND_FIELDS.get(self.kind, ())}
        if "milestone_id" in values and not values["milestone_id"]:
            values["milestone_id"] = None
        values["metrics"] = [
            {"metric_id": metric.id, "weight": row.weight.data, "aggregation": row.aggregation.data}
            for metric, row in self.metric_rows if row.include.data
        ] if self.kind in LINK_KINDS else []
        values["tiers"] = [
            {"threshold": e.form.threshold.data, "amount": e.form.amount.data, "percent": e.form.percent.data}
            for e in self.tiers.entries
            if any(v is not None for v in (e.form.threshold.data, e.form.amount.data, e.form.percent.data))
        ] if self.kind in TIER_KINDS else []
        values["effective_from"] = self.effective_from.data
        values["reason"] = self.reason.data
        values.update(amendment_values(self))
        return values

    def has_number_errors(self, section):
        entries = self.metrics.entries if section == "metrics" else self.tiers.entries
        return any(field.errors for entry in entries for field in entry.form)

    def show_error(self, error):
        """A service error: on its field, its section (metrics, tiers) or the form."""
        name = getattr(error, "field", None)
        if name in ("metrics", "tiers"):
            self.section_errors.setdefault(name, str(error))
        elif name == "amendment_reason" and hasattr(self, "reason"):
            self.reason.errors = [*self.reason.errors, str(error)]
        elif name and hasattr(self, name) and name in KIND_FIELDS.get(self.kind, ()) + (
                "effective_from", "reason", *AMENDMENT_FIELDS):
            getattr(self, name).errors = [*getattr(self, name).errors, str(error)]
        else:
            self.form_errors.append(str(error))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Only the fields this kind shows count (others are not on the page).
        shown = set(KIND_FIELDS.get(self.kind, ())) | {"effective_from", "reason", "csrf_token", *AMENDMENT_FIELDS}
        if self.kind in LINK_KINDS:
            shown.add("metrics")
        if self.kind in TIER_KINDS:
            shown.add("tiers")
        valid = not any(field.errors for name, field in self._fields.items() if name in shown
                        and (name not in ("metrics", "tiers") or self.has_number_errors(name)))
        if not valid:
            return False
        problems = rule_problems(self.contract, self.kind, self.values(), self.terms, self.replacing)
        for name in ("metrics", "tiers", "kind"):
            if name in problems:
                self.section_errors[name if name != "kind" else "form"] = problems.pop(name)
        if self.section_errors.get("form"):
            self.form_errors.append(self.section_errors.pop("form"))
        return add_problems(self, problems) and not self.section_errors and not self.form_errors

    @property
    def errors(self):
        errors = dict(super().errors)
        errors.update(self.section_errors)
        return errors


class EndRuleForm(AmendmentFieldsMixin, BaseForm):
    effective_from = PlainDateField(_l("No longer applies from"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        amendment_fields(self, contract)

    def values(self):
        return {"effective_from": self.effective_from.data, "reason": self.reason.data, **amendment_values(self)}


class ReviseForm(BaseForm):
    reason = TextAreaField(_l("Why the approved statement is corrected"),
                           validators=[InputRequired(_l("Say why the approved statement is corrected.")),
                                       Length(max=LONG_TEXT)])


class WhatIfForm(BaseForm):
    period = SelectField(_l("Billing period"), validate_choice=False)
