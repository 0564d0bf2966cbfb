from contracts_app.audit import bp


@bp.route("/audit")
def index():
    return "audit"
