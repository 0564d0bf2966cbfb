from flask_babel import gettext as _
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.amendments import services as amendment_services
from contracts_app.audit.queries import contract_history_select
from contracts_app.db_types import utcnow
from contracts_app.metrics.status import today_for
from contracts_app.spend import queries as spend_queries
from contracts_app.auth.models import CONTRACT_MANAGER, PROCUREMENT_OFFICER
from contracts_app.contracts import bp
from contracts_app.contracts import queries, services
from contracts_app.contracts.forms import ArchiveForm, ContractForm, DepartmentForm, RestoreForm, VendorForm
from contracts_app.contracts.models import PAYMENT_STRUCTURES, STATUSES, Contract, Department, Vendor
from contracts_app.designs import services as design_services
from contracts_app.designs.models import ContractTemplate
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.summaries import contract_metric_summaries
from contracts_app.permissions import can_create_contracts, can_edit_contract, can_restore_contract, require
from contracts_app.forms_common import errors_on
from contracts_app.query_args import int_arg

# Changes shown per page of a contract's history (older ones a click away).
HISTORY_PER_PAGE = 25


@bp.route("/contracts")
def index():
    filters, sort, direction, page, problems = queries.parse_register_args(request.args)
    if problems:
        flash(_('Ignored filter values that were not valid: %(problems)s.', problems=', '.join(sorted(set(problems)))), "warning")
    pagination = db.paginate(
        queries.register_query(filters, sort, direction),
        page=page, per_page=current_app.config["PER_PAGE"], error_out=False, count=True,
    )
    return render_template(
        "contracts/index.html",
        contracts=pagination.items,
        spend=spend_queries.spend_for_contracts(pagination.items, today_for(utcnow())),
        pagination=pagination,
        filters=filters,
        sort=sort,
        direction=direction,
        priorities=queries.priorities_by_name(),
        vendors=queries.vendors_by_name(),
        departments=queries.departments(),
        statuses=STATUSES,
        payment_structures=PAYMENT_STRUCTURES,
        health_labels=rules.STATUS_LABELS,
    )


def _get_contract(contract_id):
    return db.get_or_404(
        Contract, contract_id,
        options=[joinedload(Contract.vendor), selectinload(Contract.priorities), selectinload(Contract.milestones)],
    )


@bp.route("/contracts/<int:contract_id>")
def detail(contract_id):
    contract = _get_contract(contract_id)
    problems = []
    history_page = int_arg(request.args, "history_page", problems) or 1
    changes_page = db.paginate(
        contract_history_select(contract.id), page=history_page, per_page=HISTORY_PER_PAGE, error_out=False,
    )
    today = today_for(utcnow())
    all_payments = request.args.get("payments") == "all"
    payments, more_payments = spend_queries.contract_payments(
        contract.id, None if all_payments else spend_queries.PAYMENTS_SHOWN)
    return render_template(
        "contracts/detail.html",
        contract=contract,
        spend=spend_queries.contract_spend(contract, today),
        payments=payments,
        more_payments=more_payments,
        amendments=amendment_services.contract_amendments(contract.id),
        describe_amendment=amendment_services.description,
        first_time_vendor=queries.is_first_contract_of_vendor(contract),
        metric_summaries=contract_metric_summaries(contract),
        changes_page=changes_page,
        archive_form=ArchiveForm(),
        restore_form=RestoreForm(),
    )


def _user_choices(role):
    return [(u.id, f"{u.name} ({u.email})") for u in queries.active_users(role)]


def _prepare_form(form):
    form.vendor_id.choices = [("", _("— pick a vendor —"))] + [(v.id, v.name) for v in queries.vendors_by_name()]
    form.priority_ids.choices = [(p.id, p.name) for p in queries.priorities_by_name()]
    form.procurement_officer_id.choices = [("", _("— none —"))] + _user_choices(PROCUREMENT_OFFICER)
    form.contract_manager_id.choices = [("", _('— not yet assigned —'))] + _user_choices(CONTRACT_MANAGER)
    form.amendment_approver_id.choices = [("", _("— pick the approver —"))] + [
        (u.id, f"{u.name} ({u.role_label})") for u in amendment_services.approver_choices()
    ]
    return form


def _form_data(form):
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    data["new_vendor_name"] = (data.get("new_vendor_name") or "").strip()
    if isinstance(form, ContractForm):
        data["option_rows"] = form.option_values()
    return data


@bp.route("/contracts/new", methods=["GET", "POST"])
def new():
    require(can_create_contracts(current_user))
    form = _prepare_form(ContractForm())
    problems = []
    template_id = int_arg(request.args, "template", problems)
    template = db.get_or_404(ContractTemplate, template_id) if template_id else None
    if problems:
        abort(404)
    if request.method == "GET":
        if template is not None:
            for name, value in design_services.prefill(template).items():
                getattr(form, name).data = value
            names = set((template.design.get("suggestions") or {}).get("priorities") or [])
            form.priority_ids.data = [p.id for p in queries.priorities_by_name() if p.name in names]
        form.procurement_officer_id.data = current_user.id
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
        form.status.data = "active"
        form.fill_option_rows()
    if form.validate_on_submit():
        with errors_on(form):
            # From a template, the contract and what the template gives it are one transaction
            # (apply_to_contract commits both, or a refusal rolls both back).
            contract = services.create_contract(_form_data(form), current_user, commit=template is None)
            if template is not None:
                added = design_services.apply_to_contract(contract, template, current_user)
                flash(_('Contract %(reference)s registered from the template %(name)s: set its metrics\' baselines and '
                        'targets, and check its payment terms and milestones.', reference=contract.reference,
                        name=template.name), "success")
                if added:
                    flash(_('The template added the dimensions %(names)s to the city, with its groups: check them on the '
                            'Dimensions page.', names=", ".join(added)), "warning")
                return redirect(url_for("contracts.detail", contract_id=contract.id))
            flash(_('Contract %(reference)s registered. Now add its key metrics.', reference=contract.reference), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=None, department_names=queries.departments(),
                           template=template), 200


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
def edit(contract_id):
    contract = _get_contract(contract_id)
    require(can_edit_contract(current_user, contract))
    form = _prepare_form(ContractForm(obj=contract))
    if request.method == "GET":
        form.priority_ids.data = [p.id for p in contract.priorities]
        form.amended_on.data = today_for(utcnow())
        form.fill_option_rows(contract.options)
    if form.validate_on_submit():
        with errors_on(form):
            services.update_contract(contract, _form_data(form), current_user)
            flash(_('Contract %(reference)s updated.', reference=contract.reference), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=contract, department_names=queries.departments(),
                           asks_amendment=amendment_services.needs_amendment(contract))


@bp.route("/contracts/<int:contract_id>/archive", methods=["GET", "POST"])
def archive(contract_id):
    contract = _get_contract(contract_id)
    require(can_edit_contract(current_user, contract))
    form = ArchiveForm()
    if form.validate_on_submit():
        with errors_on(form):
            services.archive_contract(contract, current_user, form.reason.data)
            flash(_('Contract %(reference)s archived. It keeps all its data and can be restored.', reference=contract.reference), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/archive.html", form=form, contract=contract)


@bp.route("/contracts/<int:contract_id>/restore", methods=["POST"])
def restore(contract_id):
    contract = _get_contract(contract_id)
    require(can_restore_contract(current_user, contract))
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    with errors_on(None):
        services.restore_contract(contract, current_user)
        flash(_('Contract %(reference)s restored.', reference=contract.reference), "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.route("/vendors")
def vendors():
    return render_template("contracts/vendors.html", rows=queries.vendor_summaries())


@bp.route("/vendors/<int:vendor_id>")
def vendor_detail(vendor_id):
    vendor = db.get_or_404(Vendor, vendor_id)
    return render_template("contracts/vendor_detail.html", vendor=vendor, contracts=queries.vendor_contracts(vendor))


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
def vendor_edit(vendor_id):
    vendor = db.get_or_404(Vendor, vendor_id)
    require(can_create_contracts(current_user))
    form = VendorForm(obj=vendor)
    if form.validate_on_submit():
        with errors_on(form):
            services.update_vendor(vendor, _form_data(form), current_user)
            flash(_('Vendor %(name)s updated.', name=vendor.name), "success")
            return redirect(url_for("contracts.vendor_detail", vendor_id=vendor.id))
    return render_template("contracts/vendor_form.html", form=form, vendor=vendor)


@bp.route("/departments")
def departments():
    return render_template("contracts/departments.html", rows=queries.department_summaries())


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def department_edit(department_id):
    department = db.get_or_404(Department, department_id)
    require(can_create_contracts(current_user))
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        with errors_on(form):
            old = department.name
            services.rename_department(department, form.name.data, current_user)
            if department.name != old:
                flash(_('Department %(old)s renamed to %(name)s.', old=old, name=department.name), "success")
            return redirect(url_for("contracts.departments"))
    return render_template("contracts/department_form.html", form=form, department=department)
