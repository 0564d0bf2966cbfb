"""The import pages: upload a CSV, see every error or what it will create, then import it once."""
import csv
import io

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from contracts_app.auth.models import CONTRACT_MANAGER, User
from contracts_app.contracts.models import PAYMENT_STRUCTURES
from contracts_app.extensions import db
from contracts_app.imports import bp, reader, services
from contracts_app.imports.columns import COLUMNS, template_rows
from contracts_app.imports.forms import CommitForm, UploadForm
from contracts_app.imports.models import ImportUpload
from contracts_app.imports.plan import ImportPlan, build_plan, imported_contracts
from contracts_app.permissions import can_create_contracts, require
from contracts_app.priorities.models import Priority

TEMPLATE_FILENAME = "contracts-import-template.csv"


def _help_context():
    """What the help on the import page lists: the columns, and the names the rows refer to."""
    return {
        "columns": COLUMNS,
        "priorities": db.session.scalars(select(Priority.name).order_by(Priority.name)).all(),
        "managers": db.session.execute(
            select(User.name, User.email).where(User.role == CONTRACT_MANAGER, User.active.is_(True)).order_by(User.name)
        ).all(),
        "max_size": reader.human_size(current_app.config["IMPORT_MAX_BYTES"]),
        "default_currency": current_app.config["DEFAULT_CURRENCY"],
        "template_filename": TEMPLATE_FILENAME,
    }


def _render_upload(form, errors=None, filename=None, status=200):
    return render_template("imports/upload.html", form=form, errors=errors, filename=filename, **_help_context()), status


@bp.route("/imports/contracts", methods=["GET", "POST"])
def upload():
    require(can_create_contracts(current_user))
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_upload(form)
    storage = form.file.data
    limit = current_app.config["IMPORT_MAX_BYTES"]
    # Read one byte more than allowed: enough to know the file is too large, never more.
    data = storage.stream.read(limit + 1)
    try:
        text, encoding = reader.decode(data, limit)
    except reader.ImportFileError as error:
        form.file.errors.append(str(error))
        return _render_upload(form)
    plan = build_plan(text, current_user)
    if not plan.ok:
        return _render_upload(form, errors=plan.errors, filename=services.clean_filename(storage.filename))
    staged = services.stage_upload(text, encoding, storage.filename, current_user)
    return redirect(url_for("imports.preview", upload_id=staged.id))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body over MAX_CONTENT_LENGTH (if a deployment sets one): the upload page, with the reason.

    (Raised while the CSRF check reads the form, before sign-in is checked: check here.)"""
    if not can_create_contracts(current_user):
        return render_template("errors/403.html", reason=""), 403
    form = UploadForm(formdata=None)
    form.file.errors = [
        f"The file is larger than {reader.human_size(current_app.config['IMPORT_MAX_BYTES'])}, the most one import "
        "accepts. Split it into several files and import them one after the other."
    ]
    return _render_upload(form, status=413)


@bp.route("/imports/contracts/template.csv")
def template():
    require(can_create_contracts(current_user))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(template_rows())
    # A byte-order mark, so that Excel opens the file as UTF-8.
    return Response(
        "\ufeff" + buffer.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_FILENAME}"'},
    )


def _own_upload(upload_id):
    require(can_create_contracts(current_user))
    staged = db.get_or_404(ImportUpload, upload_id)
    if staged.uploaded_by_id != current_user.id:
        abort(403, description="Only the person who uploaded this file can see or import it.")
    return staged


def _render_preview(staged, plan=None, status=200):
    if staged.committed_at is not None:
        return render_template("imports/preview.html", upload=staged, contracts=imported_contracts(staged)), status
    if plan is None:
        plan = build_plan(staged.content, current_user)
    return render_template(
        "imports/preview.html", upload=staged, plan=plan, commit_form=CommitForm(), form=UploadForm(formdata=None),
        payment_structures=PAYMENT_STRUCTURES, **_help_context(),
    ), status


@bp.route("/imports/contracts/<int:upload_id>")
def preview(upload_id):
    return _render_preview(_own_upload(upload_id))


@bp.route("/imports/contracts/<int:upload_id>/commit", methods=["POST"])
def commit(upload_id):
    staged = _own_upload(upload_id)
    if not CommitForm().validate_on_submit():
        abort(400)
    try:
        result = services.commit_upload(staged, current_user)
    except services.ImportRefused as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("imports.preview", upload_id=staged.id))
    if not result.ok:
        return _render_preview(staged, plan=ImportPlan(errors=result.errors))
    flash(f"Imported {services.counts_text(len(result.contracts), result.metrics_created, result.vendors_created)}.", "success")
    return redirect(url_for("imports.preview", upload_id=staged.id))
