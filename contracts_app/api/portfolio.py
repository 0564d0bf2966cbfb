"""The portfolio roll-up (what the CDO's dashboard shows), from portfolio.queries."""
from contracts_app.api.base import ApiBlueprint
from contracts_app.api.schemas import PortfolioArgs, PortfolioSchema
from contracts_app.db_types import utcnow
from contracts_app.metrics.status import today_for
from contracts_app.portfolio import queries

bp = ApiBlueprint("api_portfolio", __name__, tag="portfolio", description="Roll-ups of the strategic portfolio.")


@bp.route("/portfolio")
@bp.arguments(PortfolioArgs, location="query")
@bp.response(200, PortfolioSchema)
def portfolio(args):
    """Health of the strategic portfolio, in total and per priority.

    The strategic portfolio is the active, unarchived contracts; filtered like the dashboard.
    Also the open flags by severity.
    """
    filters = queries.PortfolioFilters(
        department=args.get("department"), payment_structure=args.get("payment_structure"), vendor_id=args.get("vendor"),
        ending_within=int(args["ending_within"]) if args.get("ending_within") else None,
    )
    if args.get("period"):
        filters.period = args["period"]
        filters.period_label, filters.period_start, filters.period_end = queries.parse_period(args["period"])
    conditions = filters.conditions(today_for(utcnow()))
    return {
        "totals": queries.health_counts(conditions),
        "priorities": queries.priority_rollups(conditions),
        "open_flags": queries.open_flag_counts(conditions),
    }
