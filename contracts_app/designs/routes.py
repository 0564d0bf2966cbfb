import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract
from contracts_app.contracts.queries import priorities_by_name
from contracts_app.designs import bp, services
from contracts_app.designs.forms import ImportTemplateForm, SaveTemplateForm
from contracts_app.designs.models import ContractTemplate
from contracts_app.extensions import db
from contracts_app.forms_common import errors_on
from contracts_app.metrics.models import CADENCES, DIRECTIONS
from contracts_app.milestones.models import MILESTONE_TYPES
from contracts_app.payments.models import BILLING_PERIODS, RULE_KINDS
from contracts_app.permissions import can_save_templates, require

FILTERS = ("q", "priority", "department", "payment_structure", "kind")


@bp.route("/contract-templates")
def index():
    filters = {name: (request.args.get(name) or "").strip()[:200] for name in FILTERS}
    kinds, departments = services.filter_choices()
    return render_template("designs/index.html", templates=db.session.scalars(services.library_query(filters)).all(),
                           filters=filters, kinds=kinds, departments=departments, priorities=priorities_by_name(),
                           payment_structures=PAYMENT_STRUCTURES)


@bp.route("/contract-templates/<int:template_id>")
def detail(template_id):
    template = db.get_or_404(ContractTemplate, template_id)
    return render_template("designs/detail.html", template=template, contracts=services.contracts_from(template),
                           **_design_labels())


@bp.route("/contract-templates/<int:template_id>.json")
def export(template_id):
    template = db.get_or_404(ContractTemplate, template_id)
    body = json.dumps(services.export_document(template), indent=2, ensure_ascii=False)
    filename = f"contract-template-{template.id}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/contracts/<int:contract_id>/save-template", methods=["GET", "POST"])
def save(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_save_templates(current_user))
    form = SaveTemplateForm()
    if request.method == "GET":
        form.name.data = contract.title
    if form.validate_on_submit():
        with errors_on(form):
            template = services.save_from_contract(contract, current_user, form.name.data, form.kind_of_service.data,
                                                   form.note.data)
            flash(_("Saved %(reference)s as the template %(name)s.", reference=contract.reference, name=template.name),
                  "success")
            return redirect(url_for("designs.detail", template_id=template.id))
    return render_template("designs/save.html", form=form, contract=contract)


@bp.route("/contract-templates/import", methods=["GET", "POST"])
def import_page():
    """Upload a template file: checked and previewed; written only when the preview is confirmed."""
    require(can_save_templates(current_user))
    form = ImportTemplateForm()
    document, problems, status = None, [], 200
    if request.method == "POST" and form.validate_on_submit():
        confirming = bool(form.document.data)
        if confirming:
            document, problems = services.parse_document(form.document.data)
        elif form.file.data:
            document, problems = services.parse_document(form.file.data.read())
        else:
            problems, status = [("$", _("Choose a template file to upload."))], 400
        if confirming and not problems:
            try:
                template = services.import_document(document, current_user)
            except services.TemplateError as error:
                problems = error.problems or [("$", error.message)]
            else:
                flash(_("Imported the template %(name)s.", name=template.name), "success")
                return redirect(url_for("designs.detail", template_id=template.id))
        if not problems:
            form.document.data = json.dumps(document)
    if problems and status == 200:
        status = 422
    return render_template("designs/import.html", form=form, document=None if problems else document,
                           problems=problems, **_design_labels()), status


def _design_labels():
    """The label tables designs/_design.html shows a template's codes by."""
    return dict(payment_structures=PAYMENT_STRUCTURES, directions=DIRECTIONS, cadences=CADENCES,
                billing_periods=BILLING_PERIODS, rule_kinds=RULE_KINDS, milestone_types=MILESTONE_TYPES)
