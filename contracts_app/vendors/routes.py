"""Vendor reporting pages: the vendor contact's own pages (/vendor/...), the invitation link,
and the staff side (inviting and revoking contacts, the verification queue)."""
from flask_babel import gettext as _
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from contracts_app.digits import ascii_digits
from contracts_app.attachments.services import AttachmentError
from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.i18n import in_language_of
from contracts_app.extensions import db
from contracts_app.forms_common import errors_on, show_error
from contracts_app.http import is_api_request
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric
from contracts_app.metrics.status import today_for
from contracts_app.permissions import (
    can_invite_vendor_contact, can_see_vendor_contacts, can_use_vendor_pages, can_verify_submissions, is_vendor_contact,
    require,
)
from contracts_app.vendors import bp, queries, services
from contracts_app.vendors.forms import ActionForm, InviteForm, ReturnForm, SetPasswordForm, SubmissionForm
from contracts_app.vendors.models import VendorSubmission

# All a signed-in vendor contact may open; every other page answers 403 for them.
VENDOR_ENDPOINTS = {
    "vendors.home", "vendors.contract", "vendors.submit", "vendors.invitation", "auth.logout", "static",
    # Their own account page (the language of their pages and emails).
    "auth.account",
    # Their own submissions' evidence files (permissions.can_view_attachment decides which).
    "attachments.download",
    # The single sign-on start and callback (open to anyone signed out; a signed-in visitor is
    # only sent home by them).
    "auth.oidc_login", "auth.oidc_callback",
    # Public endpoints for machines (no sign-in): the same answer whoever asks.
    "operations.healthz", "operations.metrics",
}


@bp.before_app_request
def keep_vendor_contacts_to_their_pages():
    """Vendor contacts reach their own pages only: checked centrally, before every request, so a
    staff page added later is closed to them without anyone remembering to."""
    if is_api_request() or request.endpoint is None:
        return None  # the API refuses vendor contacts' tokens (api/tokens.py)
    if not is_vendor_contact(current_user) or request.endpoint in VENDOR_ENDPOINTS or request.blueprint == "public":
        return None
    if request.endpoint in ("main.index", "auth.login"):
        return redirect(url_for("vendors.home"))
    abort(403)


@bp.app_context_processor
def inject_vendor_helpers():
    """``vendor_contacts(contract)`` for the contract page's vendor contacts section, queried
    only when the page shows it (so contracts/routes.py needs no change)."""

    def vendor_contacts(contract):
        if not can_see_vendor_contacts(current_user, contract):
            return []
        return queries.contacts_for(contract)

    return {"vendor_contacts": vendor_contacts}


# ``{{ day|period_label(cadence) }}``: a reporting period in the one style ("Oct 2026").
bp.add_app_template_filter(rules.period_label, "period_label")


# --- the vendor contact's pages -------------------------------------------------------------


def _vendor_contract_or_404(contract_id, now):
    require(can_use_vendor_pages(current_user))
    return queries.active_contract(current_user, contract_id, now) or abort(404)


@bp.route("/vendor/")
def home():
    require(can_use_vendor_pages(current_user))
    now = utcnow()
    return render_template("vendors/home.html", contracts=queries.vendor_contracts(current_user, now))


def _render_contract(contract, now, failed=None):
    """The vendor's contract page; ``failed`` is the (metric id, period start, form) of a
    submission that was refused, shown in place of that period's empty form."""
    rows = queries.vendor_metrics(contract, now)
    forms = {}
    for row in rows:
        for due in row.due:
            key = (row.metric.id, due.period.start.isoformat())
            if failed and failed[:2] == key:
                forms[key] = failed[2]
            else:
                forms[key] = SubmissionForm(formdata=None, metric_id=row.metric.id, period=key[1], prefix=f"m{key[0]}-{key[1]}")
    if failed and failed[:2] not in forms:
        # The period is no longer due (submitted in another tab, recorded meanwhile) or the
        # metric is not the vendor's: there is no form to show the message on.
        for messages in failed[2].errors.values():
            for message in messages:
                flash(_('Not submitted: %(message)s', message=message), "error")
    return render_template(
        "vendors/contract.html", contract=contract, rows=rows, forms=forms, today=today_for(now),
    )


@bp.route("/vendor/contracts/<int:contract_id>")
def contract(contract_id):
    now = utcnow()
    return _render_contract(_vendor_contract_or_404(contract_id, now), now)


@bp.route("/vendor/contracts/<int:contract_id>/submissions", methods=["POST"])
def submit(contract_id):
    now = utcnow()
    contract = _vendor_contract_or_404(contract_id, now)
    metric_id, period = request.form.get("metric_id", ""), request.form.get("period", "")
    if not ascii_digits(metric_id):
        abort(400)
    form = SubmissionForm(prefix=f"m{metric_id}-{period}")
    form.metric_id.data, form.period.data = metric_id, period
    metric = db.session.get(Metric, int(metric_id)) if len(metric_id) < 10 else None
    prefix = f"m{metric_id}-{period}-group-"
    form.group_values = {
        group.id: request.form.get(f"{prefix}{group.id}", "").strip()
        for dimension in (metric.dimensions if metric is not None else []) for group in dimension.groups
        if request.form.get(f"{prefix}{group.id}", "").strip()
    }
    if form.validate_on_submit():
        try:
            services.submit_value(
                contract, current_user, metric, period, form.value.data, form.note.data, now=now, evidence=form.files,
                groups=form.group_values,
            )
        except services.VendorError as error:
            show_error(form, error, "value")
        except AttachmentError as error:
            # The whole submission was refused with the file; the file box comes back empty.
            form.evidence.errors = [error.message]
        else:
            flash(_('%(name)s submitted; it waits for %(name_2)s to verify it.', name=metric.name, name_2=contract.contract_manager.name if contract.contract_manager else _('the contract manager')), "success")
            return redirect(url_for("vendors.contract", contract_id=contract.id))
    return _render_contract(contract, now, failed=(int(metric_id), period, form))


# --- the invitation link --------------------------------------------------------------------


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    now = utcnow()
    invite, state = queries.invitation_state(token, now)
    if state == queries.UNKNOWN:
        return render_template("vendors/invitation_invalid.html", state=state), 404
    if state != queries.VALID:
        return render_template("vendors/invitation_invalid.html", state=state), 410
    # The page is in the language the contact was invited in, as the email was.
    with in_language_of(invite.user):
        return _invitation_page(token, invite, now)


def _invitation_page(token, invite, now):
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.password.data, form.confirm.data, now=now)
        except services.VendorError as error:
            if error.field == "token":
                return render_template("vendors/invitation_invalid.html", state=queries.USED), 410
            show_error(form, error, "password")
        else:
            login_user(user)
            flash(_('Welcome, %(name)s. Your password is set; sign in with %(email)s from now on.', name=user.name, email=user.email), "success")
            return redirect(url_for("vendors.home"))
    return render_template("vendors/invitation.html", form=form, invitation=invite)


# --- staff: contacts ------------------------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/vendor-contacts/new", methods=["GET", "POST"])
def invite(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_invite_vendor_contact(current_user, contract))
    form = InviteForm()
    if form.validate_on_submit():
        with errors_on(form, "email"):
            user, invitation = services.invite_contact(
                contract, current_user, form.name.data, form.email.data, language=form.language.data or None,
            )
            flash(_('Invitation sent to %(name)s (%(email)s); the link works for %(days)s days.', name=user.name, email=user.email, days=_days()), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="vendor-contacts"))
    return render_template("vendors/invite.html", form=form, contract=contract)


def _days():
    return current_app.config["VENDOR_INVITE_DAYS"]


@bp.route("/contracts/<int:contract_id>/vendor-contacts/<int:user_id>/revoke", methods=["POST"])
def revoke(contract_id, user_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_invite_vendor_contact(current_user, contract))
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        with errors_on(None):
            if services.revoke_access(contract, current_user, user):
                flash(_('%(name)s can no longer report on %(reference)s.', name=user.name, reference=contract.reference), "success")
            else:
                flash(_("%(name)s's access was already revoked.", name=user.name), "info")
    return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="vendor-contacts"))


# --- staff: the verification queue ----------------------------------------------------------


def _render_queue(failed=None):
    rows = queries.verification_queue(current_user)
    return_forms = {
        row.submission.id: (failed[1] if failed and failed[0] == row.submission.id else ReturnForm(formdata=None, prefix=f"s{row.submission.id}"))
        for row in rows
    }
    return render_template(
        "vendors/queue.html", rows=rows, return_forms=return_forms,
    )


@bp.route("/verification")
def queue():
    require(can_verify_submissions(current_user))
    return _render_queue()


def _submission_or_404(submission_id):
    submission = db.get_or_404(VendorSubmission, submission_id)
    require(can_verify_submissions(current_user, submission.metric.contract))
    return submission


@bp.route("/submissions/<int:submission_id>/accept", methods=["POST"])
def accept(submission_id):
    submission = _submission_or_404(submission_id)
    if ActionForm().validate_on_submit():
        with errors_on(None):
            reading = services.accept_submission(submission, current_user)
            label = rules.Period(reading.period_start, reading.period_end).label(submission.metric.cadence)
            flash(
                _('Accepted: %(name)s for %(label)s is recorded (%(status)s).', name=submission.metric.name, label=label, status=rules.STATUS_LABELS.get(reading.status, reading.status)), "success",
            )
    return redirect(url_for("vendors.queue"))


@bp.route("/submissions/<int:submission_id>/return", methods=["POST"])
def return_submission(submission_id):
    submission = _submission_or_404(submission_id)
    form = ReturnForm(prefix=f"s{submission.id}")
    if form.validate_on_submit():
        try:
            services.return_submission(submission, current_user, form.reason.data)
        except services.SubmissionStateError as error:
            flash(str(error), "error")
            return redirect(url_for("vendors.queue"))
        except services.VendorError as error:
            show_error(form, error, "reason")
        else:
            flash(_('Returned to %(name)s; they are told why and can submit again.', name=submission.submitted_by.name), "success")
            return redirect(url_for("vendors.queue"))
    if submission.state != "pending":
        flash(_('This submission has already been accepted or returned.'), "error")
        return redirect(url_for("vendors.queue"))
    return _render_queue(failed=(submission.id, form))
