"""Payment pages: a contract's terms, rules and statements; a statement, its approval,
recompute and revision; its CSV and printable memo; the what-if preview."""
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.errors import ServiceError
from contracts_app.extensions import db
from contracts_app.forms_common import BaseForm, errors_on, parse_decimal
from contracts_app.metrics import rules as metric_rules
from contracts_app.metrics.models import Metric
from contracts_app.metrics.status import today_for
from contracts_app.milestones.models import Milestone
from contracts_app.payments import bp, services
from contracts_app.payments.forms import (
    KIND_FIELDS, LINK_KINDS, TIER_KINDS, EndRuleForm, ReviseForm, RuleForm, TermsForm, WhatIfForm,
)
from contracts_app.payments.inputs import load_contract
from contracts_app.payments.models import (
    AGGREGATIONS, LINE_KINDS, RULE_KINDS, PaymentRule, PaymentStatement, PaymentTerms,
)
from contracts_app.payments.periods import metric_periods_in
from contracts_app.permissions import can_approve_statements, can_edit_payment_terms, can_view_payments, require
from contracts_app.portfolio import exports


@bp.context_processor
def _labels():
    return {"line_kinds": LINE_KINDS, "aggregations": AGGREGATIONS}


def _contract(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_view_payments(current_user, contract))
    return contract


def _terms(contract):
    return db.session.scalar(select(PaymentTerms).where(PaymentTerms.contract_id == contract.id))


def _statement(statement_id):
    statement = db.get_or_404(PaymentStatement, statement_id,
                              options=[selectinload(PaymentStatement.lines)])
    require(can_view_payments(current_user, statement.contract))
    return statement


@bp.route("/contracts/<int:contract_id>/payments")
def contract_payments(contract_id):
    contract = _contract(contract_id)
    rules = db.session.scalars(
        select(PaymentRule).options(selectinload(PaymentRule.metrics))
        .where(PaymentRule.contract_id == contract.id).order_by(PaymentRule.position, PaymentRule.id)
    ).all()
    metric_names = dict(db.session.execute(select(Metric.id, Metric.name).where(Metric.contract_id == contract.id)).all())
    milestone_titles = dict(db.session.execute(
        select(Milestone.id, Milestone.title).where(Milestone.contract_id == contract.id)).all())
    statements = db.session.scalars(
        select(PaymentStatement).where(PaymentStatement.contract_id == contract.id)
        .order_by(PaymentStatement.period_start.desc(), PaymentStatement.revision.desc())
    ).all()
    return render_template(
        "payments/contract.html", contract=contract, terms=_terms(contract), rules=rules, statements=statements,
        metric_names=metric_names, milestone_titles=milestone_titles, rule_kinds=RULE_KINDS,
        aggregations=AGGREGATIONS, today=today_for(utcnow()),
    )


@bp.route("/contracts/<int:contract_id>/payments/terms", methods=["GET", "POST"])
def terms(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_edit_payment_terms(current_user, contract))
    existing = _terms(contract)
    form = TermsForm(obj=existing if request.method == "GET" else None, contract=contract, terms=existing)
    if request.method == "GET" and existing is not None:
        form.reason.data = ""
    if form.validate_on_submit():
        with errors_on(form, "amount_per_period"):
            services.set_terms(contract, current_user, form.values())
            flash(_("Payment terms saved."), "success")
            return redirect(url_for("payments.contract_payments", contract_id=contract.id))
    return render_template("payments/terms_form.html", form=form, contract=contract, terms=existing,
                           needs_reason=services.needs_reason(contract))


def _rule_form(contract, kind, rule=None):
    metrics = db.session.scalars(
        select(Metric).where(Metric.contract_id == contract.id, Metric.payment_linked.is_(True))
        .order_by(Metric.position, Metric.id)
    ).all()
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.contract_id == contract.id, Milestone.payment_linked.is_(True))
        .order_by(Milestone.due_date, Milestone.id)
    ).all()
    form = RuleForm(contract=contract, kind=kind, terms=_terms(contract), metrics=metrics, milestones=milestones,
                    replacing=rule, amends=True if rule is not None else services.adding_is_amendment(contract))
    if rule is not None and request.method == "GET":
        form.fill_from(rule)
    return form


def _render_rule_form(form, contract, kind, rule=None):
    return render_template(
        "payments/rule_form.html", form=form, contract=contract, kind=kind, kind_label=RULE_KINDS[kind], rule=rule,
        fields=KIND_FIELDS[kind], with_metrics=kind in LINK_KINDS, with_tiers=kind in TIER_KINDS,
        needs_reason=services.needs_reason(contract), terms=_terms(contract),
    )


@bp.route("/contracts/<int:contract_id>/payments/rules/new/<kind>", methods=["GET", "POST"])
def new_rule(contract_id, kind):
    contract = db.get_or_404(Contract, contract_id)
    require(can_edit_payment_terms(current_user, contract))
    if kind not in RULE_KINDS:
        abort(404)
    form = _rule_form(contract, kind)
    if form.validate_on_submit():
        try:
            services.add_rule(contract, current_user, kind, form.values())
        except ServiceError as error:
            form.show_error(error)
        else:
            flash(_("Payment rule added."), "success")
            return redirect(url_for("payments.contract_payments", contract_id=contract.id))
    return _render_rule_form(form, contract, kind)


@bp.route("/payments/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id):
    rule = db.get_or_404(PaymentRule, rule_id)
    contract = rule.contract
    require(can_edit_payment_terms(current_user, contract))
    form = _rule_form(contract, rule.kind, rule)
    if form.validate_on_submit():
        try:
            services.change_rule(rule, current_user, form.values())
        except ServiceError as error:
            form.show_error(error)
        else:
            flash(_("Payment rule changed."), "success")
            return redirect(url_for("payments.contract_payments", contract_id=contract.id))
    return _render_rule_form(form, contract, rule.kind, rule)


@bp.route("/payments/rules/<int:rule_id>/end", methods=["GET", "POST"])
def end_rule(rule_id):
    rule = db.get_or_404(PaymentRule, rule_id)
    contract = rule.contract
    require(can_edit_payment_terms(current_user, contract))
    form = EndRuleForm(contract=contract)
    if form.validate_on_submit():
        with errors_on(form, "effective_from"):
            services.end_rule(rule, current_user, form.values())
            flash(_("Payment rule removed.") if not services.needs_reason(contract) else _("Payment rule ended."),
                  "success")
            return redirect(url_for("payments.contract_payments", contract_id=contract.id))
    return render_template("payments/end_rule.html", form=form, rule=rule, contract=contract,
                           needs_reason=services.needs_reason(contract))


@bp.route("/payments/statements/<int:statement_id>")
def statement(statement_id):
    statement = _statement(statement_id)
    contract = statement.contract
    revisions = db.session.scalars(
        select(PaymentStatement).where(PaymentStatement.contract_id == contract.id,
                                       PaymentStatement.period_start == statement.period_start)
        .order_by(PaymentStatement.revision)
    ).all()
    return render_template("payments/statement.html", statement=statement, contract=contract, revisions=revisions,
                           action_form=BaseForm(), can_approve=can_approve_statements(current_user, contract))


@bp.route("/payments/statements/<int:statement_id>/approve", methods=["POST"])
def approve(statement_id):
    statement = db.get_or_404(PaymentStatement, statement_id)
    require(can_approve_statements(current_user, statement.contract))
    form = BaseForm()
    if form.validate_on_submit():
        with errors_on(None):
            services.approve_statement(statement, current_user)
            flash(_("Statement %(number)s approved.", number=statement.title), "success")
    return redirect(url_for("payments.statement", statement_id=statement.id))


@bp.route("/payments/statements/<int:statement_id>/recompute", methods=["POST"])
def recompute(statement_id):
    statement = db.get_or_404(PaymentStatement, statement_id)
    require(can_approve_statements(current_user, statement.contract))
    form = BaseForm()
    if form.validate_on_submit():
        with errors_on(None):
            services.recompute_statement(statement, current_user)
            flash(_("Statement recomputed from the current data."), "success")
    return redirect(url_for("payments.statement", statement_id=statement.id))


@bp.route("/payments/statements/<int:statement_id>/revise", methods=["GET", "POST"])
def revise(statement_id):
    statement = _statement(statement_id)
    require(can_approve_statements(current_user, statement.contract))
    form = ReviseForm()
    if form.validate_on_submit():
        with errors_on(form, "reason"):
            revision = services.revise_statement(statement, current_user, form.reason.data)
            flash(_("Revision %(n)s drafted: review and approve it.", n=revision.revision), "success")
            return redirect(url_for("payments.statement", statement_id=revision.id))
    return render_template("payments/revise.html", form=form, statement=statement, contract=statement.contract)


def _approved(statement):
    if statement.status != "approved":
        abort(404)
    return statement


@bp.route("/payments/statements/<int:statement_id>.csv")
def statement_csv(statement_id):
    statement = _approved(_statement(statement_id))
    contract = statement.contract
    header = ["Contract", "Statement", "Revision", "Billing period", "Period start", "Period end", "Line", "Kind",
              "Amount", "Currency", "Reason", "Approved by", "Approved at"]
    rows = [
        [contract.reference, statement.number, statement.revision, statement.period_label,
         statement.period_start, statement.period_end, line.position + 1, line.kind,
         line.amount, statement.currency, line.reason,
         statement.approved_by.name if statement.approved_by else "",
         statement.approved_at]
        for line in statement.lines
    ]
    rows.append([contract.reference, statement.number, statement.revision, statement.period_label,
                 statement.period_start, statement.period_end, "", "total",
                 statement.total, statement.currency, "Amount payable", "", ""])
    name = f"payment-statement-{statement.number}-r{statement.revision}"
    return Response(
        "".join(exports.csv_lines(header, rows)).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{exports.filename(name, today_for(utcnow()))}"',
                 "Cache-Control": "no-store"},
    )


@bp.route("/payments/statements/<int:statement_id>/memo")
def memo(statement_id):
    statement = _approved(_statement(statement_id))
    return render_template("payments/memo.html", statement=statement, contract=statement.contract,
                           today=today_for(utcnow()))


@bp.route("/contracts/<int:contract_id>/payments/what-if", methods=["GET", "POST"])
def what_if(contract_id):
    """A statement preview for values typed in: computed, shown, never saved."""
    contract = _contract(contract_id)
    data = load_contract(contract)
    periods = data.periods()
    form = WhatIfForm()
    form.period.choices = [(p.start.isoformat(), p.label) for p in periods]
    today = today_for(utcnow())
    chosen = None
    raw = request.values.get("period")
    if raw:
        try:
            chosen = data.period_starting(date.fromisoformat(raw))
        except ValueError:
            chosen = None
        if chosen is None:
            form.period.errors = [_("Choose one of the contract's billing periods.")]
    if chosen is None and not form.period.errors and periods:
        current = [p for p in periods if p.start <= today]
        chosen = current[-1] if current else periods[0]
    rows, preview, problems = [], None, []
    if chosen is not None:
        form.period.data = chosen.start.isoformat()
        values = {}
        for metric in data.metrics.values():
            reporting = metric_periods_in(
                metric_rules.periods(contract.start_date, contract.end_date, metric.cadence), chosen)
            recorded = data.readings.get(metric.id, {})
            typed = {}
            for p in reporting:
                name = f"v-{metric.id}-{p.start.isoformat()}"
                text = request.form.get(name) if request.method == "POST" else None
                error = None
                if text is None:
                    value = recorded.get(p.start)
                    shown = "" if value is None else format(value.normalize(), "f")
                else:
                    shown = text
                    try:
                        value = parse_decimal(text)
                    except ValueError as bad:
                        value, error = None, str(bad)
                        problems.append(error)
                if value is not None:
                    typed[p.start] = value
                rows.append(dict(metric=metric, period=p, label=p.label(metric.cadence), name=name, shown=shown,
                                 error=error, recorded=recorded.get(p.start)))
            values[metric.id] = typed
        if request.method == "POST" and not form.validate_on_submit():
            problems.append(_("The form expired: send it again."))
        if not problems:
            try:
                _data, _period, preview, figures = services.preview_statement(contract, chosen.start, values)
            except ServiceError as error:
                problems.append(str(error))
    return render_template("payments/what_if.html", contract=contract, form=form, rows=rows, preview=preview,
                           period=chosen, problems=problems, has_terms=data.terms is not None)
