"""My work: every signed-in role may open it; it shows only the signed-in user's own work
(``permissions.can_view_my_work``)."""
from flask import render_template
from flask_login import current_user

from contracts_app.db_types import utcnow
from contracts_app.permissions import can_view_my_work, require
from contracts_app.work import bp, queries


@bp.route("/work")
def index():
    require(can_view_my_work(current_user))
    return render_template("work/index.html", **queries.work_for(current_user, utcnow()))
