"""Portfolio dashboard (the chief data officer's home page) and the priority page.

Read-only pages open to every signed-in role. Every figure comes from a fixed number of SQL
roll-ups in ``queries`` (stored health, flags, check-ins, monthly snapshots), so the number of
statements does not grow with the number of contracts.
"""
from math import ceil

from flask import flash, render_template, request, url_for

from contracts_app.contracts.models import PAYMENT_STRUCTURES
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import FLAG_KINDS, SEVERITIES, SEVERITY_ORDER
from contracts_app.metrics.status import today_for
from contracts_app.portfolio import bp, charts, queries
from contracts_app.priorities.models import Priority

PRIORITY_PAGE_SIZE = 50


def scorecard_url(contract_id):
    """The contract's scorecard when that page exists, else its register page."""
    from flask import current_app

    if "portfolio.scorecard" in current_app.view_functions:
        return url_for("portfolio.scorecard", contract_id=contract_id)
    return url_for("contracts.detail", contract_id=contract_id)


@bp.app_template_global("portfolio_contract_url")
def _portfolio_contract_url(contract_id):
    return scorecard_url(contract_id)


@bp.route("/portfolio")
def dashboard():
    """Totals, a card per priority, contracts needing attention and recent activity."""
    today = today_for(utcnow())
    departments = queries.department_options()
    filters = queries.PortfolioFilters.from_args(request.args, set(departments))
    if filters.problems:
        flash(f"Ignored filter values that were not valid: {', '.join(filters.problems)}.", "warning")
    conditions = filters.conditions(today)

    totals = queries.health_counts(conditions)
    cards = queries.priority_rollups(conditions)
    for card in cards:
        card["bar"] = charts.stacked_bar(
            charts.health_segments(card["counts"], queries.HEALTH_LABELS), width=260, height=14,
            title=f"Health of the contracts serving {card['name']}",
        )
    attention = queries.contracts_needing_attention(conditions, today)
    years, months = queries.period_choices(today)
    return render_template(
        "portfolio/dashboard.html",
        today=today,
        filters=filters,
        departments=departments,
        payment_structures=PAYMENT_STRUCTURES,
        period_years=years,
        period_months=months,
        ending_choices=queries.ENDING_WITHIN_CHOICES,
        totals=totals,
        health_order=queries.HEALTH_ORDER,
        health_labels=queries.HEALTH_LABELS,
        health_bar=charts.stacked_bar(
            charts.health_segments(totals["counts"], queries.HEALTH_LABELS), width=640, height=28,
            title="Health of the strategic contracts",
        ),
        cards=cards,
        flag_counts=attention.flag_counts,
        severities=SEVERITIES,
        severity_order=SEVERITY_ORDER,
        attention=attention.rows,
        attention_total=attention.total,
        lapse_days=queries.CHECKIN_LAPSE_DAYS,
        recent_checkins=queries.recent_checkins(conditions),
        resolved_flags=queries.recently_resolved_flags(conditions),
        flag_kinds=FLAG_KINDS,
    )


class _Page:
    """Just enough of Flask-SQLAlchemy's Pagination for the _macros.pagination macro."""

    def __init__(self, page, per_page, total):
        self.page, self.per_page, self.total = page, per_page, total
        self.pages = max(1, ceil(total / per_page)) if per_page else 1
        self.has_prev = page > 1
        self.has_next = page < self.pages
        self.prev_num = page - 1
        self.next_num = page + 1


def _page_arg():
    raw = request.args.get("page", "").strip()
    if not raw:
        return 1
    if raw.isdigit() and 1 <= int(raw) <= queries.MAX_ID:
        return int(raw)
    flash("Ignored a page number that was not valid.", "warning")
    return 1


@bp.route("/portfolio/priorities/<int:priority_id>")
def priority(priority_id):
    """The contracts serving a priority, with sparklines, and its share on track per month."""
    record = db.get_or_404(Priority, priority_id)
    today = today_for(utcnow())
    conditions = queries.priority_conditions(record.id)
    totals = queries.health_counts(conditions)
    page = _Page(_page_arg(), PRIORITY_PAGE_SIZE, totals["total"])
    if page.page > page.pages:
        page = _Page(page.pages, PRIORITY_PAGE_SIZE, totals["total"])
    rows = queries.priority_contracts(conditions, page.page, PRIORITY_PAGE_SIZE)
    lines = queries.headline_sparklines([row.id for row in rows])
    sparklines = {
        contract_id: charts.sparkline(
            line["values"], width=120, height=28,
            label=f"{line['name']}, last {len(line['values'])} readings",
        )
        for contract_id, line in lines.items()
    }
    rollup = queries.priority_rollup_by_month(record.id, today)
    labels = [entry["month"].strftime("%b %Y") for entry in rollup]
    rollup_chart = charts.line_chart(
        [{"name": "Share on track (%)", "values": [entry["on_track_share"] for entry in rollup],
          "color": charts.STATUS_COLORS["on_track"]}],
        labels=labels, title=f"Share of contracts on track per month: {record.name}",
        y_min=0, y_max=100, y_label="% on track", width=720, height=260,
    )
    return render_template(
        "portfolio/priority.html",
        priority=record,
        totals=totals,
        health_order=queries.HEALTH_ORDER,
        health_labels=queries.HEALTH_LABELS,
        health_bar=charts.stacked_bar(
            charts.health_segments(totals["counts"], queries.HEALTH_LABELS), width=640, height=24,
            title=f"Health of the contracts serving {record.name}",
        ),
        contracts=rows,
        pagination=page,
        lines=lines,
        sparklines=sparklines,
        rollup=rollup,
        rollup_chart=rollup_chart,
        sparkline_points=queries.SPARKLINE_POINTS,
    )
