"""The import pages: upload a CSV, see every error or what it will create, then import it once.

Two kinds: contracts and their metrics (procurement officers), and readings (the due periods
downloaded as a spreadsheet, filled in and uploaded again; procurement officers and contract
managers, each row checked against the contracts they may enter readings for)."""
import csv
import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from contracts_app.digits import ascii_digits
from contracts_app.auth.models import CONTRACT_MANAGER, User
from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.formatting import long_date, plural
from contracts_app.imports import bp, reader, services
from contracts_app.imports import readings as readings_sheet
from contracts_app.imports.columns import COLUMNS, template_rows
from contracts_app.imports.forms import CommitForm, OcdsUploadForm, PaymentsUploadForm, ReadingsUploadForm, UploadForm
from contracts_app.imports.models import CONTRACTS, OCDS, PAYMENTS, READINGS, ImportUpload
from contracts_app.imports.plan import ImportPlan, build_plan, imported_contracts
from contracts_app.metrics.status import today_for
from contracts_app.permissions import (
    can_create_contracts, can_enter_readings, can_import_ocds, can_import_payments, can_import_readings, require,
)
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
    if request.endpoint == "imports.readings_upload":
        return _too_large_readings()
    if request.endpoint == "imports.payments_upload":
        if not can_import_payments(current_user):
            return render_template("errors/403.html", reason=""), 403
        form = PaymentsUploadForm(formdata=None)
        form.file.errors = [_too_large_message()]
        return _render_payments_upload(form, status=413)
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


def _own_upload(upload_id, kind=CONTRACTS, permitted=can_create_contracts):
    """The staged upload ``upload_id`` of ``kind``, for the person who uploaded it (404 for
    another kind, 403 for anyone else)."""
    require(permitted(current_user))
    staged = db.get_or_404(ImportUpload, upload_id)
    if staged.kind != kind:
        abort(404)
    if staged.uploaded_by_id != current_user.id:
        abort(403, description="Only the person who uploaded this file can see or import it.")
    return staged


def _read_sheet(form):
    """(text, encoding, None) of the spreadsheet or CSV uploaded in ``form.file``, or (None,
    None, status) with the problem on the field: 413 when it is too large, else 200."""
    max_bytes, max_rows = readings_sheet.limits()
    # One byte more than allowed: enough to know the file is too large, never more.
    data = form.file.data.stream.read(max_bytes + 1)
    try:
        text, encoding = readings_sheet.read_upload(data, max_bytes, max_rows)
    except reader.ImportFileError as error:
        form.file.errors.append(str(error))
        return None, None, 413 if len(data) > max_bytes else 200
    return text, encoding, None


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
    flash(_('Imported %(contracts)s.', contracts=services.counts_text(len(result.contracts), result.metrics_created, result.vendors_created)), "success")
    return redirect(url_for("imports.preview", upload_id=staged.id))


# --- readings: the due periods as a spreadsheet, and the filled-in spreadsheet back -------------


def _readings_scope():
    """(contracts, what they are in words, a slug for the file name) from ?contract= or
    ?department= (neither: the user's own contracts); 403 when a contract named is not theirs."""
    contract_arg = request.args.get("contract", "").strip()
    department = request.args.get("department", "").strip()
    if contract_arg:
        if not ascii_digits(contract_arg) or not 0 < int(contract_arg) <= 2**31 - 1:
            abort(404)
        contract = db.get_or_404(Contract, int(contract_arg))
        require(can_enter_readings(current_user, contract))
        return readings_sheet.contracts_for(current_user, contract=contract), contract.reference, contract.reference
    if department:
        return (readings_sheet.contracts_for(current_user, department=department), department,
                "-".join(department.lower().split()))
    return readings_sheet.contracts_for(current_user), "your contracts", "mine"


@bp.route("/imports/readings/due.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/imports/readings/due.csv", defaults={"fmt": "csv"})
def readings_download(fmt):
    """The due periods (ended, no reading yet; overdue first) to fill in, as XLSX or CSV."""
    require(can_import_readings(current_user))
    now = utcnow()
    contracts, scope, slug = _readings_scope()
    rows = readings_sheet.due_periods(contracts, now)
    safe = "".join(ch for ch in slug if ch.isalnum() or ch in "-_")[:60] or "readings"
    filename = f"readings-due-{safe}-{today_for(now).isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(readings_sheet.csv_text(rows), mimetype="text/csv", headers=headers)
    title = f"Readings due: {scope} ({long_date(today_for(now))})"
    return Response(
        readings_sheet.xlsx_bytes(rows, title), headers=headers,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _readings_help():
    max_bytes, max_rows = readings_sheet.limits()
    return {"columns": readings_sheet.COLUMNS, "max_size": reader.human_size(max_bytes), "max_rows": max_rows}


def _render_readings_upload(form, errors=None, filename=None, status=200):
    return render_template("imports/readings_upload.html", form=form, errors=errors, filename=filename,
                           **_readings_help()), status


def _too_large_readings():
    if not can_import_readings(current_user):
        return render_template("errors/403.html", reason=""), 403
    form = ReadingsUploadForm(formdata=None)
    form.file.errors = [_too_large_message()]
    return _render_readings_upload(form, status=413)


def _too_large_message():
    return (f"The file is larger than {reader.human_size(readings_sheet.limits()[0])}, the most one upload accepts. "
            "Split it into several files and upload them one after the other.")


@bp.route("/imports/readings", methods=["GET", "POST"])
def readings_upload():
    require(can_import_readings(current_user))
    form = ReadingsUploadForm()
    if not form.validate_on_submit():
        return _render_readings_upload(form)
    storage = form.file.data
    text, encoding, status = _read_sheet(form)
    if text is None:
        return _render_readings_upload(form, status=status)
    checked = readings_sheet.check_sheet(text, current_user, utcnow())
    if not checked.ok:
        return _render_readings_upload(form, errors=checked.errors, filename=services.clean_filename(storage.filename))
    staged = services.stage_upload(text, encoding, storage.filename, current_user, kind=READINGS)
    return redirect(url_for("imports.readings_preview", upload_id=staged.id))


def _own_readings_upload(upload_id):
    return _own_upload(upload_id, READINGS, can_import_readings)


def _render_readings_preview(staged, errors=None, status=200):
    context = {"upload": staged, "commit_form": CommitForm(), "form": ReadingsUploadForm(formdata=None), **_readings_help()}
    if staged.committed_at is None and errors is None:
        checked = readings_sheet.check_sheet(staged.content, current_user, utcnow())
        if checked.ok:
            context["preview"] = readings_sheet.preview(checked)
        errors = checked.errors
    return render_template("imports/readings_preview.html", errors=errors, **context), status


@bp.route("/imports/readings/<int:upload_id>")
def readings_preview(upload_id):
    return _render_readings_preview(_own_readings_upload(upload_id))


@bp.route("/imports/readings/<int:upload_id>/commit", methods=["POST"])
def readings_commit(upload_id):
    staged = _own_readings_upload(upload_id)
    if not CommitForm().validate_on_submit():
        abort(400)
    try:
        result = services.commit_readings_upload(staged, current_user)
    except services.ImportRefused as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("imports.readings_preview", upload_id=staged.id))
    if not result.ok:
        return _render_readings_preview(staged, errors=result.errors)
    flash(_('Recorded %(recorded)s.', recorded=services.readings_text(result.recorded, result.corrected)), "success")
    return redirect(url_for("imports.readings_preview", upload_id=staged.id))


# --- payments made -------------------------------------------------------------------------------


def _payments_help():
    from contracts_app.spend import sheet as payments_sheet

    max_bytes, max_rows = readings_sheet.limits()
    return {"columns": payments_sheet.COLUMNS, "max_size": reader.human_size(max_bytes), "max_rows": max_rows}


def _render_payments_upload(form, errors=None, filename=None, status=200):
    return render_template("imports/payments_upload.html", form=form, errors=errors, filename=filename,
                           **_payments_help()), status


@bp.route("/imports/payments/template.csv")
def payments_template():
    """The payments sheet's header row, to fill in."""
    from contracts_app.spend import sheet as payments_sheet

    require(can_import_payments(current_user))
    return Response(payments_sheet.csv_template(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="payments-template.csv"'})


@bp.route("/imports/payments", methods=["GET", "POST"])
def payments_upload():
    """Upload payments made (an .xlsx or CSV): every problem by row and column, or a preview."""
    from contracts_app.spend import sheet as payments_sheet

    require(can_import_payments(current_user))
    form = PaymentsUploadForm()
    if not form.validate_on_submit():
        return _render_payments_upload(form)
    storage = form.file.data
    text, encoding, status = _read_sheet(form)
    if text is None:
        return _render_payments_upload(form, status=status)
    checked = payments_sheet.check_sheet(text, current_user, utcnow())
    if not checked.ok:
        return _render_payments_upload(form, errors=checked.errors, filename=services.clean_filename(storage.filename))
    staged = services.stage_upload(text, encoding, storage.filename, current_user, kind=PAYMENTS)
    return redirect(url_for("imports.payments_preview", upload_id=staged.id))


def _own_payments_upload(upload_id):
    return _own_upload(upload_id, PAYMENTS, can_import_payments)


def _render_payments_preview(staged, errors=None, status=200):
    from contracts_app.spend import sheet as payments_sheet

    context = {"upload": staged, "commit_form": CommitForm(), "form": PaymentsUploadForm(formdata=None), **_payments_help()}
    if staged.committed_at is None and errors is None:
        checked = payments_sheet.check_sheet(staged.content, current_user, utcnow())
        if checked.ok:
            context["preview"] = checked
        errors = checked.errors
    return render_template("imports/payments_preview.html", errors=errors, **context), status


@bp.route("/imports/payments/<int:upload_id>")
def payments_preview(upload_id):
    return _render_payments_preview(_own_payments_upload(upload_id))


@bp.route("/imports/payments/<int:upload_id>/commit", methods=["POST"])
def payments_commit(upload_id):
    staged = _own_payments_upload(upload_id)
    if not CommitForm().validate_on_submit():
        abort(400)
    try:
        result = services.commit_payments_upload(staged, current_user)
    except services.ImportRefused as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("imports.payments_preview", upload_id=staged.id))
    if not result.ok:
        return _render_payments_preview(staged, errors=result.errors)
    flash(_("Recorded %(count)s.", count=plural(result.recorded, "payment")), "success")
    return redirect(url_for("imports.payments_preview", upload_id=staged.id))


# --- open contracting data (OCDS) ----------------------------------------------------------------


def _ocds_help():
    return {"max_size": reader.human_size(current_app.config["OCDS_IMPORT_MAX_BYTES"])}


def _render_ocds_upload(form, check=None, filename=None, status=200):
    return render_template("imports/ocds_upload.html", form=form, check=check, filename=filename,
                           **_ocds_help()), status


@bp.route("/imports/ocds", methods=["GET", "POST"])
def ocds_upload():
    """Upload a city's open contracting data: every problem with its JSON path, or a preview."""
    from contracts_app.ocds import importer

    require(can_import_ocds(current_user))
    form = OcdsUploadForm()
    if not form.validate_on_submit():
        return _render_ocds_upload(form)
    storage = form.file.data
    limit = current_app.config["OCDS_IMPORT_MAX_BYTES"]
    # One byte more than allowed: enough to know the file is too large, never more.
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        form.file.errors.append(_("The file is larger than %(size)s; import it with the command line "
                                  "(flask import ocds) instead.", size=reader.human_size(limit)))
        return _render_ocds_upload(form, status=413)
    try:
        declared = (form.encoding.data or "").strip() or storage.mimetype_params.get("charset") or None
        stream, encoding = importer.open_utf8(io.BytesIO(data), declared)
        text = stream.read().decode("utf-8")
    except importer.OcdsFileError as error:
        form.file.errors.append(str(error))
        return _render_ocds_upload(form)
    check = importer.check(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    filename = services.clean_filename(storage.filename)
    if not check.ok:
        return _render_ocds_upload(form, check=check, filename=filename)
    staged = services.stage_upload(text, encoding, storage.filename, current_user, kind=OCDS)
    return redirect(url_for("imports.ocds_preview", upload_id=staged.id))


def _own_ocds_upload(upload_id):
    return _own_upload(upload_id, OCDS, can_import_ocds)


def _render_ocds_preview(staged, check=None, status=200):
    from contracts_app.ocds import importer

    context = {"upload": staged, "commit_form": CommitForm(), "form": OcdsUploadForm(formdata=None), **_ocds_help()}
    if staged.committed_at is None and check is None:
        check = importer.check(io.BytesIO(staged.content.encode("utf-8")), encoding="utf-8")
    return render_template("imports/ocds_preview.html", check=check, **context), status


@bp.route("/imports/ocds/<int:upload_id>")
def ocds_preview(upload_id):
    return _render_ocds_preview(_own_ocds_upload(upload_id))


@bp.route("/imports/ocds/<int:upload_id>/commit", methods=["POST"])
def ocds_commit(upload_id):
    staged = _own_ocds_upload(upload_id)
    if not CommitForm().validate_on_submit():
        abort(400)
    try:
        result = services.commit_ocds_upload(staged, current_user)
    except services.ImportRefused as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("imports.ocds_preview", upload_id=staged.id))
    if not result.ok:
        return _render_ocds_preview(staged, check=result)
    if not (result.count("create") or result.count("update")):
        flash(_("Nothing to import: every contract of the file is in the register as the file has it, or left "
                "out. Nothing was written."), "info")
        return redirect(url_for("imports.ocds_preview", upload_id=staged.id))
    flash(_("Imported the open contracting data: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(skipped)s skipped.", created=result.count("create"), updated=result.count("update"),
            unchanged=result.count("unchanged"), skipped=result.count("skip")), "success")
    return redirect(url_for("imports.ocds_preview", upload_id=staged.id))
