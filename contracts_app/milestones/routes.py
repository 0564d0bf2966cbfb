"""Milestone pages: add and edit. The contract page lists them (templates/milestones/_contract_milestones.html)."""
from flask_babel import gettext as _
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from contracts_app.contracts.models import Contract

from contracts_app.milestones.models import Milestone
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import today_for
from contracts_app.milestones import bp
from contracts_app.milestones.forms import MilestoneForm
from contracts_app.milestones.services import create_milestone, update_milestone
from contracts_app.permissions import can_edit_milestones, require
from contracts_app.forms_common import errors_on




@bp.route("/contracts/<int:contract_id>/milestones/new", methods=["GET", "POST"])
def new(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_edit_milestones(current_user, contract))
    now = utcnow()
    form = MilestoneForm(today=today_for(now))
    if form.validate_on_submit():
        with errors_on(form, "title"):
            milestone = create_milestone(contract, current_user, form.values(), now=now)
            flash(_('Milestone %(title)s added.', title=milestone.title), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="milestones"))
    return render_template("milestones/form.html", form=form, contract=contract, milestone=None)


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
def edit(milestone_id):
    milestone = db.get_or_404(Milestone, milestone_id)
    contract = milestone.contract
    require(can_edit_milestones(current_user, contract))
    now = utcnow()
    form = MilestoneForm(obj=milestone, today=today_for(now))
    if form.validate_on_submit():
        with errors_on(form, "title"):
            update_milestone(milestone, current_user, form.values(), now=now)
            flash(_('Milestone %(title)s updated.', title=milestone.title), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="milestones"))
    return render_template("milestones/form.html", form=form, contract=contract, milestone=milestone)
