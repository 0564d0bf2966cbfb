"""Active management by hand: schedule and record check-ins, action items, resolve flags.

Services own the transaction: they validate, write, audit (with the contract's id) and commit,
or raise ManagementError (with the form field at fault) having written nothing. Routes, the
API and the CLI call these; the sweep (sweep.py) opens and resolves flags on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from contracts_app.audit.services import record
from contracts_app.audit.services import snapshot as _audit_snapshot
from contracts_app.db_types import utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.management.models import (
    ACTION_ITEM_STATUSES,
    PENDING_CHECKIN_STATUSES,
    ActionItem,
    CheckIn,
    Flag,
    checkin_flags,
)
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import MetricTarget, Reading

MIN_DURATION = 5
MAX_DURATION = 600  # ten hours: a longer "check-in" is a typo
STANDING_PERIODS = 6
MAX_TEXT = 10000
MAX_ATTENDEES = 2000
MAX_NOTE = 2000
DEFAULT_START = time(10, 0)
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
    if len(_text(values, "location")) > 255:
        add("location", "Use at most 255 characters.")
    for name in ("city_attendees", "vendor_attendees"):
        if len(_text(values, name)) > MAX_ATTENDEES:
            add(name, f"Use at most {MAX_ATTENDEES} characters.")
    return problems


def _raise_first(problems):
    if problems:
        name, message = next(iter(problems.items()))
        raise ManagementError(message, name)


def pending_checkin(contract_id):
    """The contract's proposed or scheduled check-in, or None."""
    return db.session.scalar(select(CheckIn).where(CheckIn.pending_contract_id == contract_id))


def _pending_refusal(existing):
    return ManagementError(
        f"This contract already has a {existing.status_label.lower()} check-in "
        f"(on {existing.scheduled_for.isoformat()}): change or record that one, or cancel it first.",
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
    _raise_first(checkin_problems(values, status.today_for(now)))
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
        raise ManagementError("The check-in could not be saved; please try again.", "scheduled_for")
    record(
        actor, "create", checkin, after=snapshot(checkin), contract_id=contract.id,
        summary=f"Scheduled a check-in on {checkin.scheduled_for.isoformat()} for {contract.reference}",
    )
    db.session.commit()
    return checkin


def _require_pending(checkin, doing):
    if not checkin.is_pending:
        raise ManagementError(f"This check-in is {checkin.status_label.lower()}: it cannot be {doing}.", None)


@command
def update_checkin(checkin, actor, values, now=None):
    """Reschedule or change a pending check-in; a proposed one becomes scheduled (accepted)."""
    now = now or utcnow()
    _require_pending(checkin, "changed")
    _raise_first(checkin_problems(values, status.today_for(now)))
    before = snapshot(checkin)
    accepted = checkin.status == "proposed"
    _apply_schedule(checkin, values)
    checkin.status = "scheduled"
    checkin.updated_at = now
    db.session.flush()
    record(
        actor, "update", checkin, before=before, after=snapshot(checkin), contract_id=checkin.contract_id,
        summary=("Accepted the proposed check-in" if accepted else "Changed the check-in")
        + f" for {checkin.scheduled_for.isoformat()}",
    )
    db.session.commit()
    return checkin


def _claim(checkin, new_status, now):
    """Move a pending check-in to ``new_status`` with a conditional UPDATE, so that two people
    recording (or one recording, one cancelling) at once cannot both succeed."""
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.status.in_(PENDING_CHECKIN_STATUSES))
        .values(status=new_status, pending_contract_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def action_item_problems(row):
    """Problems with one action-item row, as {field: message}; an empty row has none."""
    description, owner, due = _text(row, "description"), _text(row, "owner"), row.get("due_date")
    if not (description or owner or due):
        return {}
    problems = {}
    if not description:
        problems["description"] = "Say what is to be done."
    elif len(description) > 2000:
        problems["description"] = "Use at most 2000 characters."
    if not owner:
        problems["owner"] = "Say who does it."
    elif len(owner) > 200:
        problems["owner"] = "Use at most 200 characters."
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
        problems["held_on"] = f"The check-in cannot be recorded as held in the future (today is {today.isoformat()})."
    elif (today - held_on).days > DATE_WINDOW_DAYS:
        problems["held_on"] = "That date is more than five years ago; check the year."
    for name in ("city_attendees", "vendor_attendees"):
        if len(_text(values, name)) > MAX_ATTENDEES:
            problems.setdefault(name, f"Use at most {MAX_ATTENDEES} characters.")
    for name in ("notes", "decisions"):
        if len(_text(values, name)) > MAX_TEXT:
            problems.setdefault(name, f"Use at most {MAX_TEXT} characters.")
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
    _raise_first(record_problems(values, status.today_for(now)))
    flag_ids = set(values.get("flag_ids") or ())
    flags = []
    if flag_ids:
        flags = db.session.scalars(
            select(Flag).where(Flag.id.in_(flag_ids), Flag.contract_id == checkin.contract_id)
        ).all()
        if len(flags) != len(flag_ids):
            raise ManagementError("Choose flags of this contract only.", "flag_ids")
    before = snapshot(checkin)
    if not _claim(checkin, "held", now):
        db.session.rollback()
        raise ManagementError("This check-in was recorded or cancelled by someone else meanwhile.", None)
    db.session.refresh(checkin)
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
        summary=f"Recorded the check-in held on {checkin.held_on.isoformat()} "
        f"({len(flags)} flag(s) discussed, {len(items)} action item(s))",
    )
    for item in items:
        record(
            actor, "create", item, after=snapshot(item), contract_id=checkin.contract_id,
            summary=f"Action item for {item.owner}, due {item.due_date.isoformat()}",
        )
    db.session.commit()
    return checkin


@command
def cancel_checkin(checkin, actor, reason, now=None):
    """Cancel a proposed or scheduled check-in; the reason goes into its notes and the log."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise ManagementError("Say why the check-in is cancelled.", "reason")
    if len(reason) > MAX_NOTE:
        raise ManagementError(f"Use at most {MAX_NOTE} characters.", "reason")
    _require_pending(checkin, "cancelled")
    before = snapshot(checkin)
    if not _claim(checkin, "cancelled", now):
        db.session.rollback()
        raise ManagementError("This check-in was recorded or cancelled by someone else meanwhile.", None)
    db.session.refresh(checkin)
    checkin.notes = (checkin.notes + "\n\n" if checkin.notes else "") + f"Cancelled: {reason}"
    db.session.flush()
    record(
        actor, "update", checkin, before=before, after=snapshot(checkin), contract_id=checkin.contract_id,
        summary=f"Cancelled the check-in of {checkin.scheduled_for.isoformat()}: {reason}",
    )
    db.session.commit()
    return checkin


# --- action items ----------------------------------------------------------------------------


@command
def set_action_item_status(item, actor, new_status, now=None):
    """open, done (completed on the city's today) or dropped."""
    now = now or utcnow()
    if new_status not in ACTION_ITEM_STATUSES:
        raise ManagementError("Choose one of: " + ", ".join(ACTION_ITEM_STATUSES.values()) + ".", "status")
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
    note = (note or "").strip()
    if not note:
        raise ManagementError("Say why the flag is resolved.", "note")
    if len(note) > MAX_NOTE:
        raise ManagementError(f"Use at most {MAX_NOTE} characters.", "note")
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


# --- agenda ----------------------------------------------------------------------------------


@dataclass
class StandingRow:
    period: rules.Period
    label: str
    target: object
    actual: object
    status: str


@dataclass
class StandingItem:
    metric: object
    rows: list = field(default_factory=list)


@dataclass
class Agenda:
    follow_ups: list
    standing: list
    new_items: list
    last_held: CheckIn | None
    today: object


def _start_of_city_day(day):
    tz = ZoneInfo(current_app.config["CITY_TIMEZONE"])
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def last_held_checkin(contract_id, before_checkin=None, on_or_before=None):
    """The contract's latest held check-in other than ``before_checkin``."""
    query = select(CheckIn).where(CheckIn.contract_id == contract_id, CheckIn.status == "held")
    if before_checkin is not None:
        query = query.where(CheckIn.id != before_checkin.id)
    if on_or_before is not None:
        query = query.where(CheckIn.held_on <= on_or_before)
    return db.session.scalar(query.order_by(CheckIn.held_on.desc(), CheckIn.id.desc()).limit(1))


def standing_items(contract, today, periods_shown=STANDING_PERIODS):
    """Each metric's last ``periods_shown`` completed periods against target.

    Two queries whatever the number of metrics: the readings of every metric in the window,
    and their explicit targets. Contract.metrics is loaded once by the caller's relationship.
    """
    metrics = list(contract.metrics)
    if not metrics:
        return []
    grace = status.grace_days()
    windows = {}
    for metric in metrics:
        completed = [p for p in status.metric_periods(metric) if p.end < today]
        windows[metric.id] = completed[-periods_shown:]
    starts = {p.start for window in windows.values() for p in window}
    ids = [m.id for m in metrics]
    readings, explicit = {}, {}
    if starts:
        first = min(starts)
        for reading in db.session.scalars(
            select(Reading).where(Reading.metric_id.in_(ids), Reading.period_start >= first)
        ):
            readings[(reading.metric_id, reading.period_start)] = reading
        for metric_id, start, value in db.session.execute(
            select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value).where(
                MetricTarget.metric_id.in_(ids), MetricTarget.period_start >= first
            )
        ):
            explicit.setdefault(metric_id, {})[start] = value
    items = []
    for metric in metrics:
        item = StandingItem(metric)
        targets = explicit.get(metric.id, {})
        for period in windows[metric.id]:
            reading = readings.get((metric.id, period.start))
            if reading is not None:
                target, _, judged = status.evaluate(metric, period, reading.value, targets)
                actual = reading.value
            else:
                target = status.target_for(metric, period, targets)
                actual = None
                judged = rules.OVERDUE if rules.is_overdue(period, metric.due_days, today, grace) else rules.NO_DATA
            item.rows.append(StandingRow(period, period.label(metric.cadence), target, actual, judged))
        items.append(item)
    return items


def build_agenda(contract, checkin=None, now=None):
    """The agenda of ``checkin`` (or of the contract's next check-in when None).

    follow_ups: open action items from the contract's other check-ins.
    standing: each metric's last six completed periods against target.
    new_items: flags of the contract opened since the last held check-in (from the start of
    that day in the city), open or resolved since, and not already discussed at a held check-in.
    """
    now = now or utcnow()
    today = status.today_for(now)
    reference_day = checkin.held_on if checkin is not None and checkin.held_on else today
    last_held = last_held_checkin(contract.id, checkin, on_or_before=reference_day)

    follow_query = (
        select(ActionItem)
        .options(joinedload(ActionItem.checkin))
        .where(ActionItem.contract_id == contract.id, ActionItem.status == "open")
        .order_by(ActionItem.due_date, ActionItem.id)
    )
    if checkin is not None:
        follow_query = follow_query.where(ActionItem.checkin_id != checkin.id)
    follow_ups = db.session.scalars(follow_query).all()

    discussed_at_held = exists().where(
        checkin_flags.c.flag_id == Flag.id,
        checkin_flags.c.checkin_id == CheckIn.id,
        CheckIn.status == "held",
        *((CheckIn.id != checkin.id,) if checkin is not None else ()),
    )
    new_query = (
        select(Flag)
        .options(joinedload(Flag.metric), joinedload(Flag.milestone))
        .where(Flag.contract_id == contract.id, ~discussed_at_held)
        .order_by(Flag.opened_at, Flag.id)
    )
    if last_held is not None:
        since = _start_of_city_day(last_held.held_on)
        new_query = new_query.where(Flag.opened_at >= since)
        new_query = new_query.where((Flag.resolved_at.is_(None)) | (Flag.resolved_at >= since))
    new_items = db.session.scalars(new_query).unique().all()
    return Agenda(
        follow_ups=follow_ups, standing=standing_items(contract, today), new_items=new_items,
        last_held=last_held, today=today,
    )


def _number(value):
    from contracts_app.template_helpers import number

    return number(value)


def agenda_text(contract, checkin, agenda):
    """The agenda as plain text (the .ics description)."""
    lines = [f"Check-in: {contract.reference} {contract.title}", ""]
    lines.append("1. Follow-up items")
    if agenda.follow_ups:
        for item in agenda.follow_ups:
            lines.append(f"   - {item.description} ({item.owner}, due {item.due_date.isoformat()}, {item.status_label.lower()})")
    else:
        lines.append("   (none)")
    lines.append("")
    lines.append("2. Standing items (last periods against target)")
    if not agenda.standing:
        lines.append("   (no metrics)")
    for item in agenda.standing:
        lines.append(f"   {item.metric.name} ({item.metric.unit}, {item.metric.direction_label.lower()})")
        if not item.rows:
            lines.append("      no completed periods yet")
        for row in item.rows:
            lines.append(
                f"      {row.label:<24} target {_number(row.target):>10}  actual {_number(row.actual):>10}  "
                f"{rules.STATUS_LABELS.get(row.status, row.status)}"
            )
    lines.append("")
    lines.append("3. New items (flags since the last check-in)")
    if agenda.new_items:
        for flag in agenda.new_items:
            state = "open" if flag.is_open else "resolved"
            lines.append(f"   - {flag.kind_label}: {flag.subject_label}, {flag.period_label} ({flag.severity_label.lower()}, {state})")
    else:
        lines.append("   (none)")
    return "\n".join(lines)


# --- the contract page -----------------------------------------------------------------------


@dataclass
class ContractManagement:
    open_flags: list
    resolved_count: int
    pending: CheckIn | None
    recent_held: list
    open_action_items: list


def contract_management(contract, recent=3):
    """What the contract page shows about active management, in five queries."""
    open_flags = db.session.scalars(
        select(Flag)
        .options(joinedload(Flag.metric), joinedload(Flag.milestone))
        .where(Flag.contract_id == contract.id, Flag.resolved_at.is_(None))
        .order_by(Flag.opened_at.desc(), Flag.id.desc())
    ).all()
    resolved_count = db.session.scalar(
        select(func.count()).select_from(Flag).where(Flag.contract_id == contract.id, Flag.resolved_at.is_not(None))
    )
    recent_held = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.contract_id == contract.id, CheckIn.status == "held")
        .order_by(CheckIn.held_on.desc(), CheckIn.id.desc())
        .limit(recent)
    ).all()
    open_items = db.session.scalars(
        select(ActionItem)
        .where(ActionItem.contract_id == contract.id, ActionItem.status == "open")
        .order_by(ActionItem.due_date, ActionItem.id)
    ).all()
    return ContractManagement(open_flags, resolved_count, pending_checkin(contract.id), recent_held, open_items)


def checkin_times(checkin):
    """(start, end) of a check-in as city-time datetimes (10:00 when no time is set)."""
    tz = ZoneInfo(current_app.config["CITY_TIMEZONE"])
    start = datetime.combine(checkin.scheduled_for, checkin.start_time or DEFAULT_START, tzinfo=tz)
    return start, start + timedelta(minutes=checkin.duration_minutes)


__all__ = [
    "ManagementError", "schedule_checkin", "update_checkin", "record_checkin", "cancel_checkin",
    "set_action_item_status", "resolve_flag", "build_agenda", "agenda_text", "contract_management",
    "pending_checkin", "checkin_times",
]
