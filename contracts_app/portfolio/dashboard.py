"""Read models for the portfolio dashboard (the chief data officer's home page) and the priority
page: their figures and charts, built from the SQL roll-ups in ``queries``.

Every figure comes from a fixed number of those roll-ups (stored health, flags, check-ins,
monthly snapshots), so the number of statements does not grow with the number of contracts.
"""
from flask_babel import gettext as _
from math import ceil

from flask import current_app, url_for

from contracts_app.portfolio import charts, queries

PRIORITY_PAGE_SIZE = 50


def scorecard_url(contract_id):
    """The contract's scorecard when that page exists, else its register page."""
    if "portfolio.scorecard" in current_app.view_functions:
        return url_for("portfolio.scorecard", contract_id=contract_id)
    return url_for("contracts.detail", contract_id=contract_id)


def health_bar(counts, title, width, height):
    """A stacked bar of contracts by health (``counts``: {health: n})."""
    return charts.stacked_bar(
        charts.health_segments(counts, queries.HEALTH_LABELS), width=width, height=height, title=title,
    )


def dashboard_figures(filters, today):
    """The dashboard's figures over the contracts ``filters`` match: totals and their health bar,
    a card per priority, the contracts needing attention, recent check-ins and resolved flags."""
    conditions = filters.conditions(today)
    totals = queries.health_counts(conditions)
    cards = queries.priority_rollups(conditions)
    for card in cards:
        card["bar"] = health_bar(card["counts"], _('Health of the contracts serving %(name)s', name=card['name']), 260, 14)
    attention = queries.contracts_needing_attention(conditions, today)
    return {
        "totals": totals,
        "health_bar": health_bar(totals["counts"], _('Health of the strategic contracts'), 640, 28),
        "cards": cards,
        "flag_counts": attention.flag_counts,
        "attention": attention.rows,
        "attention_total": attention.total,
        "attention_reasons": attention.reasons,
        "recent_checkins": queries.recent_checkins(conditions),
        "resolved_flags": queries.recently_resolved_flags(conditions),
    }


class Page:
    """Just enough of Flask-SQLAlchemy's Pagination for the _macros.pagination macro."""

    def __init__(self, page, per_page, total):
        self.page, self.per_page, self.total = page, per_page, total
        self.pages = max(1, ceil(total / per_page)) if per_page else 1
        self.has_prev = page > 1
        self.has_next = page < self.pages
        self.prev_num = page - 1
        self.next_num = page + 1


def priority_figures(priority, page_number, today):
    """The priority page's figures: health totals and bar, one page of its contracts (worst
    health first; a page past the last shows the last) with sparklines of their headline
    metric, and its share of contracts on track per month."""
    conditions = queries.priority_conditions(priority.id)
    totals = queries.health_counts(conditions)
    page = Page(page_number, PRIORITY_PAGE_SIZE, totals["total"])
    if page.page > page.pages:
        page = Page(page.pages, PRIORITY_PAGE_SIZE, totals["total"])
    rows = queries.priority_contracts(conditions, page.page, PRIORITY_PAGE_SIZE)
    lines = queries.headline_sparklines([row.id for row in rows])
    sparklines = {
        contract_id: charts.sparkline(
            line["values"], width=120, height=28, target=line["targets"],
            label=_('%(name)s, last %(values)s readings, against target', name=line['name'], values=len(line['values'])),
        )
        for contract_id, line in lines.items()
    }
    rollup = queries.priority_rollup_by_month(priority.id, today)
    labels = [entry["month"].strftime("%b %Y") for entry in rollup]
    rollup_chart = charts.responsive(
        charts.line_chart,
        [{"name": _("Share on track (%)"), "values": [entry["on_track_share"] for entry in rollup],
          "color": charts.STATUS_COLORS["on_track"]}],
        labels=labels, title=_('Share of contracts on track per month: %(name)s', name=priority.name),
        y_min=0, y_max=100, y_label=_("%(sign)s on track", sign="%"), height=260,
    )
    return {
        "totals": totals,
        "health_bar": health_bar(totals["counts"], _('Health of the contracts serving %(name)s', name=priority.name), 640, 24),
        "contracts": rows,
        "pagination": page,
        "lines": lines,
        "sparklines": sparklines,
        "rollup": rollup,
        "rollup_chart": rollup_chart,
    }
