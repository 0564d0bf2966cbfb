from flask import redirect, url_for

from contracts_app.main import bp


@bp.route("/")
def index():
    """Home: the contract register (the portfolio dashboard will take this place for the cdo)."""
    return redirect(url_for("contracts.index"))
