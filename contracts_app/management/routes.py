"""Active management pages: the flags list, check-ins (schedule, agenda, record, invite) and
action items. The contract page shows flags and check-ins through the partials
management/_contract_flags.html and management/_contract_checkins.html, which get their data
from the ``contract_management`` template global registered here."""
from flask_babel import gettext as _
from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.management import bp
from contracts_app.management import queries, services
from contracts_app.management.agenda import build_agenda
from contracts_app.management.forms import (
    ActionItemStatusForm, CancelCheckInForm, CheckInForm, RecordCheckInForm, ResolveFlagForm,
)
from contracts_app.management.ics import checkin_invite
from contracts_app.management.models import FLAG_KINDS, SEVERITIES, ActionItem, CheckIn, Flag
from contracts_app.metrics.status import today_for
from contracts_app.permissions import can_manage_contract, require
from contracts_app.forms_common import errors_on, show_error

# --- template helpers -------------------------------------------------------------------------


@bp.app_template_global()
def contract_management(contract):
    """Flags, check-ins and action items of ``contract`` for the contract page (cached per
    request, so both partials share the same five queries)."""
    cache = g.setdefault("_contract_management", {})
    if contract.id not in cache:
        cache[contract.id] = queries.contract_management(contract)
    return cache[contract.id]


def _pending_link(checkin):
    return Markup('<a href="{}">the {} check-in of {}</a>').format(
        url_for("management.checkin_detail", checkin_id=checkin.id),
        escape(checkin.status_label.lower()),
        escape(long_date(checkin.scheduled_for)),
    )


# --- flags ------------------------------------------------------------------------------------


@bp.route("/flags")
def flags():
    filters, page, problems = queries.parse_flag_args(request.args)
    if problems:
        flash(_('Ignored filter values that were not valid: %(problems)s.', problems=', '.join(sorted(set(problems)))), "warning")
    pagination = db.paginate(
        queries.flags_query(filters, current_user), page=page, per_page=current_app.config["PER_PAGE"], error_out=False, count=True,
    )
    departments = db.session.scalars(select(Contract.department).distinct().order_by(Contract.department)).all()
    contract = db.session.get(Contract, filters["contract"]) if filters["contract"] else None
    return render_template(
        "management/flags.html", flags=pagination.items, pagination=pagination, filters=filters,
        kinds=FLAG_KINDS, severities=SEVERITIES, departments=departments, contract=contract, now=utcnow(),
    )


@bp.route("/flags/<int:flag_id>")
def flag_detail(flag_id):
    flag = db.get_or_404(
        Flag, flag_id,
        options=[joinedload(Flag.contract), joinedload(Flag.metric), joinedload(Flag.milestone), selectinload(Flag.checkins)],
    )
    return render_template("management/flag_detail.html", flag=flag, form=ResolveFlagForm(), now=utcnow())


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
def resolve_flag(flag_id):
    flag = db.get_or_404(Flag, flag_id, options=[joinedload(Flag.contract)])
    require(can_manage_contract(current_user, flag.contract))
    form = ResolveFlagForm()
    if not flag.is_open:
        flash(_('This flag is already resolved; nothing was changed.'), "info")
        return redirect(url_for("management.flag_detail", flag_id=flag.id))
    if form.validate_on_submit():
        with errors_on(form, "note"):
            resolved = services.resolve_flag(flag, current_user, form.note.data)
            if resolved:
                flash(_('Flag resolved.'), "success")
            else:
                flash(_('This flag was already resolved (by the sweep or someone else); nothing was changed.'), "info")
            return redirect(url_for("management.flag_detail", flag_id=flag.id))
    return render_template("management/flag_detail.html", flag=flag, form=form, now=utcnow())


# --- check-ins --------------------------------------------------------------------------------


def _contract_or_404(contract_id):
    return db.get_or_404(Contract, contract_id, options=[joinedload(Contract.vendor)])


def _checkin_or_404(checkin_id):
    return db.get_or_404(CheckIn, checkin_id, options=[joinedload(CheckIn.contract)])


@bp.route("/contracts/<int:contract_id>/checkins")
def contract_checkins(contract_id):
    contract = _contract_or_404(contract_id)
    checkins = db.session.scalars(
        select(CheckIn)
        .options(selectinload(CheckIn.action_items), selectinload(CheckIn.flags))
        .where(CheckIn.contract_id == contract.id)
        .order_by(CheckIn.scheduled_for.desc(), CheckIn.id.desc())
    ).all()
    return render_template(
        "management/contract_checkins.html", contract=contract, checkins=checkins,
        pending=queries.pending_checkin(contract.id),
    )


@bp.route("/contracts/<int:contract_id>/checkins/new", methods=["GET", "POST"])
def new_checkin(contract_id):
    contract = _contract_or_404(contract_id)
    require(can_manage_contract(current_user, contract))
    now = utcnow()
    form = CheckInForm(today=today_for(now))
    pending = queries.pending_checkin(contract.id)
    if pending is None and form.validate_on_submit():
        try:
            checkin = services.schedule_checkin(contract, current_user, form.values(), now=now)
        except services.ManagementError as error:
            pending = error.checkin
            if pending is None:
                show_error(form, error, "scheduled_for")
        else:
            flash(_('Check-in scheduled for %(scheduled_for)s.', scheduled_for=long_date(checkin.scheduled_for)), "success")
            return redirect(url_for("management.checkin_detail", checkin_id=checkin.id))
    return render_template(
        "management/checkin_form.html", form=form, contract=contract, checkin=None,
        pending_link=_pending_link(pending) if pending is not None else None,
    )


@bp.route("/checkins/<int:checkin_id>")
def checkin_detail(checkin_id):
    checkin = db.get_or_404(
        CheckIn, checkin_id,
        options=[joinedload(CheckIn.contract), selectinload(CheckIn.flags), selectinload(CheckIn.action_items)],
    )
    contract = checkin.contract
    agenda = build_agenda(contract, checkin)
    return render_template(
        "management/checkin_detail.html", checkin=checkin, contract=contract, agenda=agenda,
        cancel_form=CancelCheckInForm(), status_form=ActionItemStatusForm(),
    )


def _pending_checkin_to_change(checkin_id, doing):
    """(check-in, None) for someone who may manage its contract, or (check-in, a redirect to
    it) when it is no longer pending and so cannot be ``doing``."""
    checkin = _checkin_or_404(checkin_id)
    require(can_manage_contract(current_user, checkin.contract))
    if not checkin.is_pending:
        flash(_('This check-in is %(lower)s: it cannot be %(doing)s.', lower=checkin.status_label.lower(), doing=doing), "warning")
        return checkin, redirect(url_for("management.checkin_detail", checkin_id=checkin.id))
    return checkin, None


@bp.route("/checkins/<int:checkin_id>/edit", methods=["GET", "POST"])
def edit_checkin(checkin_id):
    checkin, refused = _pending_checkin_to_change(checkin_id, "changed")
    if refused:
        return refused
    now = utcnow()
    form = CheckInForm(obj=checkin, today=today_for(now))
    if form.validate_on_submit():
        with errors_on(form, "scheduled_for"):
            services.update_checkin(checkin, current_user, form.values(), now=now)
            flash(_('Check-in scheduled for %(scheduled_for)s.', scheduled_for=long_date(checkin.scheduled_for)), "success")
            return redirect(url_for("management.checkin_detail", checkin_id=checkin.id))
    return render_template(
        "management/checkin_form.html", form=form, contract=checkin.contract, checkin=checkin, pending_link=None,
    )


@bp.route("/checkins/<int:checkin_id>/record", methods=["GET", "POST"])
def record_checkin(checkin_id):
    checkin, refused = _pending_checkin_to_change(checkin_id, "recorded as held")
    if refused:
        return refused
    contract = checkin.contract
    now = utcnow()
    today = today_for(now)
    agenda = build_agenda(contract, checkin, now=now)
    choices = {flag.id: flag for flag in queries.open_flags(contract)}
    for flag in agenda.new_items:
        choices.setdefault(flag.id, flag)
    if request.method == "GET":
        form = RecordCheckInForm(
            today=today, held_on=min(checkin.scheduled_for, today), city_attendees=checkin.city_attendees,
            vendor_attendees=checkin.vendor_attendees, flag_ids=[f.id for f in agenda.new_items],
        )
    else:
        form = RecordCheckInForm(today=today)
    form.flag_ids.choices = [
        (flag.id, f"{flag.kind_label}: {flag.subject_label}, {flag.period_label}"
         + ("" if flag.is_open else " (resolved)"))
        for flag in choices.values()
    ]
    if form.validate_on_submit():
        with errors_on(form, "held_on"):
            services.record_checkin(checkin, current_user, form.values(), now=now)
            flash(_('Check-in recorded as held on %(held_on)s.', held_on=long_date(checkin.held_on)), "success")
            return redirect(url_for("management.checkin_detail", checkin_id=checkin.id))
    return render_template(
        "management/record_form.html", form=form, contract=contract, checkin=checkin, agenda=agenda,
        owner_suggestions=queries.owner_suggestions(contract),
    )


@bp.route("/checkins/<int:checkin_id>/cancel", methods=["POST"])
def cancel_checkin(checkin_id):
    checkin = _checkin_or_404(checkin_id)
    require(can_manage_contract(current_user, checkin.contract))
    form = CancelCheckInForm()
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.reason.errors or [_("Say why the check-in is cancelled.")])), "error")
        return redirect(url_for("management.checkin_detail", checkin_id=checkin.id))
    with errors_on(None):
        services.cancel_checkin(checkin, current_user, form.reason.data)
        flash(_('Check-in cancelled.'), "success")
    return redirect(url_for("management.checkin_detail", checkin_id=checkin.id))


@bp.route("/checkins/<int:checkin_id>/invite.ics")
def checkin_ics(checkin_id):
    checkin = _checkin_or_404(checkin_id)
    if not checkin.is_pending:
        # 409: the check-in exists, but a held or cancelled meeting has nothing to invite to.
        return render_template("management/no_invite.html", checkin=checkin), 409
    agenda = build_agenda(checkin.contract, checkin)
    host = current_app.config.get("SERVER_NAME") or request.host or "rdc-tracker"
    response = make_response(checkin_invite(checkin, agenda, host.split(":")[0]))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    filename = f"checkin-{checkin.contract.reference}-{checkin.scheduled_for.isoformat()}.ics"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


# --- action items -----------------------------------------------------------------------------


@bp.route("/action-items/<int:item_id>/status", methods=["POST"])
def update_action_item(item_id):
    item = db.get_or_404(ActionItem, item_id, options=[joinedload(ActionItem.contract)])
    require(can_manage_contract(current_user, item.contract))
    form = ActionItemStatusForm()
    target = _safe_next() or url_for("management.checkin_detail", checkin_id=item.checkin_id)
    if not form.validate_on_submit():
        flash(_('Choose a status.'), "error")
        return redirect(target)
    with errors_on(None):
        services.set_action_item_status(item, current_user, form.status.data)
        flash(_('Action item marked %(lower)s.', lower=item.status_label.lower()), "success")
    return redirect(target)


def _safe_next():
    """A same-site path to go back to (never another host)."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
