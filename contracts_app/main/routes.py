from flask import redirect, url_for
from flask_login import current_user

from contracts_app.auth.models import CONTRACT_MANAGER, PROCUREMENT_OFFICER
from contracts_app.main import bp

# Roles who work contract by contract land on "My work"; the others (the chief data officer,
# admins, viewers) on the portfolio dashboard.
MY_WORK_HOME_ROLES = (CONTRACT_MANAGER, PROCUREMENT_OFFICER)


@bp.route("/")
def index():
    """Home: "My work" for contract managers and procurement officers; the portfolio for the rest."""
    if current_user.is_authenticated and current_user.has_role(*MY_WORK_HOME_ROLES):
        return redirect(url_for("work.index"))
    return redirect(url_for("portfolio.dashboard"))
