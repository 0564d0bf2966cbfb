"""Reminders before a reading's due date, through the outbox, exactly once per person, metric
and period.

``queue_reminders(now)`` finds, on active unarchived contracts, every metric period whose reading
is due within ``REMINDER_DAYS_BEFORE`` days (default 5) or today, in the city's time zone
(``metrics.rules.reminder_due``), with no reading and no pending or accepted vendor submission,
and queues up to two reminders for each person who owes it:

* ``reminder_before`` on any day of the window before the due date (a scheduler that was down on
  its first day still reminds later in the window, never after the due date), and
* ``reminder_due`` on the due date itself.

After the due date nothing more is queued: the sweep's overdue flag follows as before.

Who owes a reading: for a metric reported by the vendor (``Metric.reported_by == "vendor"``),
every vendor contact whose access to the contract is active (not revoked, the user active, of
the vendor role and of the contract's vendor, the contract not past its end date); otherwise the
contract's manager, if the contract has one and their account is active (no manager: nobody is
reminded; the overdue flag still reaches the procurement officer). A manager is reminded of the
last period, which falls due after the term ends, for as long as the contract stays active;
vendor contacts' access ends with the term.

Exactly once: each reminder's dedupe key (``reminder-before:{user}:{metric}:{period start}``) is
unique in the outbox, and the rows are inserted with ``INSERT ... ON CONFLICT DO NOTHING`` in key
order, so two schedulers at once queue each reminder once (the second waits on the first key it
shares, then inserts nothing for it) and a repeated run queues nothing. Keys already stored are
skipped before the insert, so an hourly run that has nothing new writes nothing.

Cancelling: a reading or submission that arrives first means no reminder is queued; one that
arrives after queuing and before sending is caught by the dispatcher, which calls
``cancel_answered_reminders`` on the rows it has just claimed: they are finished without email
and marked read, so the inbox shows no unread reminder for data already in (so are reminders
whose recipient no longer owes the reading: access revoked, manager changed). A reminder claimed
and being emailed as the reading is saved still goes (email cannot join the transaction).

One email per person: the dispatcher sends everything due for a person as one digest on its next
run (every minute in the scheduler), so a person's reminders for several metrics arrive together.

Imports point down: contracts, metrics, vendors and users are read here; nothing below imports
this module but the dispatcher beside it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import aliased

from contracts_app.auth.models import VENDOR, User
from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.db_utils import chunks
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.metrics import rules
from contracts_app.metrics.models import REPORTED_BY_VENDOR, Metric, Reading
from contracts_app.metrics.status import grace_days, today_for
from contracts_app.notifications.models import Notification
from contracts_app.notifications.outbox import languages_of, queue_many
from contracts_app.vendors.models import ACCEPTED, PENDING, VendorAccess, VendorSubmission, live_access_conditions

REMINDER_BEFORE = "reminder_before"
REMINDER_DUE = "reminder_due"
REMINDER_KINDS = (REMINDER_BEFORE, REMINDER_DUE)
_KIND = {rules.REMINDER_BEFORE: REMINDER_BEFORE, rules.REMINDER_DUE: REMINDER_DUE}
_KEY_PREFIX = {REMINDER_BEFORE: "reminder-before", REMINDER_DUE: "reminder-due"}
# Submissions that answer a reminder: waiting for verification, or accepted (a returned one
# leaves the reading still owed).
ANSWERING_STATES = (PENDING, ACCEPTED)

ANSWERED = "Not emailed: the reading (or a vendor submission) arrived first."
NO_LONGER_OWED = "Not emailed: the recipient no longer owes this reading (the contract or their access changed)."
SUPERSEDED = "Not emailed: the due-day reminder for the same reading replaces it."

CHUNK = 2000  # ids per IN (...) list, well under the bound-parameter limit


@dataclass
class ReminderResult:
    periods_due: int = 0  # metric periods in the window still owing a reading
    reminders_queued: int = 0

    def as_dict(self):
        return {"periods_due": self.periods_due, "reminders_queued": self.reminders_queued}


@dataclass(frozen=True, slots=True)
class _DuePeriod:
    metric: object  # a row of _metrics()
    period: rules.Period
    due: object  # date
    kind: str  # REMINDER_BEFORE or REMINDER_DUE


def days_before():
    return max(0, int(current_app.config["REMINDER_DAYS_BEFORE"]))


def queue_reminders(now=None):
    """Queue today's reminders (see the module docstring) and commit; returns a ReminderResult.

    A bounded number of statements whatever the number of contracts: the metrics with their
    contracts, the readings and the submissions of the periods in the window, the vendor
    contacts, the keys already queued (each in IN lists of CHUNK ids), and the insert.
    """
    now = now or utcnow()
    today = today_for(now)
    window = days_before()
    due_periods = _due_periods(_metrics(today + timedelta(days=window)), today, window)
    answered = _answered({(d.metric.id, d.period.start) for d in due_periods})
    due_periods = [d for d in due_periods if (d.metric.id, d.period.start) not in answered]
    contacts = _vendor_contacts(
        sorted({d.metric.contract_id for d in due_periods if d.metric.reported_by == REPORTED_BY_VENDOR}), today
    )
    owed = [(due_period, recipient_id, for_vendor) for due_period in due_periods
            for recipient_id, for_vendor in _recipients(due_period.metric, contacts)]
    languages = languages_of(recipient_id for _d, recipient_id, _v in owed)
    notifications = []
    for due_period, recipient_id, for_vendor in owed:
        # Written in the recipient's language (the digest around it is too).
        with force_locale(languages[recipient_id]):
            notifications.append(_reminder(due_period, recipient_id, for_vendor))
    # Key order: two runs at once take the keys' locks in the same order (no deadlock).
    notifications.sort(key=lambda n: n["dedupe_key"])
    stored = _stored_keys([n["dedupe_key"] for n in notifications])
    queued = queue_many([n for n in notifications if n["dedupe_key"] not in stored], now=now)
    db.session.commit()
    return ReminderResult(periods_due=len(due_periods), reminders_queued=len(queued))


def cancel_answered_reminders(token, now):
    """Finish, without email, the reminders claimed under ``token`` that no longer apply, and
    return how many; commits. They are marked sent and read (the inbox shows no unread
    reminder for something already done) with the reason in ``last_error``:

    * ANSWERED: their period now has a reading, or a pending or accepted submission;
    * NO_LONGER_OWED: the recipient no longer owes the reading (the contract is no longer
      active, its manager changed, the vendor contact's access ended, the metric's reporter
      changed); whoever owes it now is reminded by the next ``queue_reminders``;
    * SUPERSEDED: a "before" reminder held up (by an SMTP outage, say) until the due-day
      reminder for the same person and period was queued.

    Judged in the database after the claim has committed, so a reading committed before the
    dispatcher claims a reminder always cancels it.
    """
    reading = select(Reading.id).where(
        Reading.metric_id == Notification.metric_id, Reading.period_start == Notification.period_start
    ).exists()
    submission = select(VendorSubmission.id).where(
        VendorSubmission.metric_id == Notification.metric_id,
        VendorSubmission.period_start == Notification.period_start,
        VendorSubmission.state.in_(ANSWERING_STATES),
    ).exists()
    vendor_access = (
        select(VendorAccess.id)
        .join(User, User.id == VendorAccess.user_id)
        .where(VendorAccess.contract_id == Contract.id, VendorAccess.user_id == Notification.recipient_id,
               *_access_is_active(today_for(now)))
        .correlate(Contract, Notification)
        .exists()
    )
    still_owed = (
        select(Metric.id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(
            Metric.id == Notification.metric_id, *_contract_is_active(),
            or_(
                and_(Metric.reported_by != REPORTED_BY_VENDOR, Contract.contract_manager_id == Notification.recipient_id),
                and_(Metric.reported_by == REPORTED_BY_VENDOR, vendor_access),
            ),
        )
        .exists()
    )
    due_day = aliased(Notification)
    superseded = and_(
        Notification.kind == REMINDER_BEFORE,
        select(due_day.id).where(
            due_day.kind == REMINDER_DUE, due_day.recipient_id == Notification.recipient_id,
            due_day.metric_id == Notification.metric_id, due_day.period_start == Notification.period_start,
        ).exists(),
    )
    cancelled = 0
    for condition, reason in ((reading | submission, ANSWERED), (~still_owed, NO_LONGER_OWED), (superseded, SUPERSEDED)):
        cancelled += db.session.execute(
            update(Notification)
            .where(Notification.claim_token == token, Notification.kind.in_(REMINDER_KINDS), condition)
            .values(sent_at=now, read_at=func.coalesce(Notification.read_at, now), last_error=reason,
                    claimed_at=None, claim_token=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.commit()
    return cancelled


def _contract_is_active():
    """SQL conditions: the contract is reminded of at all (active and not archived)."""
    return [Contract.status == "active", Contract.archived_at.is_(None)]


def _access_is_active(today):
    """SQL conditions on VendorAccess, its User and its Contract: the vendor contact's access is
    active on ``today`` (not revoked, the account active, of the vendor role and of the
    contract's vendor, the contract active, unarchived and not past its end date)."""
    return [*live_access_conditions(today), User.active.is_(True), User.role == VENDOR, User.vendor_id == Contract.vendor_id]


# --- Detection --------------------------------------------------------------------------


def _metrics(horizon):
    """Every metric of an active, unarchived contract that has started by ``horizon`` (a
    period due by then ends by then), with its contract and its active manager (or None)."""
    manager = aliased(User)
    return db.session.execute(
        select(
            Metric.id, Metric.name, Metric.cadence, Metric.due_days, Metric.reported_by,
            Contract.id.label("contract_id"), Contract.reference, Contract.title,
            Contract.start_date, Contract.end_date,
            case((manager.active.is_(True), manager.id)).label("manager_id"),
        )
        .join(Contract, Contract.id == Metric.contract_id)
        .outerjoin(manager, manager.id == Contract.contract_manager_id)
        .where(*_contract_is_active(), Contract.start_date <= horizon)
        .order_by(Contract.id, Metric.id)
    ).all()


def _due_periods(metrics, today, window):
    """The periods of ``metrics`` that earn a reminder today (``rules.reminder_due``), found by
    position in each term (``PeriodIndex.due_between``), not by listing every period."""
    indexes = {}
    found = []
    last = today + timedelta(days=window)
    for metric in metrics:
        term = (metric.start_date, metric.end_date, metric.cadence)
        index = indexes.get(term)
        if index is None:
            index = indexes[term] = rules.PeriodIndex(*term)
        for period in index.due_between(metric.due_days, today, last):
            due = rules.due_date(period, metric.due_days)
            which = rules.reminder_due(due, today, window)
            if which is not None:
                found.append(_DuePeriod(metric, period, due, _KIND[which]))
    return found


def _answered(pairs):
    """The (metric id, period start) of ``pairs`` that have a reading or a pending or accepted
    submission. The period starts in the window are few (bounded by the calendar, not by the
    number of contracts), so each statement filters on them and on a chunk of metric ids."""
    if not pairs:
        return set()
    starts = sorted({start for _metric_id, start in pairs})
    found = set()
    for chunk in chunks(sorted({metric_id for metric_id, _start in pairs}), CHUNK):
        found.update(db.session.execute(
            select(Reading.metric_id, Reading.period_start)
            .where(Reading.metric_id.in_(chunk), Reading.period_start.in_(starts))
        ).all())
        found.update(db.session.execute(
            select(VendorSubmission.metric_id, VendorSubmission.period_start)
            .where(VendorSubmission.metric_id.in_(chunk), VendorSubmission.period_start.in_(starts),
                   VendorSubmission.state.in_(ANSWERING_STATES))
        ).all())
    return {tuple(pair) for pair in found} & pairs


def _vendor_contacts(contract_ids, today):
    """contract id -> the ids of its vendor contacts with active access, in id order."""
    contacts = {}
    for chunk in chunks(contract_ids, CHUNK):
        for contract_id, user_id in db.session.execute(
            select(VendorAccess.contract_id, User.id)
            .join(User, User.id == VendorAccess.user_id)
            .join(Contract, Contract.id == VendorAccess.contract_id)
            .where(VendorAccess.contract_id.in_(chunk), *_access_is_active(today))
            .order_by(VendorAccess.contract_id, User.id)
        ):
            contacts.setdefault(contract_id, []).append(user_id)
    return contacts


def _recipients(metric, contacts):
    """[(user id, is a vendor contact)] who owe ``metric``'s reading."""
    if metric.reported_by == REPORTED_BY_VENDOR:
        return [(user_id, True) for user_id in contacts.get(metric.contract_id, [])]
    return [(metric.manager_id, False)] if metric.manager_id is not None else []


def _stored_keys(keys):
    stored = set()
    for chunk in chunks(keys, CHUNK):
        stored.update(db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))))
    return stored


# --- The reminder -----------------------------------------------------------------------


def reminder_link(metric_id, contract_id, period_start, for_vendor):
    """Where the reminder leads: a vendor contact to their contract's vendor page, the contract
    manager to the reading form with the period chosen. Paths, not url_for: the scheduler has
    no request to build URLs from (the digest makes them absolute)."""
    if for_vendor:
        return f"/vendor/contracts/{contract_id}"
    return f"/metrics/{metric_id}/readings/new?period={period_start.isoformat()}"


def _reminder(due_period, recipient_id, for_vendor):
    metric, period, due = due_period.metric, due_period.period, due_period.due
    on_the_day = due_period.kind == REMINDER_DUE
    names = dict(reference=metric.reference, title=metric.title, metric=metric.name,
                 period=period.label(metric.cadence), day=long_date(due))
    if for_vendor and on_the_day:
        body = _("%(reference)s %(title)s: submit your figure, with its evidence, today for the contract manager "
                 "to verify.", **names)
    elif for_vendor:
        body = _("%(reference)s %(title)s: submit your figure, with its evidence, by %(day)s for the contract "
                 "manager to verify.", **names)
    elif on_the_day:
        body = _("%(reference)s %(title)s: enter the reading today. With no reading %(grace)s days after the due "
                 "date, the metric is flagged overdue.", grace=grace_days(), **names)
    else:
        body = _("%(reference)s %(title)s: enter the reading by %(day)s. With no reading %(grace)s days after the "
                 "due date, the metric is flagged overdue.", grace=grace_days(), **names)
    if on_the_day:
        subject = _("%(reference)s: %(metric)s for %(period)s due today (%(day)s)", **names)
    else:
        subject = _("%(reference)s: %(metric)s for %(period)s due %(day)s", **names)
    return dict(
        recipient_id=recipient_id, kind=due_period.kind,
        dedupe_key=f"{_KEY_PREFIX[due_period.kind]}:{recipient_id}:{metric.id}:{period.start.isoformat()}",
        subject=subject,
        body=body, link=reminder_link(metric.id, metric.contract_id, period.start, for_vendor),
        contract_id=metric.contract_id, metric_id=metric.id, period_start=period.start,
        payload={"due": due.isoformat(), "reported_by": metric.reported_by},
    )
