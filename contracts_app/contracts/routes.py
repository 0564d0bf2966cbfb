from contracts_app.contracts import bp


@bp.route("/contracts")
def index():
    return "contracts"


@bp.route("/vendors")
def vendors():
    return "vendors"
