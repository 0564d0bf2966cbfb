"""A check-in's agenda (follow-up items, standing items, new flags), read for its page, the record
form and the invite, with the invite's plain-text description and city-time start and end."""
from __future__ import annotations

from flask_babel import gettext as _
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import ActionItem, CheckIn, Flag, checkin_flags
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import MetricTarget, Reading
from contracts_app.formatting import long_date, number

STANDING_PERIODS = 6
DEFAULT_START = time(10, 0)


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
                target, _status, judged = status.evaluate(metric, period, reading.value, targets)
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


def agenda_text(contract, checkin, agenda):
    """The agenda as plain text (the .ics description)."""
    lines = [f"Check-in: {contract.reference} {contract.title}", ""]
    lines.append(_('1. Follow-up items'))
    if agenda.follow_ups:
        for item in agenda.follow_ups:
            lines.append(f"   - {item.description} ({item.owner}, due {long_date(item.due_date)}, {item.status_label.lower()})")
    else:
        lines.append("   (none)")
    lines.append("")
    lines.append(_('2. Standing items (last periods against target)'))
    if not agenda.standing:
        lines.append(_('   (no metrics)'))
    for item in agenda.standing:
        lines.append(f"   {item.metric.name} ({item.metric.unit}, {item.metric.direction_label.lower()})")
        if not item.rows:
            lines.append(_('      no completed periods yet'))
        for row in item.rows:
            lines.append(
                f"      {row.label:<24} target {number(rules.shown_target(row.target, item.metric)):>10}  actual {number(row.actual):>10}  "
                f"{rules.STATUS_LABELS.get(row.status, row.status)}"
            )
    lines.append("")
    lines.append(_('3. New items (flags since the last check-in)'))
    if agenda.new_items:
        for flag in agenda.new_items:
            state = "open" if flag.is_open else "resolved"
            lines.append(f"   - {flag.kind_label}: {flag.subject_label}, {flag.period_label} ({flag.severity_label.lower()}, {state})")
    else:
        lines.append("   (none)")
    return "\n".join(lines)


def checkin_times(checkin):
    """(start, end) of a check-in as city-time datetimes (10:00 when no time is set)."""
    tz = ZoneInfo(current_app.config["CITY_TIMEZONE"])
    start = datetime.combine(checkin.scheduled_for, checkin.start_time or DEFAULT_START, tzinfo=tz)
    return start, start + timedelta(minutes=checkin.duration_minutes)

