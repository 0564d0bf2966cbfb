"""The public site under /public, for residents and anyone else, without signing in: the
citywide priorities, the public contracts with their public metrics and milestones, the data
behind each page (CSV, OCDS) and the nightly published files (/public/data).

Only published data reaches these views (contracts_app/public/queries.py filters it in SQL);
every page and download is cacheable (caching.cached: ETag, Last-Modified, 304). Unknown,
archived and non-public ids answer the public 404 page.
"""
import json
import math
import os
from datetime import datetime
from urllib.parse import urlencode
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import grace_days, today_for
from contracts_app.ocds.export import contract_release, package_head
from contracts_app.portfolio import charts
from contracts_app.portfolio.exports import csv_lines, plain_decimal
from contracts_app.public import bp, formatting, labels, queries
from contracts_app.public.caching import cached
from contracts_app.publish.run import FILES, publish_dir

# A portal polls nightly: let caches keep a file an hour, then ask again (ETag makes that cheap).
MAX_AGE = 3600
# The home page's small charts: the last months of each priority.
HOME_MONTHS = 6


@bp.context_processor
def public_helpers():
    return page_context()


def page_context():
    """What the public templates use: the localised formatters, the plain-language labels, the
    logo, the page's canonical address and its address in another language. (Also given to
    the public error pages, which an address no view matched reaches outside the blueprint.)"""
    logo = current_app.config.get("CITY_LOGO") or ""
    return {
        **formatting.FILTERS,
        "pub_period": formatting.period,
        "labels": labels,
        # A file under static/ only: the public site loads nothing from another host (the CSP
        # allows images from the app itself), so an https:// logo is not shown.
        "city_logo": url_for("static", filename=logo) if logo and "://" not in logo else None,
        "pub_canonical": canonical_url,
        "pub_language_url": language_url,
    }


def canonical_url():
    """This page's address to share: its query arguments but the language choice, in order."""
    args = sorted((key, value) for key, value in request.args.items(multi=True) if key != "lang")
    query = urlencode(args)
    return request.base_url + (f"?{query}" if query else "")


def language_url(code, external=False):
    """This page in language ``code`` (the switch's links: ``?lang=`` is remembered in a cookie)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"] + [("lang", code)]
    base = request.base_url if external else request.path
    return f"{base}?{urlencode(args)}"


def _today():
    return today_for(utcnow())


def _share_chart(history, title, width_label=True, height=220):
    labels_ = [formatting.month(entry["month"]) for entry in history]
    return charts.responsive(
        charts.line_chart,
        [{"name": _("Share on track (%)"), "values": [entry["share"] for entry in history],
          "color": charts.STATUS_COLORS["on_track"]}],
        labels=labels_, title=title, description=_share_description(history),
        y_min=0, y_max=100, y_label=_("Percent on track") if width_label else "", height=height,
        legend_labels=_legend_labels(),
    )


def _legend_labels():
    return {"Target": _("Target"), "Baseline": _("Baseline")}


def _share_description(history):
    known = [entry for entry in history if entry["share"] is not None]
    if not known:
        return _("No data yet.")
    first, last = known[0], known[-1]
    return _(
        "%(first_share)s of the contracts with data were on track in %(first_month)s and %(last_share)s in %(last_month)s.",
        first_share=formatting.share(first["share"]), first_month=formatting.month(first["month"]),
        last_share=formatting.share(last["share"]), last_month=formatting.month(last["month"]),
    )


def _sparkline(history, name):
    values = [entry["share"] for entry in history]
    return charts.sparkline(
        values, width=160, height=36, label=_("Share of contracts on track, by month: %(name)s", name=name),
        description=_share_description(history), color=charts.STATUS_COLORS["on_track"],
    )


# ---------------------------------------------------------------------------------------------
# Pages


@bp.route("")
@bp.route("/")
@cached
def home():
    today = _today()
    priorities = queries.priorities(today)
    history = queries.on_track_history(today, months=HOME_MONTHS)
    for priority in priorities:
        priority.history = history.get(priority.id, [])
    return render_template(
        "public/home.html", priorities=priorities,
        sparklines={p.id: _sparkline(p.history, p.name) for p in priorities if p.history},
        months=[first for first, _last in queries.history_months(today, HOME_MONTHS)],
    )


@bp.route("/priorities/<int:priority_id>")
@cached
def priority(priority_id):
    today = _today()
    found = queries.priorities(today, priority_id=priority_id)
    if not found:
        abort(404)
    priority = found[0]
    priority.history = queries.on_track_history(today, priority_ids=[priority.id]).get(priority.id, [])
    filters = queries.ContractFilters()
    total, rows = queries.contracts(filters, today, per_page=None, priority_id=priority.id)
    return render_template(
        "public/priority.html", priority=priority, contracts=rows, total=total,
        chart=_share_chart(priority.history, _("Share of contracts on track per month: %(name)s", name=priority.name)),
    )


@bp.route("/contracts")
@cached
def contracts():
    today = _today()
    priority_options, departments = queries.filter_options()
    filters = queries.ContractFilters.from_args(request.args, {pid for pid, _n in priority_options}, set(departments))
    total, rows = queries.contracts(filters, today)
    pages = max(1, math.ceil(total / queries.PAGE_SIZE))
    if filters.page > pages:
        filters.page = pages
        total, rows = queries.contracts(filters, today)
    return render_template(
        "public/contracts.html", filters=filters, contracts=rows, total=total, pages=pages,
        priority_options=priority_options, departments=departments,
        priority_names=dict(priority_options),
    )


def _metric_chart(item, contract):
    metric = item.metric
    periods = item.periods
    period_labels = [formatting.period(p.start, metric.cadence) for p in periods]
    values = [p.value for p in periods]
    kwargs = {}
    if metric.direction == "range" and metric.range_low is not None and metric.range_high is not None:
        kwargs["bands"] = [{"low": metric.range_low, "high": metric.range_high, "label": _("Target range"),
                            "color": "#e3f4e8"}]
    else:
        kwargs["target"] = [p.target for p in periods]
    if metric.baseline_value is not None:
        kwargs["baseline"] = metric.baseline_value
    known = [(label, p) for label, p in zip(period_labels, periods) if p.value is not None]
    if known:
        description = _(
            "%(count)s results, from %(first)s (%(first_period)s) to %(last)s (%(last_period)s).",
            count=len(known), first=formatting.decimal(known[0][1].value), first_period=known[0][0],
            last=formatting.decimal(known[-1][1].value), last_period=known[-1][0],
        )
    else:
        description = _("No data yet.")
    return charts.responsive(
        charts.line_chart,
        [{"name": _("Result"), "values": values, "color": charts.SERIES_COLORS[0]}],
        labels=period_labels, title=_("%(metric)s against target", metric=metric.name), description=description,
        y_label=metric.unit, height=240, legend_labels=_legend_labels(), **kwargs,
    )


@bp.route("/contracts/<int:contract_id>")
@cached
def contract(contract_id):
    today = _today()
    page = queries.contract_page(contract_id, today, grace_days())
    if page is None:
        abort(404)
    return render_template(
        "public/contract.html", page=page, c=page.contract,
        charts={item.metric.id: _metric_chart(item, page.contract) for item in page.metrics},
        min_group_count=current_app.config["PUBLIC_MIN_GROUP_COUNT"],
    )


# ---------------------------------------------------------------------------------------------
# The data behind each page


def _csv(filename, header, rows):
    response = Response(list(csv_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/priorities.csv")
@cached
def priorities_csv():
    today = _today()
    rows = queries.priorities(today)
    return _csv("priorities.csv", ["priority_id", "priority", "outcome", "target_year", "public_contracts",
                                   "active_contracts", "active_contracts_on_track"],
                ([p.id, p.name, p.outcome, p.target_year, p.contracts, p.active, p.on_track] for p in rows))


@bp.route("/priorities/<int:priority_id>.csv")
@cached
def priority_csv(priority_id):
    today = _today()
    found = queries.priorities(today, priority_id=priority_id)
    if not found:
        abort(404)
    history = queries.on_track_history(today, priority_ids=[priority_id]).get(priority_id, [])
    return _csv(
        f"priority-{priority_id}-on-track-by-month.csv",
        ["priority_id", "priority", "month", "contracts", "contracts_with_data", "contracts_on_track", "share_on_track_pct"],
        ([priority_id, found[0].name, entry["month"].strftime("%Y-%m"), entry["contracts"], entry["with_data"],
          entry["on_track"], entry["share"]] for entry in history),
    )


CONTRACT_COLUMNS = ["contract_id", "reference", "title", "department", "vendor", "status", "contract_status",
                    "start_date", "end_date", "value", "currency"]


@bp.route("/contracts.csv")
@cached
def contracts_csv():
    today = _today()
    priority_options, departments = queries.filter_options()
    filters = queries.ContractFilters.from_args(request.args, {pid for pid, _n in priority_options}, set(departments))
    _total, rows = queries.contracts(filters, today, per_page=None)
    return _csv("contracts.csv", CONTRACT_COLUMNS, (
        [r.id, r.reference, r.title, r.department, r.vendor, r.status, r.contract_status, r.start_date, r.end_date,
         plain_decimal(Decimal(r.value)), r.currency] for r in rows
    ))


@bp.route("/contracts/<int:contract_id>.csv")
@cached
def contract_csv(contract_id):
    page = queries.contract_page(contract_id, _today(), grace_days())
    if page is None:
        abort(404)
    c = page.contract
    rows = []
    for item in page.metrics:
        m = item.metric
        for p in item.periods:
            rows.append([c.reference, m.id, m.name, m.unit, m.direction, p.start, p.end,
                         plain_decimal(p.target) if m.direction != "range" else None,
                         plain_decimal(m.range_low) if m.direction == "range" else None,
                         plain_decimal(m.range_high) if m.direction == "range" else None,
                         plain_decimal(p.value), p.status])
    return _csv(
        f"contract-{c.id}-results.csv",
        ["contract_reference", "metric_id", "metric", "unit", "direction", "period_start", "period_end", "target",
         "range_low", "range_high", "value", "status"],
        rows,
    )


@bp.route("/contracts/<int:contract_id>/ocds.json")
@cached
def contract_ocds(contract_id):
    """The OCDS release package holding this one contract's release, as the open-data package
    (ocds.export.release_package) holds it, dated as that release."""
    if db.session.scalar(select(Contract.id).where(Contract.id == contract_id, *queries.published())) is None:
        abort(404)  # archived, not public or unknown, as the contract's page
    release = contract_release(contract_id)
    if release is None:
        abort(404)
    package = {**package_head(release["date"]), "releases": [release]}
    package["uri"] = url_for("public.contract_ocds", contract_id=contract_id, _external=True)
    response = Response(json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="contract-{contract_id}-ocds.json"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# ---------------------------------------------------------------------------------------------
# The nightly published files


def _published_files():
    folder = publish_dir()
    city = ZoneInfo(current_app.config["CITY_TIMEZONE"])
    listed = []
    for name, (media_type, fmt, title, description) in FILES.items():
        try:
            stat = os.stat(os.path.join(folder, name))
        except OSError:
            continue
        listed.append({
            "name": name, "format": fmt, "title": title, "description": description, "size": stat.st_size,
            "updated": datetime.fromtimestamp(stat.st_mtime, city),
        })
    return listed


@bp.route("/data")
def data_index():
    return render_template(
        "public/data.html", files=_published_files(), license_url=current_app.config["OCDS_LICENSE"],
    )


@bp.route("/data/<name>")
def data_file(name):
    if name not in FILES:
        abort(404)
    # Text types get "; charset=utf-8" added by Werkzeug.
    response = send_from_directory(publish_dir(), name, mimetype=FILES[name][0], conditional=True, etag=True, max_age=MAX_AGE)
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may fetch it
    return response
