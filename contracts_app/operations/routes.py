"""The operations page for admins, and the endpoints for machines: /healthz (no sign-in) and
/metrics (a bearer token, METRICS_TOKEN)."""
from flask_babel import gettext as _
import hmac

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from contracts_app.db_types import utcnow
from contracts_app.errors import ServiceError
from contracts_app.extensions import csrf, db
from contracts_app.forms_common import BaseForm
from contracts_app.operations import bp, metrics_export, queries
from contracts_app.operations.services import retry_failed_notification
from contracts_app.permissions import can_view_operations, require
from contracts_app.publish.push import portals_configured


@bp.route("/admin/operations")
def index():
    """Scheduler heartbeat, outbox health (with the failed notifications), the pushes to the
    open-data portals and the schema."""
    require(can_view_operations(current_user))
    now = utcnow()
    return render_template(
        "operations/index.html", now=now, scheduler=queries.scheduler_health(now), outbox=queries.outbox_health(now),
        migrations=queries.migration_status(), pushes=queries.portal_pushes(),
        portals_configured=portals_configured(), form=BaseForm(),
    )


@bp.route("/admin/operations/notifications/<int:notification_id>/retry", methods=["POST"])
def retry_notification(notification_id):
    require(can_view_operations(current_user))
    if not BaseForm().validate_on_submit():
        abort(400, description="The form had expired; please try again.")
    try:
        notification = retry_failed_notification(notification_id, current_user, utcnow())
    except ServiceError as error:
        flash(error.message, "warning")
    else:
        flash(_('Notification to %(email)s queued again.', email=notification.recipient.email), "success")
    return redirect(url_for("operations.index", _anchor="failed"))


@bp.route("/healthz")
@csrf.exempt
def healthz():
    """For load balancers and uptime checks, without signing in: the database answers and its
    schema is at the migrations' head. 200 when both hold, else 503. Says nothing secret: no
    addresses, no error text (that goes to the log)."""
    checks = {"database": "ok", "migrations": "unknown"}
    body = {"status": "ok", "checks": checks}
    try:
        db.session.execute(text("SELECT 1"))
        status = queries.migration_status()
    except Exception:
        current_app.logger.exception("/healthz: the database is unreachable")
        db.session.rollback()
        checks["database"] = "unreachable"
        body["status"] = "unhealthy"
        return jsonify(body), 503
    checks["migrations"] = "at head" if status.at_head else "not at head"
    body["migrations"] = {"current": list(status.current), "head": list(status.heads)}
    if not status.at_head:
        body["status"] = "unhealthy"
        return jsonify(body), 503
    return jsonify(body), 200


@bp.route("/metrics")
@csrf.exempt
def metrics():
    """Prometheus scrape. With no METRICS_TOKEN set it does not exist (404), so a deployment
    never exposes it by accident; otherwise ``Authorization: Bearer <METRICS_TOKEN>`` is needed
    (401 without it), compared in constant time."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return "A bearer token (METRICS_TOKEN) is needed.\n", 401, {
            "WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain; charset=utf-8",
        }
    from prometheus_client import CONTENT_TYPE_LATEST

    return metrics_export.render(utcnow()), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


@bp.app_context_processor
def inject_scheduler_warning():
    """``scheduler_warning()`` for base.html's banner (admins, on the dashboard and My work):
    the scheduler's health when it is stale, else None; queried only when a page asks."""
    return {"scheduler_warning": lambda: queries.scheduler_warning(utcnow())}
