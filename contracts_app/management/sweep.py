"""The sweep: notice what needs active management, flag it, propose check-ins, tell people.

``sweep(now)`` runs in one transaction and is safe to repeat and to run twice at once:

1. Detect candidates (pure rules over stored statuses, readings, milestones, check-ins), from
   plain rows read in a few set-based statements (the status refresh reads them once and the
   sweep judges the same rows; no ORM object per metric, no query per contract).
2. Claim them with multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the flag's
   unique key (subject, period, kind), or a conditional ``UPDATE ... WHERE <old state>
   RETURNING``; only the rows this caller inserted or changed come back, and only those go on.
   Keys are claimed in one sorted order, so a concurrent sweep waits on the first key it shares
   and then does nothing for it (no deadlock, nothing twice).
3. The winner queues its notifications in the same transaction (the outbox), in one batch, each
   with a unique dedupe key as a second guard.

A second sweep for the same ``now`` finds every flag already there and changes nothing (it skips
the keys it already sees rather than re-inserting them; the insert's ``ON CONFLICT`` remains the
guard). Flags resolved by hand are never reopened by the sweep.

This month's health snapshots are not the sweep's: its callers (the scheduler's sweep job and
``flask sweep``) record them after it, with ``portfolio.snapshots.record_current_month``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, partial

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from contracts_app.auth.models import CDO, User
from contracts_app.db_types import max_length, utcnow
from contracts_app.db_utils import chunks, insert_many_ignoring_conflicts, rows_per_statement
from contracts_app.extensions import db
from contracts_app.decisions.tasks import open_decision_tasks
from contracts_app.formatting import long_date
from contracts_app.management.gaps import metric_gaps
from contracts_app.management.models import FLAG_KINDS, FLAG_SEVERITY, CheckIn, Flag, checkin_flags
from contracts_app.management.rules import FlagFacts, cleared_note, milestone_is_missed
from contracts_app.metrics import rules
from contracts_app.metrics.models import Reading
from contracts_app.metrics.status import refresh_everything, today_for
from contracts_app.notifications.outbox import queue_many, written_for_recipients
from contracts_app.payments.drafting import draft_due_statements

CHUNK = 2000  # ids per IN (...) list, well under the bound-parameter limit (32,766 on SQLite >= 3.32)


@dataclass
class SweepResult:
    metrics_evaluated: int = 0
    flags_opened: int = 0
    flags_resolved: int = 0
    checkins_proposed: int = 0
    notifications_queued: int = 0
    escalations: int = 0
    statements_drafted: int = 0
    decision_tasks_opened: int = 0

    def as_dict(self):
        return {
            "metrics_evaluated": self.metrics_evaluated,
            "flags_opened": self.flags_opened,
            "flags_resolved": self.flags_resolved,
            "checkins_proposed": self.checkins_proposed,
            "notifications_queued": self.notifications_queued,
            "escalations": self.escalations,
            "statements_drafted": self.statements_drafted,
            "decision_tasks_opened": self.decision_tasks_opened,
        }


@dataclass(frozen=True)
class Candidate:
    contract_id: int
    subject_type: str
    subject_id: int
    period_start: object
    kind: str
    # Writes the flag's summary; called only for a flag about to be inserted (most candidates
    # of an hourly run are flagged already).
    describe: object = field(compare=False)
    metric_id: int | None = None
    milestone_id: int | None = None

    @cached_property
    def summary(self):
        return self.describe()

    @property
    def key(self):
        return (self.subject_type, self.subject_id, self.period_start, self.kind)

    @property
    def order(self):
        return (self.contract_id, self.subject_type, self.subject_id, str(self.period_start), self.kind)


class _Recipients:
    """The active chief data officers, read once per sweep and only if someone is escalated."""

    def __init__(self):
        self._cdo_ids = None

    @property
    def cdo_ids(self):
        if self._cdo_ids is None:
            self._cdo_ids = db.session.scalars(
                select(User.id).where(User.role == CDO, User.active.is_(True)).order_by(User.id)
            ).all()
        return self._cdo_ids


def sweep(now=None):
    """Run the whole sweep for ``now`` and commit. Returns a SweepResult."""
    now = now or utcnow()
    result = SweepResult()
    refreshed = refresh_everything(now)
    today = refreshed.today
    contracts = {
        c.id: c for c in refreshed.contracts.values() if c.status == "active" and c.archived_at is None
    }
    metric_state = _metric_state(refreshed, contracts)
    result.metrics_evaluated = len(metric_state)
    candidates = _metric_candidates(metric_state)
    gaps = metric_gaps(metric_state)
    candidates += _gap_candidates(metric_state, gaps)
    candidates += _milestone_candidates(refreshed.milestones, contracts, today)
    last_held = _last_held_checkins()
    candidates += _no_checkin_candidates(contracts, last_held, today)

    milestones = {m.id: m for m in refreshed.milestones}
    result.flags_resolved += _resolve_cleared(contracts, metric_state, milestones, last_held, today, now, gaps)

    # Notifications are gathered in the order they are told (flag, its escalation, ...) and
    # queued in one batch at the end, so the outbox's order is the sweep's.
    notifications = []
    recipients = _Recipients()
    for candidate, flag_id in _claim_flags(candidates, now):
        result.flags_opened += 1
        contract = contracts[candidate.contract_id]
        notifications += _flag_notifications(contract, flag_id, candidate)
        if candidate.kind == "no_checkin":
            # A contract 90 days without a check-in goes straight to the chief data officer
            # (the flag was inserted already escalated: no one else can have escalated it).
            result.escalations += 1
            notifications += _escalation_notifications(contract, flag_id, candidate.summary, recipients)

    proposed, rows = _propose_checkins(contracts, today, now)
    result.checkins_proposed += proposed
    notifications += rows
    escalated, rows = _escalate_old_flags(contracts, last_held, recipients, now)
    result.escalations += escalated
    notifications += rows
    # Payment statements of billing periods whose data is now due: drafted once, the
    # procurement officer told (payments/drafting.py).
    drafted, rows = draft_due_statements(now)
    result.statements_drafted += drafted
    notifications += rows
    # Renewal and option decisions coming up (decisions/tasks.py: the same claim pattern).
    opened, rows = open_decision_tasks(contracts, today, now)
    result.decision_tasks_opened += opened
    notifications += rows
    result.notifications_queued += len(queue_many(written_for_recipients(notifications), now=now))
    db.session.commit()
    return result


# --- Detection --------------------------------------------------------------------------


@dataclass(slots=True)
class _MetricState:
    metric: object  # status.MetricRow
    contract: object  # status.ContractRow
    latest_due_recorded: bool

    @property
    def index(self):
        return self.metric.index

    @property
    def latest(self):  # (period_start, status) of the latest reading
        return self.metric.latest

    @property
    def previous(self):
        return self.metric.previous

    @property
    def latest_due(self):
        return self.metric.latest_due


def _metric_state(refreshed, contracts):
    """For each metric of an active contract: its two latest readings and its latest due period
    (all read by the status refresh). A metric whose status changed under the refresh (a
    reading saved meanwhile, so the rows read are stale) is left out: the next run judges it."""
    states = {}
    unsure = defaultdict(list)  # latest due period start -> metric ids with two later readings
    for metric in refreshed.metrics:
        contract = contracts.get(metric.contract_id)
        if contract is None or metric.id in refreshed.stale_metric_ids:
            continue
        latest, previous, latest_due = metric.latest, metric.previous, metric.latest_due
        recorded = False
        if latest_due is not None and latest is not None:
            # Is the latest due period recorded? The two latest readings answer it unless both
            # are for later periods (readings entered ahead); those few are looked up below.
            if latest_due.start in (latest[0], previous and previous[0]):
                recorded = True
            elif previous is not None and latest_due.start < previous[0]:
                unsure[latest_due.start].append(metric.id)
        states[metric.id] = _MetricState(metric, contract, recorded)

    # Usually weekly metrics whose data comes in before it is due. One look-up per distinct
    # period start (few: a week's worth at most per cadence), which the (metric_id,
    # period_start) index answers directly; a row-value IN over the pairs is much slower.
    for period_start, metric_ids in sorted(unsure.items()):
        for chunk in chunks(metric_ids, CHUNK):
            for (metric_id,) in db.session.execute(
                select(Reading.metric_id).where(Reading.period_start == period_start, Reading.metric_id.in_(chunk))
            ):
                states[metric_id].latest_due_recorded = True
    return states


def _consecutive(state, earlier_start, later_start):
    earlier, later = state.index.position(earlier_start), state.index.position(later_start)
    return earlier is not None and later is not None and later - earlier == 1


def _period_label(state, start):
    period = state.index.starting(start)
    return period.label(state.metric.cadence) if period else long_date(start)


def _prefix(state):
    return f"{state.contract.reference}: {state.metric.name}"


def _overdue_summary(state):
    metric, period = state.metric, state.latest_due
    return (f"{_prefix(state)} reading overdue ({period.label(metric.cadence)}, "
            f"due {long_date(rules.due_date(period, metric.due_days))})")


def _off_track_summary(state):
    return f"{_prefix(state)} off track ({_period_label(state, state.latest[0])})"


def _at_risk_twice_summary(state):
    return (f"{_prefix(state)} at risk two periods running ({_period_label(state, state.previous[0])}, "
            f"{_period_label(state, state.latest[0])})")


def _metric_candidates(states):
    candidates = []
    for state in states.values():
        metric, contract = state.metric, state.contract
        if state.latest_due is not None and not state.latest_due_recorded:
            candidates.append(Candidate(
                contract.id, "metric", metric.id, state.latest_due.start, "overdue",
                partial(_overdue_summary, state), metric_id=metric.id,
            ))
        if state.latest is None:
            continue
        latest_start, latest_status = state.latest
        if latest_status == rules.OFF_TRACK:
            candidates.append(Candidate(
                contract.id, "metric", metric.id, latest_start, "off_track",
                partial(_off_track_summary, state), metric_id=metric.id,
            ))
        if (
            latest_status == rules.AT_RISK
            and state.previous is not None
            and state.previous[1] == rules.AT_RISK
            and _consecutive(state, state.previous[0], latest_start)
        ):
            candidates.append(Candidate(
                contract.id, "metric", metric.id, latest_start, "at_risk_twice",
                partial(_at_risk_twice_summary, state), metric_id=metric.id,
            ))
    return candidates


def _gap_summary(state, gaps):
    return f"{_prefix(state)}: {gaps.summary()} ({_period_label(state, gaps.period_start)})"


def _gap_candidates(states, gaps):
    """A group lagging behind the total in the latest reading (management.gaps)."""
    candidates = []
    for metric_id, found in gaps.items():
        if not found.lagging:
            continue
        state = states[metric_id]
        candidates.append(Candidate(
            state.contract.id, "metric", metric_id, found.period_start, "group_gap",
            partial(_gap_summary, state, found), metric_id=metric_id,
        ))
    return candidates


def _milestone_summary(contract, milestone):
    return (f"{contract.reference}: milestone \u201c{milestone.title}\u201d "
            f"{'not met' if milestone.status == 'not_met' else 'past due'} (due {long_date(milestone.due_date)})")


def _milestone_candidates(milestones, contracts, today):
    candidates = []
    for milestone in milestones:
        contract = contracts.get(milestone.contract_id)
        if contract is None or not milestone_is_missed(milestone, today):
            continue
        candidates.append(Candidate(
            contract.id, "milestone", milestone.id, milestone.due_date, "milestone_missed",
            partial(_milestone_summary, contract, milestone), milestone_id=milestone.id,
        ))
    return candidates


def _last_held_checkins():
    """contract id -> the date of its latest held check-in (one grouped statement)."""
    return dict(db.session.execute(
        select(CheckIn.contract_id, func.max(CheckIn.held_on))
        .where(CheckIn.status == "held")
        .group_by(CheckIn.contract_id)
    ).all())


def _no_checkin_candidates(contracts, last_held, today):
    gap = timedelta(days=current_app.config["CHECKIN_MAX_GAP_DAYS"])
    candidates = []
    for contract in contracts.values():
        since = last_held.get(contract.id) or contract.start_date
        lapsed_on = since + gap
        if today > lapsed_on:
            what = f"last check-in {long_date(since)}" if last_held.get(contract.id) else "no check-in since the start"
            candidates.append(Candidate(
                contract.id, "contract", contract.id, lapsed_on, "no_checkin",
                partial(str, f"{contract.reference}: no check-in for {gap.days} days ({what})"),
            ))
    return candidates


# --- Resolution -------------------------------------------------------------------------


def resolve_automatically(flag_ids, note, now):
    """Resolve open flags by a conditional UPDATE (a flag resolved meanwhile, by hand or by
    another run, is left as it is); returns how many this call resolved. Does not commit."""
    resolved = 0
    for chunk in chunks(sorted(flag_ids), CHUNK):
        resolved += db.session.execute(
            update(Flag)
            .where(Flag.id.in_(chunk), Flag.resolved_at.is_(None))
            .values(resolved_at=now, resolution_note=note)
            .execution_options(synchronize_session=False)
        ).rowcount
    return resolved


def _resolve_cleared(contracts, metric_state, milestones, last_held, today, now, gaps=None):
    """Resolve open flags whose cause has cleared; a flag resolved by hand stays resolved."""
    reading_arrived = (
        select(Reading.id)
        .where(Reading.metric_id == Flag.metric_id, Reading.period_start == Flag.period_start)
        .exists()
    )
    open_flags = db.session.execute(
        select(Flag.id, Flag.contract_id, Flag.kind, Flag.metric_id, Flag.milestone_id, Flag.period_start,
               and_(Flag.kind == "overdue", reading_arrived).label("recorded"))
        .where(Flag.resolved_at.is_(None))
        .order_by(Flag.id)
    ).all()
    if not open_flags:
        return 0
    gap = timedelta(days=current_app.config["CHECKIN_MAX_GAP_DAYS"])
    by_note = defaultdict(list)
    for flag in open_flags:
        facts = _flag_facts(flag, contracts, metric_state, milestones, last_held, today, gaps or {})
        if facts is None:
            continue
        note = cleared_note(facts, gap)
        if note:
            by_note[note].append(flag.id)
    return sum(resolve_automatically(ids, note, now) for note, ids in sorted(by_note.items()))


def _flag_facts(flag, contracts, metric_state, milestones, last_held, today, gaps):
    """The facts cleared_note judges, from what the sweep has read; None when it cannot judge
    (a metric left out of this run because a reading was saved under it)."""
    if flag.contract_id not in contracts:
        return FlagFacts(flag.kind, flag.period_start, contract_active=False)
    if flag.kind in ("off_track", "at_risk_twice"):
        state = metric_state.get(flag.metric_id)
        if state is None:
            return None
        latest = state.latest
        return FlagFacts(
            flag.kind, flag.period_start, latest=latest,
            latest_label=_period_label(state, latest[0]) if latest else None,
        )
    if flag.kind == "group_gap":
        state = metric_state.get(flag.metric_id)
        if state is None:
            return None
        latest = state.latest
        found = gaps.get(flag.metric_id)
        return FlagFacts(
            flag.kind, flag.period_start, latest=latest,
            latest_label=_period_label(state, latest[0]) if latest else None,
            group_gap=bool(found is not None and found.lagging),
        )
    if flag.kind == "milestone_missed":
        milestone = milestones.get(flag.milestone_id)
        return FlagFacts(flag.kind, flag.period_start, milestone_missed=milestone is not None and milestone_is_missed(milestone, today))
    return FlagFacts(
        flag.kind, flag.period_start, reading_recorded=bool(flag.recorded), last_held=last_held.get(flag.contract_id),
    )


# --- Claims and notifications -----------------------------------------------------------


def _existing_flag_keys(candidates):
    """The keys (subject_type, subject_id, period_start, kind) of the candidates' flags already
    stored, open or resolved: those the sweep must not open again.

    Only flags of a candidate's kind and period start are read, not the city's whole flag
    history. The distinct (kind, period start) pairs are bounded by the calendar (days in the
    contracts' terms), not by the number of contracts, so this is one statement in practice.
    """
    pairs = sorted({(c.kind, c.period_start) for c in candidates})
    keys = set()
    for chunk in chunks(pairs, rows_per_statement(1, cap=30000)):
        starts_by_kind = defaultdict(list)
        for kind, period_start in chunk:
            starts_by_kind[kind].append(period_start)
        keys.update(db.session.execute(
            select(Flag.subject_type, Flag.subject_id, Flag.period_start, Flag.kind).where(or_(*(
                and_(Flag.kind == kind, Flag.period_start.in_(starts)) for kind, starts in sorted(starts_by_kind.items())
            )))
        ).all())
    return keys


def _claim_flags(candidates, now):
    """Insert the candidates' flags not there yet; returns [(candidate, flag id)] for the rows
    this call inserted, in key order.

    Candidates whose key is already stored are skipped before the insert (most of them, after
    the first run); the ``ON CONFLICT DO NOTHING`` on the unique key still decides between
    concurrent sweeps: a row inserted by another sweep is not returned here.
    """
    existing = _existing_flag_keys(candidates)
    fresh, seen = [], set()
    for candidate in sorted((c for c in candidates if c.key not in existing), key=lambda c: c.order):
        if candidate.key in seen:
            continue
        seen.add(candidate.key)
        fresh.append(candidate)
    if not fresh:
        return []
    rows = [
        dict(
            contract_id=c.contract_id,
            subject_type=c.subject_type,
            subject_id=c.subject_id,
            metric_id=c.metric_id,
            milestone_id=c.milestone_id,
            period_start=c.period_start,
            kind=c.kind,
            severity=FLAG_SEVERITY[c.kind],
            summary=c.summary[:max_length(Flag.summary)],
            opened_at=now,
            escalated_at=now if c.kind == "no_checkin" else None,
        )
        for c in fresh
    ]
    inserted = {
        (row.subject_type, row.subject_id, row.period_start, row.kind): row.id
        for row in insert_many_ignoring_conflicts(
            Flag, rows, ["subject_type", "subject_id", "period_start", "kind"],
            ["id", "subject_type", "subject_id", "period_start", "kind"],
        )
    }
    return [(c, inserted[c.key]) for c in fresh if c.key in inserted]


def _manager_id(contract):
    """Who hears about a contract's flags: its contract manager, else its procurement officer."""
    return contract.contract_manager_id or contract.procurement_officer_id


def _flag_notifications(contract, flag_id, candidate):
    recipient = _manager_id(contract)
    if recipient is None:
        return []
    def compose():  # in the recipient's language (outbox.written_for_recipients)
        return dict(subject=candidate.summary, body=_(
            "%(kind)s on %(reference)s %(title)s. Review it and plan the next check-in with the vendor.",
            kind=FLAG_KINDS[candidate.kind], reference=contract.reference, title=contract.title,
        ))

    return [dict(
        recipient_id=recipient, kind="flag_opened", dedupe_key=f"flag:{flag_id}:{recipient}",
        compose=compose,
        link=f"/flags/{flag_id}", contract_id=contract.id, flag_id=flag_id,
        payload={"kind": candidate.kind, "severity": FLAG_SEVERITY[candidate.kind]},
    )]


def _escalation_notifications(contract, flag_id, summary, recipients, days_open=None):
    def compose():  # in the recipient's language (outbox.written_for_recipients)
        names = dict(reference=contract.reference, title=contract.title, days=days_open)
        if days_open is not None:
            body = _("This flag on %(reference)s %(title)s has been open %(days)s days with no check-in held.", **names)
        else:
            body = _("This flag on %(reference)s %(title)s needs attention.", **names)
        return dict(subject=_("Escalation: %(summary)s", summary=summary), body=body)

    return [
        dict(
            recipient_id=cdo_id, kind="escalation", dedupe_key=f"escalation:flag:{flag_id}:{cdo_id}",
            compose=compose,
            link=f"/flags/{flag_id}", contract_id=contract.id, flag_id=flag_id,
        )
        for cdo_id in recipients.cdo_ids
    ]


def _propose_checkins(contracts, today, now):
    """A contract with open flags not yet discussed at a held check-in, and no check-in
    pending, gets one proposed; the unique pending_contract_id makes the proposal once.
    Returns (proposed, notifications to queue)."""
    discussed = (
        select(checkin_flags.c.flag_id)
        .join(CheckIn, CheckIn.id == checkin_flags.c.checkin_id)
        .where(CheckIn.status == "held")
    )
    pending = select(CheckIn.id).where(CheckIn.pending_contract_id == Flag.contract_id).exists()
    needing = db.session.scalars(
        select(Flag.contract_id)
        .where(Flag.resolved_at.is_(None), Flag.id.not_in(discussed), ~pending)
        .distinct()
        .order_by(Flag.contract_id)
    ).all()
    needing = [contract_id for contract_id in needing if contract_id in contracts]
    if not needing:
        return 0, []
    when = today + timedelta(days=current_app.config["CHECKIN_PROPOSE_WITHIN_DAYS"])
    rows = [
        dict(
            contract_id=contract_id, status="proposed", pending_contract_id=contract_id, scheduled_for=when,
            duration_minutes=60, location="", city_attendees="", vendor_attendees="", notes="", decisions="",
            proposed_by_sweep=True, created_at=now, updated_at=now,
        )
        for contract_id in needing
    ]
    inserted = dict(
        (contract_id, checkin_id)
        for checkin_id, contract_id in insert_many_ignoring_conflicts(
            CheckIn, rows, ["pending_contract_id"], ["id", "pending_contract_id"]
        )
    )
    proposed, notifications = 0, []
    for contract_id in needing:
        checkin_id = inserted.get(contract_id)
        if checkin_id is None:
            continue
        proposed += 1
        contract = contracts[contract_id]
        recipient = _manager_id(contract)
        if recipient is not None:
            def compose(contract=contract):  # in the recipient's language (outbox.written_for_recipients)
                names = dict(reference=contract.reference, title=contract.title, day=long_date(when))
                return dict(
                    subject=_("%(reference)s: check-in proposed for %(day)s", **names),
                    body=_("%(reference)s %(title)s has open flags. A check-in with the vendor is proposed for "
                           "%(day)s: confirm or reschedule it and send the invite.", **names),
                )

            notifications.append(dict(
                recipient_id=recipient, kind="checkin_proposed", dedupe_key=f"checkin:{checkin_id}:{recipient}",
                compose=compose,
                link=f"/checkins/{checkin_id}", contract_id=contract_id, checkin_id=checkin_id,
            ))
    return proposed, notifications


def _claim_escalations(flag_ids, now):
    """Mark flags escalated unless they already are; returns the ids this call marked."""
    claimed = set()
    for chunk in chunks(sorted(flag_ids), rows_per_statement(1, cap=CHUNK)):
        claimed.update(db.session.scalars(
            update(Flag)
            .where(Flag.id.in_(chunk), Flag.escalated_at.is_(None))
            .values(escalated_at=now)
            .returning(Flag.id)
            .execution_options(synchronize_session=False)
        ).all())
    return claimed


def _escalate_old_flags(contracts, last_held, recipients, now):
    """Flags open longer than ESCALATE_AFTER_DAYS with no check-in held since they opened.
    Returns (escalated, notifications to queue)."""
    cutoff = now - timedelta(days=current_app.config["ESCALATE_AFTER_DAYS"])
    flags = db.session.execute(
        select(Flag.id, Flag.contract_id, Flag.opened_at, Flag.summary)
        .where(Flag.resolved_at.is_(None), Flag.escalated_at.is_(None), Flag.opened_at < cutoff)
        .order_by(Flag.id)
    ).all()
    due = []
    for flag in flags:
        if flag.contract_id not in contracts:
            continue
        opened_day = today_for(flag.opened_at)
        held = last_held.get(flag.contract_id)  # proposals made by this sweep are not held
        if held is not None and held >= opened_day:
            continue
        due.append((flag, opened_day))
    if not due:
        return 0, []
    claimed = _claim_escalations([flag.id for flag, _ in due], now)
    tz_today = today_for(now)
    escalated, notifications = 0, []
    for flag, opened_day in due:
        if flag.id not in claimed:
            continue
        escalated += 1
        notifications += _escalation_notifications(
            contracts[flag.contract_id], flag.id, flag.summary, recipients, days_open=(tz_today - opened_day).days
        )
    return escalated, notifications
