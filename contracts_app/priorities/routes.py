from flask_babel import gettext as _
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from contracts_app.extensions import db
from contracts_app.forms_common import errors_on
from contracts_app.permissions import can_edit_priorities, require
from contracts_app.priorities import bp
from contracts_app.priorities.forms import NO_OWNER, PriorityForm
from contracts_app.priorities.models import Priority
from contracts_app.priorities.services import (
    active_owner_choices,
    create_priority,
    list_priorities,
    update_priority,
)


def _get_priority(priority_id):
    return db.get_or_404(Priority, priority_id)




@bp.route("/priorities")
def index():
    return render_template("priorities/index.html", rows=list_priorities())


@bp.route("/priorities/new", methods=["GET", "POST"])
def new():
    require(can_edit_priorities(current_user))
    form = PriorityForm()
    form.set_owner_choices(active_owner_choices())
    if form.validate_on_submit():
        with errors_on(form, "name"):
            priority = create_priority(
                current_user, form.name.data, form.outcome.data, form.owner_id.data, form.target_year.data
            )
            flash(_('Priority “%(name)s” created.', name=priority.name), "success")
            return redirect(url_for("portfolio.priority", priority_id=priority.id))
    return render_template("priorities/form.html", form=form, priority=None)


# A priority's own page is portfolio.priority (/priorities/<id>): it shows the portfolio's figures
# for the priority beside its outcome and owner.


@bp.route("/priorities/<int:priority_id>/edit", methods=["GET", "POST"])
def edit(priority_id):
    priority = _get_priority(priority_id)
    require(can_edit_priorities(current_user))
    form = PriorityForm(obj=priority)
    form.set_owner_choices(active_owner_choices(), current_owner=priority.owner)
    if not form.is_submitted():
        form.owner_id.data = priority.owner_id or NO_OWNER
    if form.validate_on_submit():
        with errors_on(form, "name"):
            changed = update_priority(
                priority, current_user, form.name.data, form.outcome.data, form.owner_id.data, form.target_year.data
            )
            flash(_('Priority “%(name)s” updated.', name=priority.name) if changed else _('Nothing changed.'), "success" if changed else "info")
            return redirect(url_for("portfolio.priority", priority_id=priority.id))
    return render_template("priorities/form.html", form=form, priority=priority)
