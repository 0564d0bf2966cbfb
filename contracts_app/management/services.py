"""Active management by hand: schedule and record check-ins, action items, resolve flags.

Services own the transaction: they validate, write, audit (with the contract's id) and commit,
or raise ManagementError (with the form field at fault) having written nothing. Routes, the
API and the CLI call these; the sweep (sweep.py) opens and resolves flags on its own. The reads
are elsewhere: the agenda in agenda.py, the contract page and the flags list in queries.py.
"""
from __future__ import annotations

from flask_babel import gettext as _
from collections import defaultdict
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from contracts_app.audit.services import record
from contracts_app.audit.services import snapshot as _audit_snapshot
from contracts_app.db_types import max_length, utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.management.models import (
    ACTION_ITEM_STATUSES,
    PENDING_CHECKIN_STATUSES,
    ActionItem,
    CheckIn,
    Flag,
)
from contracts_app.management.queries import pending_checkin
from contracts_app.management.rules import FlagFacts, cleared_note, milestone_is_missed
from contracts_app.management.sweep import resolve_automatically
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import Reading
from contracts_app.metrics.summaries import latest_readings
from contracts_app.notifications.models import Notification

MIN_DURATION = 5
MAX_DURATION = 600  # ten hours: a longer "check-in" is a typo
# Caps on free text kept in Text columns (which have no length of their own).
MAX_TEXT = 10000
MAX_ATTENDEES = 2000
MAX_NOTE = 2000
MAX_DESCRIPTION = 2000  # an action item's description
# How far from today a check-in date may be: further is a typo (2205 for 2025).
DATE_WINDOW_DAYS = 5 * 366


class ManagementError(ServiceError):
    """A check-in, action-item or flag change that cannot be made.

    ``checkin`` is set when the problem is another check-in (the pending one), so the page can
    link to it.
    """

    def __init__(self, message, field=None, checkin=None):
        super().__init__(message, field)
        self.checkin = checkin


def snapshot(obj, extra=None):
    """The audit snapshot, with times of day as text (audit's own snapshot does not know
    datetime.time, and CheckIn.start_time is one)."""
    values = _audit_snapshot(obj, extra)
    return {key: value.isoformat() if isinstance(value, time) else value for key, value in values.items()}


def _text(values, name):
    return (values.get(name) or "").strip()


def _too_long(limit):
    return f"Use at most {limit} characters."


def _length_problems(values, limits):
    """(field, message) for each text in ``values`` longer than its limit in ``limits``."""
    for name, limit in limits.items():
        if len(_text(values, name)) > limit:
            yield name, _too_long(limit)


def _required_note(text, missing, field):
    """A reason or note that must be given: stripped, at most MAX_NOTE characters."""
    text = (text or "").strip()
    if not text:
        raise ManagementError(missing, field)
    if len(text) > MAX_NOTE:
        raise ManagementError(_too_long(MAX_NOTE), field)
    return text


# --- check-ins -------------------------------------------------------------------------------


def checkin_problems(values, today):
    """Every problem with a check-in's schedule, as {field: message}."""
    problems = {}

    def add(name, message):
        problems.setdefault(name, message)

    day = values.get("scheduled_for")
    if day is None:
        add("scheduled_for", "Give the date of the check-in.")
    elif abs((day - today).days) > DATE_WINDOW_DAYS:
        add("scheduled_for", "That date is more than five years away; check the year.")
    duration = values.get("duration_minutes")
    if duration is None:
        add("duration_minutes", "Give the length of the meeting in minutes.")
    elif not MIN_DURATION <= duration <= MAX_DURATION:
        add("duration_minutes", f"Give a length between {MIN_DURATION} and {MAX_DURATION} minutes.")
    for name, message in _length_problems(values, {
        "location": max_length(CheckIn.location), "city_attendees": MAX_ATTENDEES, "vendor_attendees": MAX_ATTENDEES,
    }):
        add(name, message)
    return problems


def _pending_refusal(existing):
    return ManagementError(
        _('This contract already has a %(lower)s check-in (on %(scheduled_for)s): change or record that one, or cancel it first.', lower=existing.status_label.lower(), scheduled_for=long_date(existing.scheduled_for)),
        "scheduled_for",
        checkin=existing,
    )


def _apply_schedule(checkin, values):
    checkin.scheduled_for = values["scheduled_for"]
    checkin.start_time = values.get("start_time")
    checkin.duration_minutes = values["duration_minutes"]
    checkin.location = _text(values, "location")
    checkin.city_attendees = _text(values, "city_attendees")
    checkin.vendor_attendees = _text(values, "vendor_attendees")


@command
def schedule_checkin(contract, actor, values, now=None):
    """Schedule a check-in for ``contract``. One pending check-in per contract: the unique
    pending_contract_id refuses a second even when two requests race past the first check."""
    now = now or utcnow()
    ManagementError.raise_first(checkin_problems(values, status.today_for(now)))
    existing = pending_checkin(contract.id)
    if existing is not None:
        raise _pending_refusal(existing)
    checkin = CheckIn(
        contract_id=contract.id, status="scheduled", pending_contract_id=contract.id,
        created_by_id=actor.id if actor is not None else None, created_at=now, updated_at=now,
    )
    _apply_schedule(checkin, values)
    db.session.add(checkin)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request scheduled one (or the sweep proposed one) since we looked.
        db.session.rollback()
        existing = pending_checkin(contract.id)
        if existing is not None:
            raise _pending_refusal(existing)
        raise ManagementError(_('The check-in could not be saved; please try again.'), "scheduled_for")
    record(
        actor, "create", checkin, after=snapshot(checkin), contract_id=contract.id,
        summary=f"Scheduled a check-in on {long_date(checkin.scheduled_for)} for {contract.reference}",
    )
    db.session.commit()
    return checkin


def _require_pending(checkin, doing):
    if not checkin.is_pending:
        raise ManagementError(_('This check-in is %(lower)s: it cannot be %(doing)s.', lower=checkin.status_label.lower(), doing=doing), None)


@command
def update_checkin(checkin, actor, values, now=None):
    """Reschedule or change a pending check-in; a proposed one becomes scheduled (accepted)."""
    now = now or utcnow()
    _require_pending(checkin, "changed")
    ManagementError.raise_first(checkin_problems(values, status.today_for(now)))
    before = snapshot(checkin)
    accepted = checkin.status == "proposed"
    _apply_schedule(checkin, values)
    checkin.status = "scheduled"
    checkin.updated_at = now
    db.session.flush()
    record(
        actor, "update", checkin, before=before, after=snapshot(checkin), contract_id=checkin.contract_id,
        summary=("Accepted the proposed check-in" if accepted else "Changed the check-in")
        + f" for {long_date(checkin.scheduled_for)}",
    )
    db.session.commit()
    return checkin


def _claim(checkin, new_status, now):
    """Move a pending check-in to ``new_status`` with a conditional UPDATE, so that two people
    recording (or one recording, one cancelling) at once cannot both succeed; the loser gets a
    ManagementError (and its command's rollback). ``checkin`` is reloaded with the new status."""
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.status.in_(PENDING_CHECKIN_STATUSES))
        .values(status=new_status, pending_contract_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ManagementError(_('This check-in was recorded or cancelled by someone else meanwhile.'), None)
    db.session.refresh(checkin)


def action_item_problems(row):
    """Problems with one action-item row, as {field: message}; an empty row has none."""
    description, owner, due = _text(row, "description"), _text(row, "owner"), row.get("due_date")
    if not (description or owner or due):
        return {}
    problems = {}
    if not description:
        problems["description"] = "Say what is to be done."
    elif len(description) > MAX_DESCRIPTION:
        problems["description"] = _too_long(MAX_DESCRIPTION)
    if not owner:
        problems["owner"] = "Say who does it."
    elif len(owner) > max_length(ActionItem.owner):
        problems["owner"] = _too_long(max_length(ActionItem.owner))
    if due is None:
        problems["due_date"] = "Give a due date."
    return problems


def record_problems(values, today):
    """Every problem with a held check-in's record, as {field: message}."""
    problems = {}
    held_on = values.get("held_on")
    if held_on is None:
        problems["held_on"] = "Give the date the check-in was held."
    elif held_on > today:
        problems["held_on"] = f"The check-in cannot be recorded as held in the future (today is {long_date(today)})."
    elif (today - held_on).days > DATE_WINDOW_DAYS:
        problems["held_on"] = "That date is more than five years ago; check the year."
    for name, message in _length_problems(values, {
        "city_attendees": MAX_ATTENDEES, "vendor_attendees": MAX_ATTENDEES, "notes": MAX_TEXT, "decisions": MAX_TEXT,
    }):
        problems.setdefault(name, message)
    for index, row in enumerate(values.get("action_items") or ()):
        for name, message in action_item_problems(row).items():
            problems.setdefault(f"action_items-{index}-{name}", message)
    return problems


@command
def record_checkin(checkin, actor, values, now=None):
    """Record a pending check-in as held: attendees, notes, decisions, the flags discussed
    (``flag_ids``, flags of this contract) and new action items (``action_items``: dicts of
    description, owner, due_date; empty rows are skipped). One transaction, audited."""
    now = now or utcnow()
    _require_pending(checkin, "recorded as held")
    ManagementError.raise_first(record_problems(values, status.today_for(now)))
    flag_ids = set(values.get("flag_ids") or ())
    flags = []
    if flag_ids:
        flags = db.session.scalars(
            select(Flag).where(Flag.id.in_(flag_ids), Flag.contract_id == checkin.contract_id)
        ).all()
        if len(flags) != len(flag_ids):
            raise ManagementError(_('Choose flags of this contract only.'), "flag_ids")
    before = snapshot(checkin)
    _claim(checkin, "held", now)
    checkin.held_on = values["held_on"]
    for name in ("city_attendees", "vendor_attendees", "notes", "decisions"):
        setattr(checkin, name, _text(values, name))
    for flag in flags:
        if flag not in checkin.flags:
            checkin.flags.append(flag)
    items = []
    for row in values.get("action_items") or ():
        if not (_text(row, "description") or _text(row, "owner") or row.get("due_date")):
            continue
        item = ActionItem(
            checkin=checkin, contract_id=checkin.contract_id, description=_text(row, "description"),
            owner=_text(row, "owner"), due_date=row["due_date"], status="open", created_at=now, updated_at=now,
        )
        db.session.add(item)
        items.append(item)
    db.session.flush()
    record(
        actor, "update", checkin, before=before,
        after=snapshot(checkin, extra={"flag_ids": sorted(f.id for f in flags)}),
        contract_id=checkin.contract_id,
        summary=f"Recorded the check-in held on {long_date(checkin.held_on)} "
        f"({len(flags)} flag(s) discussed, {len(items)} action item(s))",
    )
    for item in items:
        record(
            actor, "create", item, after=snapshot(item), contract_id=checkin.contract_id,
            summary=f"Action item for {item.owner}, due {long_date(item.due_date)}",
        )
    resolved = _resolve_what_the_checkin_cleared(checkin, {f.id for f in flags}, now)
    _mark_dealt_with_read(checkin, actor, {f.id for f in flags} | resolved, now)
    db.session.commit()
    return checkin


def _resolve_what_the_checkin_cleared(checkin, discussed_ids, now):
    """In the check-in's transaction: resolve the contract's "no check-in" flags (a check-in is
    now held) and the discussed flags whose cause has cleared, by the sweep's own rule
    (management/rules.cleared_note), so the contract page is right at once rather than after
    the next sweep. Returns the ids resolved."""
    contract = checkin.contract
    flags = db.session.scalars(
        select(Flag)
        .options(joinedload(Flag.metric), joinedload(Flag.milestone))
        .where(
            Flag.contract_id == contract.id, Flag.resolved_at.is_(None),
            or_(Flag.kind == "no_checkin", Flag.id.in_(discussed_ids)),
        )
        .order_by(Flag.id)
    ).all()
    if not flags:
        return set()
    today = status.today_for(now)
    last_held = db.session.scalar(
        select(func.max(CheckIn.held_on)).where(CheckIn.contract_id == contract.id, CheckIn.status == "held")
    )
    metric_ids = {flag.metric_id for flag in flags if flag.metric_id is not None}
    latest = {}  # metric id -> its latest reading
    recorded = set()  # (metric id, period start) of the overdue flags that have their reading now
    if metric_ids:
        latest = latest_readings(metric_ids)
        overdue = [(flag.metric_id, flag.period_start) for flag in flags if flag.kind == "overdue"]
        if overdue:
            recorded = set(db.session.execute(
                select(Reading.metric_id, Reading.period_start).where(
                    Reading.metric_id.in_({m for m, _ in overdue}), Reading.period_start.in_({p for _, p in overdue}),
                )
            ).all())
    active = contract.status == "active" and not contract.is_archived
    gap = timedelta(days=current_app.config["CHECKIN_MAX_GAP_DAYS"])
    by_note = defaultdict(list)
    for flag in flags:
        reading = latest.get(flag.metric_id)
        facts = FlagFacts(
            flag.kind, flag.period_start, contract_active=active,
            reading_recorded=(flag.metric_id, flag.period_start) in recorded,
            latest=(reading.period_start, reading.status) if reading is not None else None,
            latest_label=(
                rules.Period(reading.period_start, reading.period_end).label(flag.metric.cadence) if reading else None
            ),
            milestone_missed=flag.milestone is not None and milestone_is_missed(flag.milestone, today),
            last_held=last_held,
        )
        note = cleared_note(facts, gap)
        if note:
            by_note[note].append(flag.id)
    resolved = set()
    for note, ids in sorted(by_note.items()):
        if resolve_automatically(ids, note, now):
            resolved.update(ids)
    return resolved


def _mark_dealt_with_read(checkin, actor, flag_ids, now):
    """The recorder's unread notifications about this check-in or the flags it dealt with are
    read: they were the reason for the meeting, which has now happened."""
    if actor is None:
        return
    dealt_with = Notification.checkin_id == checkin.id
    if flag_ids:
        dealt_with = or_(dealt_with, Notification.flag_id.in_(flag_ids))
    db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == actor.id, Notification.read_at.is_(None), dealt_with)
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


@command
def cancel_checkin(checkin, actor, reason, now=None):
    """Cancel a proposed or scheduled check-in; the reason goes into its notes and the log."""
    now = now or utcnow()
    reason = _required_note(reason, "Say why the check-in is cancelled.", "reason")
    _require_pending(checkin, "cancelled")
    before = snapshot(checkin)
    _claim(checkin, "cancelled", now)
    checkin.notes = (checkin.notes + "\n\n" if checkin.notes else "") + f"Cancelled: {reason}"
    db.session.flush()
    record(
        actor, "update", checkin, before=before, after=snapshot(checkin), contract_id=checkin.contract_id,
        summary=f"Cancelled the check-in of {long_date(checkin.scheduled_for)}: {reason}",
    )
    db.session.commit()
    return checkin


# --- action items ----------------------------------------------------------------------------


@command
def set_action_item_status(item, actor, new_status, now=None):
    """open, done (completed on the city's today) or dropped."""
    now = now or utcnow()
    if new_status not in ACTION_ITEM_STATUSES:
        raise ManagementError("Choose one of: " + ", ".join(map(str, ACTION_ITEM_STATUSES.values())) + ".", "status")
    if item.status == new_status:
        return item
    before = snapshot(item)
    item.status = new_status
    item.completed_on = status.today_for(now) if new_status == "done" else None
    item.updated_at = now
    db.session.flush()
    record(
        actor, "update", item, before=before, after=snapshot(item), contract_id=item.contract_id,
        summary=f"Action item marked {item.status_label.lower()}: {item.description[:120]}",
    )
    db.session.commit()
    return item


# --- flags -----------------------------------------------------------------------------------


@command
def resolve_flag(flag, actor, note, now=None):
    """Resolve an open flag by hand with a note. Returns False (and changes nothing) when it was
    already resolved, by the sweep or another person: the conditional UPDATE decides."""
    now = now or utcnow()
    note = _required_note(note, "Say why the flag is resolved.", "note")
    before = snapshot(flag)
    result = db.session.execute(
        update(Flag)
        .where(Flag.id == flag.id, Flag.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=actor.id if actor is not None else None, resolution_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.refresh(flag)
    record(
        actor, "update", flag, before=before, after=snapshot(flag), contract_id=flag.contract_id,
        summary=f"Resolved flag by hand ({flag.kind_label}): {note[:150]}",
    )
    db.session.commit()
    return True
