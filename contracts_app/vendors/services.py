"""Vendor reporting, the commands: invite and revoke vendor contacts, accept an invitation,
submit a value, and accept or return a submission. Services own the transaction: each
validates, writes, audits and commits, or raises ``VendorError`` having written nothing.
"""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from contracts_app.attachments.services import attach
from contracts_app.dimensions.services import group_values_snapshot
from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import VENDOR, User
from contracts_app.auth.passwords import password_problem as password_rules_problem
from contracts_app.auth.services import find_by_email
from contracts_app.db_types import LONG_TEXT, max_length, utcnow
from contracts_app.errors import ConflictError, ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date, number, plain_number
from contracts_app.forms_common import normalise_email_address
from contracts_app.management.models import Flag
from contracts_app.management.sweep import resolve_automatically
from contracts_app.metrics import rules, status
from contracts_app.metrics import services as metric_services
from contracts_app.metrics.models import REPORTED_BY_VENDOR, Reading
from contracts_app.i18n import in_language_of
from contracts_app.notifications.outbox import queue_many
from contracts_app.vendors import queries
from contracts_app.vendors.models import ACCEPTED, PENDING, RETURNED, VendorAccess, VendorInvitation, VendorSubmission
from contracts_app.vendors.tokens import hash_token, new_token

INVITATION_KIND = "vendor_invitation"
RETURNED_KIND = "submission_returned"
# The sweep's own words, so a flag resolved here reads like one the sweep resolved.
READING_ARRIVED = "Resolved automatically: the reading arrived."


class VendorError(ServiceError):
    """A vendor-reporting change that cannot be made; ``field`` names the form field."""


class SubmissionStateError(ConflictError, VendorError):
    """The submission was accepted or returned meanwhile (by someone else, in another tab)."""

    code = "submission_reviewed"


# --- invitations and access -----------------------------------------------------------------


def _invitable(contract):
    if contract.is_archived:
        raise VendorError(_('This contract is archived: restore it before inviting vendor contacts.'))
    if contract.status != "active":
        raise VendorError(_('Vendor contacts can only be invited to an active contract.'))
    if contract.vendor_id is None:
        raise VendorError(_('This contract has no vendor: set its vendor first.'))


def _contact_for(contract, name, email):
    """(user, created) for ``email``: an existing contact of the contract's vendor, or a new
    vendor-role user; refuses staff and other vendors' contacts."""
    try:
        email = normalise_email_address(email)
    except ValueError as error:
        raise VendorError(str(error), "email")
    name = (name or "").strip()
    if not name:
        raise VendorError(_("Give the contact's name."), "name")
    if len(name) > max_length(User.name):
        raise VendorError(_('Use at most %(name)s characters.', name=max_length(User.name)), "name")
    user = find_by_email(email)
    if user is None:
        # Nobody can sign in with this password: it is random and never shown. The contact
        # chooses their own through the invitation link.
        user = User(
            email=email, name=name, role=VENDOR, vendor_id=contract.vendor_id, active=True,
            password_hash=generate_password_hash(secrets.token_urlsafe(32)),
        )
        db.session.add(user)
        return user, True
    if user.role != VENDOR:
        raise VendorError(
            _("%(email)s belongs to a member of staff, not a vendor contact: invite the vendor's own address.", email=email), "email",
        )
    if user.vendor_id != contract.vendor_id:
        raise VendorError(_('%(email)s is a contact of another vendor, so it cannot report on this contract.', email=email), "email")
    if not user.active:
        raise VendorError(_('%(email)s has been deactivated; an admin must reactivate the account first.', email=email), "email")
    return user, False


@command
def invite_contact(contract, actor, name, email, now=None, language=None):
    """Invite a vendor contact to report on ``contract``; returns (user, invitation).

    ``language`` (one of PUBLIC_LANGUAGES; None keeps theirs) is the contact's language: the
    invitation email, their pages and later emails are written in it.

    Creates the vendor-role user if new (or reuses the vendor's existing contact), grants
    access (again, if it had been revoked), replaces any earlier unused invitation of theirs and
    queues the email with the one-time link (valid VENDOR_INVITE_DAYS days).
    """
    now = now or utcnow()
    _invitable(contract)
    if language is not None and language not in current_app.config["PUBLIC_LANGUAGES"]:
        raise VendorError(_("Choose one of the languages offered."), "language")
    user, created = _contact_for(contract, name, email)
    if language is not None and user.language != language:
        user.language = language
    db.session.flush()
    if created:
        record(actor, "create", user, after=snapshot(user),
               summary=f"Created vendor contact {user.email} ({contract.vendor.name})")
    access = db.session.scalar(
        select(VendorAccess).where(VendorAccess.contract_id == contract.id, VendorAccess.user_id == user.id)
    )
    if access is None:
        access = VendorAccess(contract_id=contract.id, user_id=user.id, granted_by_id=actor.id, granted_at=now)
        db.session.add(access)
        try:
            db.session.flush()
        except IntegrityError:
            # Two people invited the same contact at once: the unique (contract, user) let one win.
            db.session.rollback()
            raise VendorError(_('%(email)s was invited to this contract a moment ago.', email=user.email), "email")
        record(actor, "create", access, after=snapshot(access), contract_id=contract.id,
               summary=f"Gave {user.name} ({user.email}) vendor access to {contract.reference}")
    elif access.revoked_at is not None:
        before = snapshot(access)
        access.revoked_at = access.revoked_by_id = None
        access.granted_by_id, access.granted_at = actor.id, now
        db.session.flush()
        record(actor, "update", access, before=before, after=snapshot(access), contract_id=contract.id,
               summary=f"Gave {user.name} ({user.email}) vendor access to {contract.reference} again")
    # Only the newest link works: an older one (in a forwarded or stale email) stops working.
    db.session.execute(
        update(VendorInvitation)
        .where(VendorInvitation.user_id == user.id, VendorInvitation.used_at.is_(None),
               VendorInvitation.superseded_at.is_(None))
        .values(superseded_at=now).execution_options(synchronize_session=False)
    )
    token = new_token()
    days = int(current_app.config["VENDOR_INVITE_DAYS"])
    invitation = VendorInvitation(
        user_id=user.id, contract_id=contract.id, token_hash=hash_token(token), created_by_id=actor.id,
        created_at=now, expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    record(actor, "create", invitation,
           after={"user_id": user.id, "contract_id": contract.id, "expires_at": invitation.expires_at.isoformat()},
           contract_id=contract.id, summary=f"Invited {user.name} ({user.email}) to report on {contract.reference}")
    with in_language_of(user):  # the email is written in the contact's language
        subject = _("%(name)s invites you to report on %(reference)s %(title)s",
                    name=actor.name, reference=contract.reference, title=contract.title)
        body = "\n".join([
            _("%(name)s has invited you to report %(vendor)s's results on %(reference)s %(title)s in RDC Tracker.",
              name=actor.name, vendor=contract.vendor.name, reference=contract.reference, title=contract.title),
            _("Choose a password with the link below. It works once, until %(day)s.",
              day=long_date(invitation.expires_at.date())),
        ])
    queue_many([dict(
        recipient_id=user.id, kind=INVITATION_KIND, dedupe_key=f"{INVITATION_KIND}:{invitation.id}",
        contract_id=contract.id,
        subject=subject,
        body=body,
        # The only copy of the token; the dispatcher blanks it once the email has gone.
        link=f"/invitations/{token}",
    )], now=now)
    db.session.commit()
    return user, invitation


@command
def revoke_access(contract, actor, user, now=None):
    """End ``user``'s vendor access to ``contract`` (their submissions stay); False when it
    was revoked already."""
    now = now or utcnow()
    access = db.session.scalar(
        select(VendorAccess).where(VendorAccess.contract_id == contract.id, VendorAccess.user_id == user.id)
    )
    if access is None:
        raise VendorError(_('%(name)s has no access to this contract.', name=user.name))
    before = snapshot(access)
    # Conditional, so two clicks (or two people) revoke once and audit once.
    changed = db.session.execute(
        update(VendorAccess).where(VendorAccess.id == access.id, VendorAccess.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        return False
    db.session.execute(
        update(VendorInvitation)
        .where(VendorInvitation.user_id == user.id, VendorInvitation.contract_id == contract.id,
               VendorInvitation.used_at.is_(None), VendorInvitation.superseded_at.is_(None))
        .values(superseded_at=now).execution_options(synchronize_session=False)
    )
    db.session.refresh(access)
    record(actor, "update", access, before=before, after=snapshot(access), contract_id=contract.id,
           summary=f"Revoked {user.name}'s ({user.email}) vendor access to {contract.reference}")
    db.session.commit()
    return True


def password_problem(password, confirm):
    """The problem with a chosen password, as (message, field), or None."""
    problem = password_rules_problem(password)  # the one set of rules (auth.passwords)
    if problem:
        return problem, "password"
    if password != confirm:
        return "The two passwords are not the same.", "confirm"
    return None


@command
def accept_invitation(token, password, confirm, now=None):
    """Use an invitation: the contact's chosen password is set and the link stops working.
    Returns the user (the route signs them in). VendorError when the link is not valid."""
    now = now or utcnow()
    invitation, state = queries.invitation_state(token, now)
    if state != queries.VALID:
        raise VendorError(_('This invitation link is not valid any more.'), "token")
    problem = password_problem(password, confirm)
    if problem:
        raise VendorError(*problem)
    user = invitation.user
    if not user.active or user.role != VENDOR:
        raise VendorError(_('This account has been deactivated; ask the city to reactivate it.'), "token")
    # The claim: one conditional UPDATE, so the same link used twice at once sets one password.
    claimed = db.session.execute(
        update(VendorInvitation)
        .where(VendorInvitation.id == invitation.id, VendorInvitation.used_at.is_(None),
               VendorInvitation.superseded_at.is_(None), VendorInvitation.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise VendorError(_('This invitation link is not valid any more.'), "token")
    user.set_password(password)
    user.session_version = User.session_version + 1  # a new password ends any older session
    user.last_login_at = now
    record(user, "update", user, before={"password_changed": False}, after={"password_changed": True},
           summary=f"{user.name} ({user.email}) accepted the invitation and chose a password")
    db.session.commit()
    return user


# --- submissions ----------------------------------------------------------------------------


def _note(note):
    note = (note or "").strip()
    if len(note) > LONG_TEXT:
        raise VendorError(_('Use at most %(LONG_TEXT)s characters.', LONG_TEXT=LONG_TEXT), "note")
    return note


def _parse_start(period_start):
    if isinstance(period_start, date):
        return period_start
    try:
        return date.fromisoformat((period_start or "").strip())
    except (TypeError, ValueError):
        return None


@command
def submit_value(contract, actor, metric, period_start, value, note="", now=None, evidence=(), groups=None):
    """A vendor contact's value for one ended period of a vendor-reported metric: waits for
    verification (``accept_submission`` / ``return_submission``). A value that would be off
    track needs a note; one submission per metric and period may wait at a time.

    ``evidence``: uploaded files (werkzeug FileStorage) attached to the submission in the same
    transaction, so a refused file leaves no submission behind.
    ``groups``: the values per group of the metric's dimensions, checked as every reading's are
    (a count's groups add up to the total); they become the reading's when it is accepted.
    """
    now = now or utcnow()
    if not queries.has_active_access(actor, contract, now):
        raise VendorError(_('You no longer have access to this contract.'))
    if metric is None or metric.contract_id != contract.id or metric.reported_by != REPORTED_BY_VENDOR:
        raise VendorError(_('This metric is not one your organisation reports.'), "metric")
    start = _parse_start(period_start)
    period = queries.due_period(metric, start, now) if start else None
    if period is None:
        raise VendorError(_('Choose a reporting period of this contract that has ended.'), "period")
    label = period.label(metric.cadence)
    try:
        value = metric_services._check_value(value)
    except metric_services.MetricError as error:
        raise VendorError(error.message, "value")
    note = _note(note)
    try:
        checked_groups = metric_services.check_group_values(metric, value, groups)
    except metric_services.MetricError as error:
        raise VendorError(error.message, "value")
    if db.session.scalar(select(Reading.id).where(Reading.metric_id == metric.id, Reading.period_start == period.start)):
        raise VendorError(_('%(label)s is already recorded; there is nothing to submit for it.', label=label), "period")
    if db.session.scalar(select(VendorSubmission.id).where(
        VendorSubmission.metric_id == metric.id, VendorSubmission.period_start == period.start,
        VendorSubmission.state == PENDING,
    )):
        raise VendorError(_('A value for %(label)s is already waiting for verification.', label=label), "period")
    target, _judged, would_be = status.evaluate(metric, period, value)
    if would_be == rules.OFF_TRACK and not note:
        shown = rules.shown_target(target, metric)
        raise VendorError(
            _('%(value)s %(unit)s would be off track against the target of %(shown)s: explain it in a note before submitting.', value=number(value), unit=metric.unit, shown=number(shown)),
            "note",
        )
    submission = VendorSubmission(
        metric_id=metric.id, period_start=period.start, period_end=period.end, value=value, note=note,
        state=PENDING, submitted_by_id=actor.id, submitted_at=now,
        group_values=group_values_snapshot(checked_groups) if checked_groups else None,
    )
    db.session.add(submission)
    try:
        db.session.flush()
    except IntegrityError:
        # Two submits at once: the partial unique index (one pending per metric and period)
        # let one in; the other is told as if it had been checked first.
        db.session.rollback()
        raise VendorError(_('A value for %(label)s is already waiting for verification.', label=label), "period")
    record(actor, "create", submission, after=snapshot(submission), contract_id=contract.id,
           summary=f"{actor.name} submitted {metric.name} for {label}: {plain_number(value)}")
    for file_storage in evidence or ():
        # A refused file raises AttachmentError (a ServiceError): @command rolls the submission back too.
        attach(submission, file_storage, actor, now, commit=False)
    db.session.commit()
    return submission


def _claim_review(submission, new_state, actor, now):
    """Move a pending submission to ``new_state``; the conditional UPDATE means two reviewers
    (or two clicks) cannot both accept, or accept and return, the same submission."""
    changed = db.session.execute(
        update(VendorSubmission)
        .where(VendorSubmission.id == submission.id, VendorSubmission.state == PENDING)
        .values(state=new_state, reviewed_by_id=actor.id, reviewed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise SubmissionStateError(_('This submission has already been accepted or returned.'))
    db.session.refresh(submission)


@command
def accept_submission(submission, actor, now=None):
    """Accept a pending submission: it becomes the period's reading (recorded by ``actor``,
    submitted by the contact, verified by ``actor``), with statuses and health refreshed and
    the metric's overdue flag for the period resolved at once.

    A period that has a reading already (recorded meanwhile by staff) is refused: the verifier
    returns the submission or corrects the reading, so a recorded value is never replaced
    without a reason.
    """
    now = now or utcnow()
    if submission.state != PENDING:
        raise SubmissionStateError(_('This submission has already been accepted or returned.'))
    metric = submission.metric
    label = rules.Period(submission.period_start, submission.period_end).label(metric.cadence)
    try:
        period, value = metric_services._check_reading(
            metric, submission.period_start, submission.value, now, allow_in_progress=False,
        )
    except metric_services.ReadingExistsError as error:
        raise ConflictError(
            f"{label} already has a reading: return this submission with a reason, or correct the reading "
            "on the metric page.",
            existing_id=error.reading_id,
        )
    # Checked again: the metric's dimensions may have changed since it was submitted.
    groups = metric_services.check_group_values(
        metric, value, {int(group_id): text for group_id, text in (submission.group_values or {}).items()},
    )
    before = snapshot(submission)
    _claim_review(submission, ACCEPTED, actor, now)
    reading = metric_services._add_reading(
        metric, actor, period, value, submission.note, now, submitted_by=submission.submitted_by, groups=groups,
    )
    submission.reading_id = reading.id
    status.refresh_metric(metric, now)
    status.refresh_contract_health(metric.contract, now)
    overdue = db.session.scalars(select(Flag.id).where(
        Flag.metric_id == metric.id, Flag.period_start == period.start, Flag.kind == "overdue",
        Flag.resolved_at.is_(None),
    )).all()
    resolve_automatically(overdue, READING_ARRIVED, now)
    db.session.flush()
    record(actor, "update", submission, before=before, after=snapshot(submission), contract_id=metric.contract_id,
           summary=f"Accepted {submission.submitted_by.name}'s {metric.name} for {label}: {plain_number(value)}")
    db.session.commit()
    return reading


@command
def return_submission(submission, actor, reason, now=None):
    """Return a pending submission with ``reason``: the contact is told (their page and the
    outbox) and may submit the period again."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise VendorError(_('Say why the submission is returned; the vendor sees the reason.'), "reason")
    if len(reason) > LONG_TEXT:
        raise VendorError(_('Use at most %(LONG_TEXT)s characters.', LONG_TEXT=LONG_TEXT), "reason")
    if submission.state != PENDING:
        raise SubmissionStateError(_('This submission has already been accepted or returned.'))
    metric = submission.metric
    contract = metric.contract
    label = rules.Period(submission.period_start, submission.period_end).label(metric.cadence)
    before = snapshot(submission)
    _claim_review(submission, RETURNED, actor, now)
    submission.return_reason = reason
    db.session.flush()
    record(actor, "update", submission, before=before, after=snapshot(submission), contract_id=contract.id,
           summary=f"Returned {submission.submitted_by.name}'s {metric.name} for {label}")
    with in_language_of(submission.submitted_by):  # in the contact's language
        label = rules.Period(submission.period_start, submission.period_end).label(metric.cadence)
        subject = _("%(metric)s for %(period)s was returned: please submit it again", metric=metric.name, period=label)
        body = _("%(name)s returned your value %(value)s for %(period)s on %(reference)s: %(reason)s",
                 name=actor.name, value=plain_number(submission.value), period=label, reference=contract.reference,
                 reason=reason)
    queue_many([dict(
        recipient_id=submission.submitted_by_id, kind=RETURNED_KIND, dedupe_key=f"{RETURNED_KIND}:{submission.id}",
        contract_id=contract.id,
        subject=subject,
        body=body,
        link=f"/vendor/contracts/{contract.id}",
    )], now=now)
    db.session.commit()
    return submission
