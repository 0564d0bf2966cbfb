from flask_babel import gettext as _
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from contracts_app.dimensions import bp
from contracts_app.dimensions.forms import DimensionForm
from contracts_app.dimensions.models import Dimension
from contracts_app.dimensions.services import create_dimension, list_dimensions, update_dimension
from contracts_app.extensions import db
from contracts_app.forms_common import errors_on
from contracts_app.permissions import can_edit_dimensions, can_view_dimensions, require


@bp.route("/dimensions")
def index():
    require(can_view_dimensions(current_user))
    return render_template("dimensions/index.html", dimensions=list_dimensions())


@bp.route("/dimensions/new", methods=["GET", "POST"])
def new():
    require(can_edit_dimensions(current_user))
    form = DimensionForm()
    if form.validate_on_submit():
        with errors_on(form, "name"):
            dimension = create_dimension(current_user, form.name.data, form.groups.data, form.description.data)
            flash(_("Dimension “%(name)s” created.", name=dimension.name), "success")
            return redirect(url_for("dimensions.index"))
    return render_template("dimensions/form.html", form=form, dimension=None)


@bp.route("/dimensions/<int:dimension_id>/edit", methods=["GET", "POST"])
def edit(dimension_id):
    dimension = db.get_or_404(Dimension, dimension_id)
    require(can_edit_dimensions(current_user))
    # Not obj=dimension: its ``groups`` are rows, the form's are text, one name a line.
    form = DimensionForm(data={
        "name": dimension.name, "description": dimension.description,
        "groups": "\n".join(g.name for g in dimension.groups),
    })
    if form.validate_on_submit():
        with errors_on(form, "name"):
            changed = update_dimension(dimension, current_user, form.name.data, form.groups.data, form.description.data)
            flash(_("Dimension “%(name)s” updated.", name=form.name.data.strip()) if changed else _("Nothing changed."),
                  "success" if changed else "info")
            return redirect(url_for("dimensions.index"))
    return render_template("dimensions/form.html", form=form, dimension=dimension)
