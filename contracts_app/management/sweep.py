"""The sweep: notice what needs active management, flag it, propose check-ins, tell people.

``sweep(now)`` runs in one transaction and is safe to repeat and to run twice at once:

1. Detect candidates (pure rules over stored statuses, readings, milestones, check-ins).
2. Claim each with ``INSERT ... ON CONFLICT DO NOTHING`` on the flag's unique key
   (subject, period, kind), or a conditional ``UPDATE ... WHERE <old state>``; only the
   caller that inserted the row or changed it goes on.
3. The winner queues its notifications in the same transaction (the outbox), each with a
   unique dedupe key as a second guard.

A second sweep for the same ``now`` finds every flag already there and changes nothing. Flags
resolved by hand are never reopened by the sweep.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from contracts_app.auth.models import CDO, User
from contracts_app.contracts.models import Contract, Milestone
from contracts_app.db_types import utcnow
from contracts_app.db_utils import insert_ignoring_conflicts
from contracts_app.extensions import db
from contracts_app.management.models import FLAG_KINDS, FLAG_SEVERITY, CheckIn, Flag, checkin_flags
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import grace_days, refresh_all_statuses, today_for
from contracts_app.notifications.outbox import queue
from contracts_app.portfolio.snapshots import record_current_month

CHUNK = 2000  # ids per IN (...) list, well under SQLite's variable limit


@dataclass
class SweepResult:
    metrics_evaluated: int = 0
    flags_opened: int = 0
    flags_resolved: int = 0
    checkins_proposed: int = 0
    notifications_queued: int = 0
    escalations: int = 0

    def as_dict(self):
        return {
            "metrics_evaluated": self.metrics_evaluated,
            "flags_opened": self.flags_opened,
            "flags_resolved": self.flags_resolved,
            "checkins_proposed": self.checkins_proposed,
            "notifications_queued": self.notifications_queued,
            "escalations": self.escalations,
        }


@dataclass(frozen=True)
class Candidate:
    contract_id: int
    subject_type: str
    subject_id: int
    period_start: object
    kind: str
    summary: str
    metric_id: int | None = None
    milestone_id: int | None = None

    @property
    def key(self):
        return (self.subject_type, self.subject_id, self.period_start, self.kind)


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def sweep(now=None):
    """Run the whole sweep for ``now`` and commit. Returns a SweepResult."""
    now = now or utcnow()
    result = SweepResult()
    refresh_all_statuses(now)
    today = today_for(now)
    contracts = {
        c.id: c
        for c in db.session.scalars(
            select(Contract).where(Contract.status == "active", Contract.archived_at.is_(None)).order_by(Contract.id)
        )
    }
    candidates = []
    metric_state = _metric_state(contracts, today)
    result.metrics_evaluated = len(metric_state)
    candidates += _metric_candidates(metric_state)
    candidates += _milestone_candidates(contracts, today)
    last_held = _last_held_checkins(contracts)
    candidates += _no_checkin_candidates(contracts, last_held, today)

    result.flags_resolved += _resolve_cleared(contracts, metric_state, last_held, today, now)
    for candidate in sorted(candidates, key=lambda c: (c.contract_id, c.key[0], c.key[1], str(c.key[2]), c.key[3])):
        flag_id = _claim_flag(candidate, now)
        if flag_id is None:
            continue
        result.flags_opened += 1
        contract = contracts[candidate.contract_id]
        result.notifications_queued += _notify_flag(contract, flag_id, candidate, now)
        if candidate.kind == "no_checkin":
            # A contract 90 days without a check-in goes straight to the chief data officer.
            if _claim_escalation(flag_id, now):
                result.escalations += 1
                result.notifications_queued += _notify_escalation(contract, flag_id, candidate.summary, now)

    proposed, queued = _propose_checkins(contracts, today, now)
    result.checkins_proposed += proposed
    result.notifications_queued += queued
    escalated, queued = _escalate_old_flags(contracts, now)
    result.escalations += escalated
    result.notifications_queued += queued
    # This month's health of every active contract, for the portfolio's roll-ups over time.
    record_current_month(now)
    db.session.commit()
    return result


# --- Detection --------------------------------------------------------------------------


@dataclass
class _MetricState:
    metric: Metric
    contract: Contract
    periods: tuple
    latest: tuple | None  # (period_start, status)
    previous: tuple | None
    latest_due: rules.Period | None
    latest_due_recorded: bool


def _metric_state(contracts, today):
    """For each metric of an active contract: its two latest readings and its latest due period."""
    if not contracts:
        return {}
    grace = grace_days()
    metrics = []
    for ids in _chunks(contracts):
        metrics += db.session.scalars(select(Metric).where(Metric.contract_id.in_(ids)).order_by(Metric.id)).all()
    recent = defaultdict(list)
    for metric_ids in _chunks([m.id for m in metrics]):
        # The two latest readings of each metric, ranked in SQL (not every reading in Python).
        ranked = (
            select(
                Reading.metric_id,
                Reading.period_start,
                Reading.status,
                func.row_number()
                .over(partition_by=Reading.metric_id, order_by=Reading.period_start.desc())
                .label("rank"),
            )
            .where(Reading.metric_id.in_(metric_ids))
            .subquery()
        )
        rows = db.session.execute(
            select(ranked.c.metric_id, ranked.c.period_start, ranked.c.status, ranked.c.rank).where(ranked.c.rank <= 2)
        )
        for metric_id, period_start, status, rank in rows:
            recent[metric_id].append((rank, period_start, status))

    states = {}
    latest_due_starts = defaultdict(set)
    for metric in metrics:
        contract = contracts[metric.contract_id]
        all_periods = rules.periods(contract.start_date, contract.end_date, metric.cadence)
        readings = sorted(recent.get(metric.id, []))
        latest = (readings[0][1], readings[0][2]) if readings else None
        previous = (readings[1][1], readings[1][2]) if len(readings) > 1 else None
        latest_due = next(
            (p for p in reversed(all_periods) if rules.is_overdue(p, metric.due_days, today, grace)), None
        )
        states[metric.id] = _MetricState(metric, contract, all_periods, latest, previous, latest_due, False)
        if latest_due is not None:
            latest_due_starts[latest_due.start].add(metric.id)

    # Is the latest due period recorded? One query per distinct period start (few: periods align).
    for period_start, metric_ids in latest_due_starts.items():
        for chunk in _chunks(metric_ids):
            for (metric_id,) in db.session.execute(
                select(Reading.metric_id).where(Reading.period_start == period_start, Reading.metric_id.in_(chunk))
            ):
                states[metric_id].latest_due_recorded = True
    return states


def _consecutive(periods, earlier_start, later_start):
    starts = [p.start for p in periods]
    try:
        return starts.index(later_start) - starts.index(earlier_start) == 1
    except ValueError:
        return False


def _period_label(state, start):
    period = rules.period_starting(state.periods, start)
    return period.label(state.metric.cadence) if period else start.isoformat()


def _metric_candidates(states):
    candidates = []
    for state in states.values():
        metric, contract = state.metric, state.contract
        prefix = f"{contract.reference}: {metric.name}"
        if state.latest_due is not None and not state.latest_due_recorded:
            candidates.append(Candidate(
                contract.id, "metric", metric.id, state.latest_due.start, "overdue",
                f"{prefix} reading overdue ({state.latest_due.label(metric.cadence)}, "
                f"due {rules.due_date(state.latest_due, metric.due_days).isoformat()})",
                metric_id=metric.id,
            ))
        if state.latest is None:
            continue
        latest_start, latest_status = state.latest
        if latest_status == rules.OFF_TRACK:
            candidates.append(Candidate(
                contract.id, "metric", metric.id, latest_start, "off_track",
                f"{prefix} off track ({_period_label(state, latest_start)})", metric_id=metric.id,
            ))
        if (
            latest_status == rules.AT_RISK
            and state.previous is not None
            and state.previous[1] == rules.AT_RISK
            and _consecutive(state.periods, state.previous[0], latest_start)
        ):
            candidates.append(Candidate(
                contract.id, "metric", metric.id, latest_start, "at_risk_twice",
                f"{prefix} at risk two periods running ({_period_label(state, state.previous[0])}, "
                f"{_period_label(state, latest_start)})",
                metric_id=metric.id,
            ))
    return candidates


def _missed(milestone, today):
    return milestone.status == "not_met" or (milestone.status == "scheduled" and milestone.due_date < today)


def _milestone_candidates(contracts, today):
    candidates = []
    for ids in _chunks(contracts):
        for milestone in db.session.scalars(
            select(Milestone).where(
                Milestone.contract_id.in_(ids),
                or_(Milestone.status == "not_met", and_(Milestone.status == "scheduled", Milestone.due_date < today)),
            ).order_by(Milestone.id)
        ):
            contract = contracts[milestone.contract_id]
            candidates.append(Candidate(
                contract.id, "milestone", milestone.id, milestone.due_date, "milestone_missed",
                f"{contract.reference}: milestone \u201c{milestone.title}\u201d "
                f"{'not met' if milestone.status == 'not_met' else 'past due'} (due {milestone.due_date.isoformat()})",
                milestone_id=milestone.id,
            ))
    return candidates


def _last_held_checkins(contracts):
    held = {}
    for ids in _chunks(contracts):
        held.update(db.session.execute(
            select(CheckIn.contract_id, func.max(CheckIn.held_on))
            .where(CheckIn.contract_id.in_(ids), CheckIn.status == "held")
            .group_by(CheckIn.contract_id)
        ).all())
    return held


def _no_checkin_candidates(contracts, last_held, today):
    gap = timedelta(days=current_app.config["CHECKIN_MAX_GAP_DAYS"])
    candidates = []
    for contract in contracts.values():
        since = last_held.get(contract.id) or contract.start_date
        lapsed_on = since + gap
        if today > lapsed_on:
            what = f"last check-in {since.isoformat()}" if last_held.get(contract.id) else "no check-in since the start"
            candidates.append(Candidate(
                contract.id, "contract", contract.id, lapsed_on, "no_checkin",
                f"{contract.reference}: no check-in for {gap.days} days ({what})",
            ))
    return candidates


# --- Resolution -------------------------------------------------------------------------


def _resolve(flag_ids, note, now):
    """Resolve open flags by a conditional UPDATE; returns how many this call resolved."""
    resolved = 0
    for chunk in _chunks(sorted(flag_ids)):
        resolved += db.session.execute(
            update(Flag)
            .where(Flag.id.in_(chunk), Flag.resolved_at.is_(None))
            .values(resolved_at=now, resolution_note=note)
            .execution_options(synchronize_session=False)
        ).rowcount
    return resolved


def _resolve_cleared(contracts, metric_state, last_held, today, now):
    """Resolve open flags whose cause has cleared; a flag resolved by hand stays resolved."""
    open_flags = db.session.scalars(select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.id)).all()
    if not open_flags:
        return 0
    milestone_ids = [f.milestone_id for f in open_flags if f.milestone_id]
    milestones = {}
    for chunk in _chunks(milestone_ids):
        milestones.update({m.id: m for m in db.session.scalars(select(Milestone).where(Milestone.id.in_(chunk)))})
    overdue_keys = [(f.metric_id, f.period_start) for f in open_flags if f.kind == "overdue"]
    recorded = set()
    for start in {p for _, p in overdue_keys}:
        ids = [m for m, p in overdue_keys if p == start]
        for chunk in _chunks(ids):
            recorded.update(
                (metric_id, start)
                for (metric_id,) in db.session.execute(
                    select(Reading.metric_id).where(Reading.period_start == start, Reading.metric_id.in_(chunk))
                )
            )

    by_note = defaultdict(list)
    for flag in open_flags:
        if flag.contract_id not in contracts:
            by_note["Resolved automatically: the contract is no longer active."].append(flag.id)
            continue
        if flag.kind == "overdue":
            if (flag.metric_id, flag.period_start) in recorded:
                by_note["Resolved automatically: the reading arrived."].append(flag.id)
        elif flag.kind in ("off_track", "at_risk_twice"):
            state = metric_state.get(flag.metric_id)
            if state is None or state.latest is None:
                continue
            latest_start, latest_status = state.latest
            if latest_start != flag.period_start:
                by_note[f"Resolved automatically: a later reading ({_period_label(state, latest_start)}) "
                        f"is {rules.STATUS_LABELS[latest_status].lower()}."].append(flag.id)
            elif flag.kind == "off_track" and latest_status != rules.OFF_TRACK:
                by_note[f"Resolved automatically: the corrected reading is {rules.STATUS_LABELS[latest_status].lower()}."].append(flag.id)
            elif flag.kind == "at_risk_twice" and latest_status != rules.AT_RISK:
                by_note[f"Resolved automatically: the corrected reading is {rules.STATUS_LABELS[latest_status].lower()}."].append(flag.id)
        elif flag.kind == "milestone_missed":
            milestone = milestones.get(flag.milestone_id)
            if milestone is None or not _missed(milestone, today):
                by_note["Resolved automatically: the milestone is no longer missed."].append(flag.id)
        elif flag.kind == "no_checkin":
            held = last_held.get(flag.contract_id)
            gap = timedelta(days=current_app.config["CHECKIN_MAX_GAP_DAYS"])
            if held is not None and held > flag.period_start - gap:
                by_note[f"Resolved automatically: a check-in was held on {held.isoformat()}."].append(flag.id)
    return sum(_resolve(ids, note, now) for note, ids in sorted(by_note.items()))


# --- Claims and notifications -----------------------------------------------------------


def _claim_flag(candidate, now):
    return insert_ignoring_conflicts(
        Flag,
        dict(
            contract_id=candidate.contract_id,
            subject_type=candidate.subject_type,
            subject_id=candidate.subject_id,
            metric_id=candidate.metric_id,
            milestone_id=candidate.milestone_id,
            period_start=candidate.period_start,
            kind=candidate.kind,
            severity=FLAG_SEVERITY[candidate.kind],
            summary=candidate.summary[:255],
            opened_at=now,
        ),
        ["subject_type", "subject_id", "period_start", "kind"],
    )


def _claim_escalation(flag_id, now):
    """Mark a flag escalated unless it already is; True only for the call that marked it."""
    return db.session.execute(
        update(Flag)
        .where(Flag.id == flag_id, Flag.escalated_at.is_(None))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _manager_id(contract):
    """Who hears about a contract's flags: its contract manager, else its procurement officer."""
    return contract.contract_manager_id or contract.procurement_officer_id


def _notify_flag(contract, flag_id, candidate, now):
    recipient = _manager_id(contract)
    if recipient is None:
        return 0
    added = queue(
        recipient, "flag_opened", f"flag:{flag_id}:{recipient}",
        subject=candidate.summary,
        body=f"{FLAG_KINDS[candidate.kind]} on {contract.reference} {contract.title}. "
             "Review it and plan the next check-in with the vendor.",
        link=f"/flags/{flag_id}", contract_id=contract.id, flag_id=flag_id,
        payload={"kind": candidate.kind, "severity": FLAG_SEVERITY[candidate.kind]}, now=now,
    )
    return int(added)


def _cdo_ids():
    return db.session.scalars(select(User.id).where(User.role == CDO, User.active.is_(True)).order_by(User.id)).all()


def _notify_escalation(contract, flag_id, summary, now, days_open=None):
    queued = 0
    reason = f"open {days_open} days with no check-in held" if days_open is not None else "needs attention"
    for cdo_id in _cdo_ids():
        queued += int(queue(
            cdo_id, "escalation", f"escalation:flag:{flag_id}:{cdo_id}",
            subject=f"Escalation: {summary}",
            body=f"This flag on {contract.reference} {contract.title} is {reason}.",
            link=f"/flags/{flag_id}", contract_id=contract.id, flag_id=flag_id, now=now,
        ))
    return queued


def _propose_checkins(contracts, today, now):
    """A contract with open flags not yet discussed at a held check-in, and no check-in
    pending, gets one proposed; the unique pending_contract_id makes the proposal once."""
    discussed = (
        select(checkin_flags.c.flag_id)
        .join(CheckIn, CheckIn.id == checkin_flags.c.checkin_id)
        .where(CheckIn.status == "held")
    )
    needing = db.session.scalars(
        select(Flag.contract_id)
        .where(Flag.resolved_at.is_(None), Flag.id.not_in(discussed))
        .distinct()
        .order_by(Flag.contract_id)
    ).all()
    pending = set(db.session.scalars(select(CheckIn.pending_contract_id).where(CheckIn.pending_contract_id.is_not(None))))
    proposed = queued = 0
    when = today + timedelta(days=current_app.config["CHECKIN_PROPOSE_WITHIN_DAYS"])
    for contract_id in needing:
        if contract_id not in contracts or contract_id in pending:
            continue
        contract = contracts[contract_id]
        checkin_id = insert_ignoring_conflicts(
            CheckIn,
            dict(
                contract_id=contract_id, status="proposed", pending_contract_id=contract_id, scheduled_for=when,
                duration_minutes=60, location="", city_attendees="", vendor_attendees="", notes="", decisions="",
                proposed_by_sweep=True, created_at=now, updated_at=now,
            ),
            ["pending_contract_id"],
        )
        if checkin_id is None:
            continue
        proposed += 1
        recipient = _manager_id(contract)
        if recipient is not None:
            queued += int(queue(
                recipient, "checkin_proposed", f"checkin:{checkin_id}:{recipient}",
                subject=f"{contract.reference}: check-in proposed for {when.isoformat()}",
                body=f"{contract.reference} {contract.title} has open flags. A check-in with the vendor is "
                     f"proposed for {when.isoformat()}: confirm or reschedule it and send the invite.",
                link=f"/checkins/{checkin_id}", contract_id=contract_id, checkin_id=checkin_id, now=now,
            ))
    return proposed, queued


def _escalate_old_flags(contracts, now):
    """Flags open longer than ESCALATE_AFTER_DAYS with no check-in held since they opened."""
    cutoff = now - timedelta(days=current_app.config["ESCALATE_AFTER_DAYS"])
    flags = db.session.scalars(
        select(Flag)
        .where(Flag.resolved_at.is_(None), Flag.escalated_at.is_(None), Flag.opened_at < cutoff)
        .order_by(Flag.id)
    ).all()
    if not flags:
        return 0, 0
    held = defaultdict(list)
    for chunk in _chunks({f.contract_id for f in flags}):
        for contract_id, held_on in db.session.execute(
            select(CheckIn.contract_id, CheckIn.held_on).where(CheckIn.contract_id.in_(chunk), CheckIn.status == "held")
        ):
            held[contract_id].append(held_on)
    tz_today = today_for(now)
    escalated = queued = 0
    for flag in flags:
        contract = contracts.get(flag.contract_id)
        if contract is None:
            continue
        opened_day = today_for(flag.opened_at)
        if any(day >= opened_day for day in held.get(flag.contract_id, [])):
            continue
        if not _claim_escalation(flag.id, now):
            continue
        escalated += 1
        queued += _notify_escalation(contract, flag.id, flag.summary, now, days_open=(tz_today - opened_day).days)
    return escalated, queued
