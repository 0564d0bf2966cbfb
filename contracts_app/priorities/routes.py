from contracts_app.priorities import bp


@bp.route("/priorities")
def index():
    return "priorities"
