"""Portfolio pages: the dashboard, a priority's page, what isn't working, certification evidence,
contract and vendor scorecards, the closeout evaluation form and the CSV exports.

Read-only pages are open to every signed-in role; the evaluation form asks
``permissions.can_evaluate``. Each view parses its arguments, calls one read model (``dashboard``,
``attention``, ``evidence``, ``scorecards``, ``exports``) or the evaluation service, and renders.
"""
from flask_babel import gettext as _
from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.decisions import queries as decision_queries
from contracts_app.digits import ascii_digits
from contracts_app.contracts import queries as contract_queries
from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract, Vendor
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.gaps import lagging_groups_for_priority
from contracts_app.forms_common import errors_on
from contracts_app.management.models import FLAG_KINDS, SEVERITIES, SEVERITY_ORDER
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric
from contracts_app.metrics.status import today_for
from contracts_app.permissions import can_download_evidence_packet, can_evaluate, require
from contracts_app.portfolio import attention, bp, exports, queries, scorecards, services
from contracts_app.portfolio.dashboard import dashboard_figures, priority_figures, scorecard_url
from contracts_app.portfolio import packet
from contracts_app.portfolio.evidence import (
    CRITERIA, QUARTERS, RDC8_KEYS, evidence_figures, last_full_quarters, rdc_lead, rows_for,
)
from contracts_app.portfolio.forms import EvaluationForm
from contracts_app.portfolio.models import RATING_FIELDS
from contracts_app.priorities.models import Priority
from contracts_app.priorities.services import other_contracts_serving
from contracts_app.query_args import MAX_ID


@bp.app_template_global("portfolio_contract_url")
def _portfolio_contract_url(contract_id):
    return scorecard_url(contract_id)


# --- dashboard and priority page ----------------------------------------------------------------


@bp.route("/portfolio")
def dashboard():
    """Totals, a card per priority, contracts needing attention and recent activity."""
    today = today_for(utcnow())
    departments = queries.department_options()
    filters = queries.PortfolioFilters.from_args(request.args, set(departments))
    if filters.problems:
        flash(_('Ignored filter values that were not valid: %(problems)s.', problems=', '.join(filters.problems)), "warning")
    years, months = queries.period_choices(today)
    return render_template(
        "portfolio/dashboard.html",
        **dashboard_figures(filters, today),
        today=today,
        filters=filters,
        departments=departments,
        payment_structures=PAYMENT_STRUCTURES,
        period_years=years,
        period_months=months,
        ending_choices=queries.ENDING_WITHIN_CHOICES,
        health_order=queries.HEALTH_ORDER,
        health_labels=queries.HEALTH_LABELS,
        severities=SEVERITIES,
        severity_order=SEVERITY_ORDER,
        lapse_days=queries.CHECKIN_LAPSE_DAYS,
        flag_kinds=FLAG_KINDS,
    )


def _page_arg():
    raw = request.args.get("page", "").strip()
    if not raw:
        return 1
    if ascii_digits(raw) and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    flash(_('Ignored a page number that was not valid.'), "warning")
    return 1


@bp.route("/priorities/<int:priority_id>")
def priority(priority_id):
    """A priority's one page: its outcome and owner; the strategic contracts serving it, with
    health, sparklines and last check-in; its share on track per month; and the contracts that
    serve it without being active (drafts, completed, ended), which the figures leave out."""
    record = db.get_or_404(Priority, priority_id)
    today = today_for(utcnow())
    return render_template(
        "portfolio/priority.html",
        **priority_figures(record, _page_arg(), today),
        priority=record,
        other_contracts=other_contracts_serving(record),
        lagging_groups=lagging_groups_for_priority(record.id),
        health_order=queries.HEALTH_ORDER,
        health_labels=queries.HEALTH_LABELS,
        sparkline_points=queries.SPARKLINE_POINTS,
    )


@bp.route("/portfolio/priorities/<int:priority_id>")
def priority_moved(priority_id):
    """The priority page's earlier address (bookmarks, shared links)."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for("portfolio.priority", priority_id=priority_id) + (f"?{query}" if query else ""), 301)


# --- what isn't working -------------------------------------------------------------------------


@bp.route("/portfolio/not-working")
def not_working():
    today = today_for(utcnow())
    horizon = attention.horizon_days()
    return render_template(
        "portfolio/not_working.html",
        runs=attention.off_track_runs(),
        ending=attention.ending_soon(today, horizon),
        deciding=decision_queries.approaching_off_track(today),
        today=today,
        horizon=horizon,
        min_run=attention.MIN_RUN,
        hints=attention.HINTS,
    )


# --- certification evidence ---------------------------------------------------------------------


@bp.route("/portfolio/evidence")
def evidence():
    today = today_for(utcnow())
    figures, public, quarters = evidence_figures(today)
    return render_template(
        "portfolio/evidence.html", figures=figures, public=public, quarters=quarters, today=today, criteria=CRITERIA,
        rdc8_keys=RDC8_KEYS,
        lead=rdc_lead(), packet=can_download_evidence_packet(current_user),
    )


@bp.route("/portfolio/evidence/packet.zip")
def evidence_packet():
    """The certification evidence packet: the report as HTML and PDF and a CSV per criterion."""
    require(can_download_evidence_packet(current_user))
    today = today_for(utcnow())
    return Response(
        packet.build_packet(today), content_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{packet.packet_name(today)}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/portfolio/evidence/<criterion>")
def evidence_contracts(criterion):
    if criterion not in CRITERIA:
        abort(404)
    met = request.args.get("met", "yes")
    if met not in ("yes", "no"):
        abort(400)
    today = today_for(utcnow())
    contracts, vendors, decisions = rows_for(criterion, met == "yes", today)
    return render_template(
        "portfolio/evidence_contracts.html",
        criterion=criterion, info=CRITERIA[criterion], met=met, contracts=contracts, vendors=vendors, decisions=decisions,
        quarters=last_full_quarters(today), today=today, quarter_count=QUARTERS, rdc8_keys=RDC8_KEYS,
    )


# --- scorecards ---------------------------------------------------------------------------------


@bp.route("/portfolio/contracts/<int:contract_id>")
def scorecard(contract_id):
    now = utcnow()
    contract = db.get_or_404(
        Contract, contract_id,
        options=[joinedload(Contract.vendor), selectinload(Contract.metrics), selectinload(Contract.priorities)],
    )
    return render_template(
        "portfolio/scorecard.html", contract=contract, **scorecards.contract_scorecard(contract, now),
        evaluable=services.is_evaluable(contract),
        rating_fields=RATING_FIELDS, pending=scorecards.PENDING, today=today_for(now),
    )


@bp.route("/portfolio/vendors/<int:vendor_id>")
def vendor_scorecard(vendor_id):
    vendor = db.get_or_404(Vendor, vendor_id)
    return render_template(
        "portfolio/vendor.html", vendor=vendor, **scorecards.vendor_scorecard(vendor),
        rating_fields=RATING_FIELDS, share=rules.share,
    )


@bp.route("/portfolio/contracts/<int:contract_id>/evaluation", methods=["GET", "POST"])
def evaluation(contract_id):
    """Record (or edit) the closeout evaluation of a completed or terminated contract.

    For a contract still running, GET explains why there is nothing to fill in (200) and POST
    changes nothing and goes back to the scorecard with that message.
    """
    now = utcnow()
    contract = db.get_or_404(Contract, contract_id, options=[joinedload(Contract.vendor)])
    require(can_evaluate(current_user, contract))
    if not services.is_evaluable(contract):
        if request.method == "POST":
            flash(
                _('%(reference)s is %(lower)s: a closeout evaluation can be recorded once it is completed or terminated. Nothing was saved.', reference=contract.reference, lower=contract.status_label.lower()),
                "warning",
            )
            return redirect(url_for("portfolio.scorecard", contract_id=contract.id))
        return render_template("portfolio/evaluation_form.html", contract=contract, form=None, existing=None)
    existing = queries.evaluation_for(contract.id)
    today = today_for(now)
    form = EvaluationForm.for_evaluation(existing, today, formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        with errors_on(form):
            _saved, created = services.save_evaluation(contract, current_user, form.values(), now=now)
            flash(_('Closeout evaluation recorded.') if created else _('Closeout evaluation updated.'), "success")
            return redirect(url_for("portfolio.scorecard", contract_id=contract.id) + "#evaluation")
    return render_template("portfolio/evaluation_form.html", contract=contract, form=form, existing=existing, today=today)


# --- CSV exports --------------------------------------------------------------------------------


def _csv_response(name, header, rows):
    return Response(
        stream_with_context(chunk.encode("utf-8") for chunk in exports.csv_lines(header, rows)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{exports.filename(name, today_for(utcnow()))}"',
            "Cache-Control": "no-store",
        },
    )


def _id_arg(key):
    raw = request.args.get(key, "").strip()
    if not raw:
        return None
    if not ascii_digits(raw) or not 1 <= int(raw) <= MAX_ID:
        abort(400)
    return int(raw)


@bp.route("/portfolio/export/contracts.csv")
def export_register():
    # Same filters as the register; values that are not valid are ignored, as there.
    filters, sort, direction, _page, _problems = contract_queries.parse_register_args(request.args)
    return _csv_response("contracts", exports.REGISTER_COLUMNS, exports.register_rows(filters, sort, direction))


@bp.route("/portfolio/export/readings.csv")
def export_readings():
    contract_id, metric_id = _id_arg("contract"), _id_arg("metric")
    name = "readings"
    if contract_id is not None:
        contract = db.get_or_404(Contract, contract_id)
        name = f"readings-{contract.reference}"
    if metric_id is not None:
        metric = db.get_or_404(Metric, metric_id)
        name = f"readings-metric-{metric.id}"
    return _csv_response(name, exports.READING_COLUMNS, exports.reading_rows(contract_id, metric_id))
