"""Evidence files: download one (for those who may see its record) and attach one to a
contract, a reading or a check-in. The record pages list their files through the
``attachments_of`` template global and templates/attachments/_documents.html."""
from flask_babel import gettext as _
import os

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from contracts_app.attachments import bp, services
from contracts_app.attachments.forms import AttachmentForm
from contracts_app.attachments.models import CHECKIN, CONTRACT, READING, Attachment
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.forms_common import errors_on
from contracts_app.formatting import long_date
from contracts_app.management.models import CheckIn
from contracts_app.metrics import rules
from contracts_app.metrics.models import Reading
from contracts_app.permissions import can_attach, can_view_attachment, require

# --- template helpers -------------------------------------------------------------------------


@bp.app_template_global()
def attachments_of(owner_kind, owner_ids):
    """{owner id: [Attachment]} for the records a page shows (one query, cached per request)."""
    key = (owner_kind, tuple(sorted(set(owner_ids))))
    cache = g.setdefault("_attachments_of", {})
    if key not in cache:
        cache[key] = services.attachments_for(owner_kind, key[1])
    return cache[key]


@bp.app_template_global()
def evidence_of_readings(reading_ids):
    """{reading id: [Attachment]} with the vendor's evidence of accepted submissions (one query)."""
    return services.reading_evidence(reading_ids)


@bp.app_template_global()
def new_attachment_form():
    """An empty upload form for a record page's "Attach a file" box."""
    return AttachmentForm(formdata=None)


# --- download ---------------------------------------------------------------------------------


@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id):
    """The file, as a download under its shown name. 404 alike for an unknown id and for one
    the user may not see, so ids tell nothing about other people's files."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_view_attachment(current_user, attachment):
        abort(404)
    path = services.stored_path(attachment)
    if not os.path.isfile(path):
        current_app.logger.error("Attachment %s: its file %s is missing", attachment.id, path)
        abort(404)
    response = send_file(
        path, mimetype=attachment.content_type, as_attachment=True, download_name=attachment.original_name,
        etag=attachment.sha256, max_age=0,
    )
    # Never render or guess: a download, of the type its content was checked to be, kept by no
    # shared cache (the next person at a shared computer, or a proxy, must not get it).
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- upload -----------------------------------------------------------------------------------


def _contract_target(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    return dict(owner=contract, contract=contract, kind=CONTRACT, record=f"{contract.reference} — {contract.title}",
                back=url_for("contracts.detail", contract_id=contract.id, _anchor="documents"),
                action=url_for("attachments.attach_to_contract", contract_id=contract.id))


def _checkin_target(checkin_id):
    checkin = db.get_or_404(CheckIn, checkin_id)
    return dict(owner=checkin, contract=checkin.contract, kind=CHECKIN,
                record=_("Check-in %(day)s", day=long_date(checkin.held_on or checkin.scheduled_for)),
                back=url_for("management.checkin_detail", checkin_id=checkin.id, _anchor="documents"),
                action=url_for("attachments.attach_to_checkin", checkin_id=checkin.id))


def _reading_target(reading_id):
    reading = db.get_or_404(Reading, reading_id)
    metric = reading.metric
    period = rules.Period(reading.period_start, reading.period_end).label(metric.cadence)
    return dict(owner=reading, contract=metric.contract, kind=READING, record=f"{metric.name}, {period}", metric=metric,
                back=url_for("metrics.detail", metric_id=metric.id, _anchor=f"reading-{reading.id}"),
                action=url_for("attachments.attach_to_reading", reading_id=reading.id))


def _render(target, form, status=200):
    files = services.attachments_for(target["kind"], [target["owner"].id]).get(target["owner"].id, [])
    return render_template("attachments/upload.html", form=form, files=files, **target), status


def _upload(target):
    require(can_attach(current_user, target["owner"]))
    form = AttachmentForm()
    if form.validate_on_submit():
        with errors_on(form, "file"):
            attachment = services.attach(target["owner"], form.file.data, current_user)
            flash(_('%(original_name)s attached to %(record)s.', original_name=attachment.original_name, record=target['record']), "success")
            return redirect(target["back"])
    return _render(target, form)


@bp.route("/contracts/<int:contract_id>/attachments", methods=["GET", "POST"])
def attach_to_contract(contract_id):
    return _upload(_contract_target(contract_id))


@bp.route("/checkins/<int:checkin_id>/attachments", methods=["GET", "POST"])
def attach_to_checkin(checkin_id):
    return _upload(_checkin_target(checkin_id))


@bp.route("/readings/<int:reading_id>/attachments", methods=["GET", "POST"])
def attach_to_reading(reading_id):
    return _upload(_reading_target(reading_id))


_TARGETS = {
    "attachments.attach_to_contract": ("contract_id", _contract_target),
    "attachments.attach_to_checkin": ("checkin_id", _checkin_target),
    "attachments.attach_to_reading": ("reading_id", _reading_target),
}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body over MAX_CONTENT_LENGTH: the upload page again, saying what the limit is.

    (Raised while the CSRF check reads the form, before sign-in is checked: check here.)"""
    argument, target_for = _TARGETS.get(request.endpoint, (None, None))
    if target_for is None:
        return render_template("errors/413.html"), 413
    try:
        target = target_for(request.view_args[argument])
    except NotFound:
        return render_template("errors/404.html", reason=""), 404
    if not can_attach(current_user, target["owner"]):
        return render_template("errors/403.html", reason=""), 403
    form = AttachmentForm(formdata=None)
    form.file.errors = [services.too_large_message(current_app.config["MAX_ATTACHMENT_BYTES"])]
    return _render(target, form, status=413)
