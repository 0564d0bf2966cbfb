"""Read models for vendor reporting: which contracts a vendor contact may reach, what their
contract page shows, the contacts on a staff contract page and the verification queue.

A vendor contact's access to a contract is ACTIVE (``active_access_conditions``) when the
VendorAccess row is not revoked, the user is an active vendor contact of the contract's vendor,
and the contract is active, not archived and not past its end date (in the city's today).
Every vendor page and command asks this, so access ends the moment any of those changes.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from contracts_app.auth.models import CONTRACT_MANAGER, PROCUREMENT_OFFICER, VENDOR, User
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import REPORTED_BY_VENDOR, Metric, Reading
from contracts_app.vendors.models import (
    PENDING, RETURNED, VendorAccess, VendorInvitation, VendorSubmission, live_access_conditions,
)
from contracts_app.vendors.tokens import hash_token


# --- access ---------------------------------------------------------------------------------


def active_access_conditions(user, now):
    """SQL conditions (over VendorAccess joined to Contract) for ``user``'s active access."""
    return [
        VendorAccess.user_id == user.id,
        Contract.vendor_id == user.vendor_id,
        *live_access_conditions(status.today_for(now)),
    ]


def _reaches(user):
    # The user half of active access; the contract half is in the SQL conditions.
    return user is not None and user.role == VENDOR and user.active and user.vendor_id is not None


def vendor_contracts(user, now):
    """The contracts ``user`` (a vendor contact) may report on now, by reference. One statement."""
    if not _reaches(user):
        return []
    return db.session.scalars(
        select(Contract).join(VendorAccess, VendorAccess.contract_id == Contract.id)
        .where(*active_access_conditions(user, now))
        .order_by(Contract.reference)
    ).all()


def active_contract(user, contract_id, now):
    """The contract with ``contract_id`` if ``user`` has active access to it, else None (the
    pages answer 404: a vendor cannot tell another vendor's contract from a missing one)."""
    if not _reaches(user):
        return None
    return db.session.scalar(
        select(Contract).join(VendorAccess, VendorAccess.contract_id == Contract.id)
        .where(Contract.id == contract_id, *active_access_conditions(user, now))
    )


def has_active_access(user, contract, now):
    return contract is not None and active_contract(user, contract.id, now) is not None


# --- the vendor's contract page -------------------------------------------------------------


@dataclass
class DuePeriod:
    period: rules.Period
    label: str
    due: date
    target: Decimal | None
    returned: VendorSubmission | None = None  # the latest returned submission, to resubmit


@dataclass
class VendorMetric:
    """A vendor-reported metric as its vendor sees it: nothing internal (no notes, statuses of
    readings, flags or people other than the contract manager)."""

    metric: Metric
    due: list = field(default_factory=list)
    submissions: list = field(default_factory=list)
    targets: list = field(default_factory=list)  # (period label, target) for every period of the term


def vendor_metrics(contract, now):
    """The vendor-reported metrics of ``contract``, each with its periods due (ended, no
    reading, no submission waiting) and its submissions, newest first. Three statements."""
    metrics = db.session.scalars(
        select(Metric).where(Metric.contract_id == contract.id, Metric.reported_by == REPORTED_BY_VENDOR)
        .options(joinedload(Metric.targets)).order_by(Metric.position, Metric.id)
    ).unique().all()
    if not metrics:
        return []
    ids = [m.id for m in metrics]
    recorded = defaultdict(set)
    for metric_id, start in db.session.execute(
        select(Reading.metric_id, Reading.period_start).where(Reading.metric_id.in_(ids))
    ):
        recorded[metric_id].add(start)
    submissions = defaultdict(list)
    for submission in db.session.scalars(
        select(VendorSubmission).where(VendorSubmission.metric_id.in_(ids))
        .options(joinedload(VendorSubmission.submitted_by))
        .order_by(VendorSubmission.submitted_at.desc(), VendorSubmission.id.desc())
    ):
        submissions[submission.metric_id].append(submission)
    today = status.today_for(now)
    rows = []
    for metric in metrics:
        pending = {s.period_start for s in submissions[metric.id] if s.state == PENDING}
        returned = {}
        for s in submissions[metric.id]:  # newest first: keep the latest return per period
            if s.state == RETURNED:
                returned.setdefault(s.period_start, s)
        explicit = status.explicit_targets(metric)
        all_periods = status.metric_periods(metric)
        targets = [(p.label(metric.cadence), rules.shown_target(status.target_for(metric, p, explicit), metric)) for p in all_periods]
        due = [
            DuePeriod(
                p, p.label(metric.cadence), rules.due_date(p, metric.due_days),
                rules.shown_target(status.target_for(metric, p, explicit), metric), returned.get(p.start),
            )
            for p in rules.unrecorded_ended_periods(all_periods, recorded[metric.id] | pending, today)
        ]
        rows.append(VendorMetric(metric, due, submissions[metric.id], targets))
    return rows


def due_period(metric, period_start, now):
    """The ended period of ``metric`` starting at ``period_start`` (a date), or None."""
    period = rules.period_starting(status.metric_periods(metric), period_start)
    if period is None or period.end >= status.today_for(now):
        return None
    return period


# --- staff: contacts and the verification queue --------------------------------------------


@dataclass
class Contact:
    access: VendorAccess
    user: User
    state: str  # "active", "revoked", "deactivated", "invited" (no password chosen yet)


def contacts_for(contract):
    """The vendor contacts ever given access to ``contract``, with where each stands. Two
    statements."""
    rows = db.session.execute(
        select(VendorAccess, User).join(User, User.id == VendorAccess.user_id)
        .where(VendorAccess.contract_id == contract.id).order_by(User.name, User.id)
    ).all()
    if not rows:
        return []
    accepted = set(db.session.scalars(
        select(VendorInvitation.user_id).where(
            VendorInvitation.user_id.in_([user.id for _, user in rows]), VendorInvitation.used_at.is_not(None),
        )
    ))
    contacts = []
    for access, user in rows:
        if access.revoked_at is not None:
            state = "revoked"
        elif not user.active:
            state = "deactivated"
        elif user.id not in accepted and user.last_login_at is None:
            state = "invited"
        else:
            state = "active"
        contacts.append(Contact(access, user, state))
    return contacts


def _queue_conditions(user):
    conditions = [VendorSubmission.state == PENDING, Contract.archived_at.is_(None)]
    if user.role == CONTRACT_MANAGER:
        conditions.append(Contract.contract_manager_id == user.id)
    elif user.role != PROCUREMENT_OFFICER:
        conditions.append(False)
    return conditions


def pending_count(user):
    """How many submissions wait for ``user`` to verify (their contracts; a procurement
    officer: all). One statement."""
    return db.session.scalar(
        select(func.count(VendorSubmission.id))
        .join(Metric, Metric.id == VendorSubmission.metric_id).join(Contract, Contract.id == Metric.contract_id)
        .where(*_queue_conditions(user))
    ) or 0


@dataclass
class QueueRow:
    submission: VendorSubmission
    metric: Metric
    contract: Contract
    label: str
    target: Decimal | None
    would_be: str  # the status the value would have as a reading


def verification_queue(user):
    """The submissions waiting for ``user``, oldest first, with the target and the status each
    value would have. Two statements (the submissions with their metrics, contracts and
    contacts; the metrics' explicit targets)."""
    submissions = db.session.scalars(
        select(VendorSubmission)
        .join(Metric, Metric.id == VendorSubmission.metric_id).join(Contract, Contract.id == Metric.contract_id)
        .where(*_queue_conditions(user))
        .options(
            joinedload(VendorSubmission.metric).joinedload(Metric.contract),
            joinedload(VendorSubmission.metric).selectinload(Metric.targets),
            joinedload(VendorSubmission.submitted_by),
        )
        .order_by(VendorSubmission.submitted_at, VendorSubmission.id)
    ).unique().all()
    rows = []
    for submission in submissions:
        metric = submission.metric
        period = rules.Period(submission.period_start, submission.period_end)
        target, _, would_be = status.evaluate(metric, period, submission.value)
        rows.append(QueueRow(
            submission, metric, metric.contract, period.label(metric.cadence), rules.shown_target(target, metric), would_be,
        ))
    return rows


# --- invitations ----------------------------------------------------------------------------

UNKNOWN, USED, EXPIRED, VALID = "unknown", "used", "expired", "valid"


def invitation_state(token, now):
    """(invitation or None, state): UNKNOWN, USED (used or replaced by a newer invitation),
    EXPIRED or VALID."""
    invitation = db.session.scalar(
        select(VendorInvitation).where(VendorInvitation.token_hash == hash_token(token or ""))
        .options(joinedload(VendorInvitation.user), joinedload(VendorInvitation.contract))
    ) if token and len(token) <= 200 else None
    if invitation is None:
        return None, UNKNOWN
    if invitation.used_at is not None or invitation.superseded_at is not None:
        return invitation, USED
    if invitation.expires_at <= now:
        return invitation, EXPIRED
    return invitation, VALID
