from flask import redirect, url_for
from flask_login import current_user

from contracts_app.auth.models import ADMIN, CDO, VIEWER
from contracts_app.main import bp

# Roles whose home page is the portfolio dashboard; the others (procurement officers and
# contract managers, who work contract by contract) land on the register.
DASHBOARD_HOME_ROLES = (CDO, VIEWER, ADMIN)


@bp.route("/")
def index():
    """Home: the portfolio dashboard for the cdo, viewers and admins; the register for the rest."""
    if current_user.is_authenticated and current_user.has_role(*DASHBOARD_HOME_ROLES):
        return redirect(url_for("portfolio.dashboard"))
    return redirect(url_for("contracts.index"))
