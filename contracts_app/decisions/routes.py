"""The decision page: a contract's performance summary and the renewal / option decision.

Every staff role reads it; procurement officers, chief data officers and admins decide
(``permissions.can_decide``). The form posts back the token of the summary it showed.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from contracts_app.db_types import utcnow
from contracts_app.decisions import bp, queries, services
from contracts_app.decisions.forms import DecisionForm
from contracts_app.decisions.models import CHOICES, DecisionTask
from contracts_app.decisions.summary import Summary, performance_summary
from contracts_app.extensions import db
from contracts_app.forms_common import errors_on
from contracts_app.metrics import rules
from contracts_app.metrics.status import today_for
from contracts_app.permissions import can_decide, require
from contracts_app.portfolio.models import RATING_FIELDS


@bp.app_template_global()
def contract_decisions(contract):
    """The contract page's options and decision tasks (two statements: the options are loaded
    with the contract's relationship, the tasks with their decisions in one)."""
    return {"options": contract.options, "tasks": queries.tasks_of_contract(contract.id), "choices": CHOICES}


@bp.route("/decisions")
def index():
    """Decision tasks open, and decisions recorded, across the city."""
    today = today_for(utcnow())
    return render_template("decisions/index.html", open_tasks=queries.open_tasks([], today),
                           decided=queries.recent_decisions(), today=today)


@bp.route("/decisions/<int:task_id>", methods=["GET", "POST"])
def decide(task_id):
    now = utcnow()
    task = db.get_or_404(DecisionTask, task_id, options=[
        joinedload(DecisionTask.contract), joinedload(DecisionTask.option), joinedload(DecisionTask.decision),
    ])
    contract = task.contract
    decision = task.decision
    allowed = can_decide(current_user, contract)
    if request.method == "POST":
        require(allowed)
    form = None
    if decision is None and allowed:
        form = DecisionForm().for_options(contract.options)
        if request.method == "GET" and task.option_id:
            form.option_id.data = task.option_id
        if form.validate_on_submit():
            with errors_on(form):
                try:
                    services.record_decision(
                        task, current_user, form.choice.data, form.rationale.data, option_id=form.option_id.data,
                        shown_token=form.summary_token.data, now=now,
                    )
                except services.SummaryChanged as error:
                    # Not a mistake in the form: the page is shown again with the current figures.
                    flash(str(error), "warning")
                else:
                    flash(_("Decision recorded for %(reference)s.", reference=contract.reference), "success")
                    return redirect(url_for("decisions.decide", task_id=task.id))
        elif request.method == "POST" and form.summary_token.errors:
            flash(form.summary_token.errors[0], "error")
    elif request.method == "POST":
        flash(_("A decision is already recorded for this task; nothing was changed."), "warning")
        return redirect(url_for("decisions.decide", task_id=task.id))
    if decision is not None and decision.summary:
        # A decided task shows the figures the decision was made on, not today's.
        summary = Summary.from_figures(decision.summary)
    else:
        summary = performance_summary(contract)
    if form is not None:
        # Always the token of the figures rendered below, also after a refused post.
        form.summary_token.data = summary.token
    return render_template(
        "decisions/decide.html", task=task, contract=contract, decision=decision, form=form, summary=summary,
        today=today_for(now), choices=CHOICES, rating_fields=RATING_FIELDS, status_labels=rules.STATUS_LABELS,
        can_decide=allowed,
    )
