"""When a flag's cause has cleared: a pure rule (no database, no clock), used by the sweep for
every open flag and by recording a check-in for the flags it dealt with, so the two never
disagree about when a flag resolves by itself."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from contracts_app.formatting import long_date
from contracts_app.metrics import rules as metric_rules


@dataclass(frozen=True, slots=True)
class FlagFacts:
    """What decides whether a flag's cause has cleared, read for one open flag."""

    kind: str
    period_start: date
    contract_active: bool = True
    reading_recorded: bool = False  # overdue: a reading for the flagged period exists
    latest: tuple | None = None  # off track, at risk: (period_start, status) of the latest reading
    latest_label: str | None = None  # that period in words ("Oct 2026")
    milestone_missed: bool | None = None  # milestone flags: is it still missed today?
    last_held: date | None = None  # no check-in: the latest held check-in's date
    group_gap: bool | None = None  # group gap: does the latest reading still show a group lagging?


def milestone_is_missed(milestone, today):
    """Past due and still scheduled, or recorded as not met."""
    return milestone.status == "not_met" or (milestone.status == "scheduled" and milestone.due_date < today)


def cleared_note(facts: FlagFacts, checkin_gap: timedelta) -> str | None:
    """The resolution note when the flag's cause has cleared, else None."""
    if not facts.contract_active:
        return "Resolved automatically: the contract is no longer active."
    if facts.kind == "overdue":
        return "Resolved automatically: the reading arrived." if facts.reading_recorded else None
    if facts.kind in ("off_track", "at_risk_twice"):
        if facts.latest is None:
            return None
        latest_start, latest_status = facts.latest
        status = metric_rules.STATUS_LABELS[latest_status].lower()
        if latest_start != facts.period_start:
            return f"Resolved automatically: a later reading ({facts.latest_label}) is {status}."
        still = metric_rules.OFF_TRACK if facts.kind == "off_track" else metric_rules.AT_RISK
        if latest_status != still:
            return f"Resolved automatically: the corrected reading is {status}."
        return None
    if facts.kind == "group_gap":
        # Unknown (None) where the groups were not judged (recording a check-in): the sweep decides.
        if facts.latest is None or facts.group_gap is None:
            return None
        if facts.latest[0] != facts.period_start:
            if facts.group_gap:
                return f"Resolved automatically: a later reading ({facts.latest_label}) is flagged on its own."
            return f"Resolved automatically: a later reading ({facts.latest_label}) shows no group lagging."
        return None if facts.group_gap else "Resolved automatically: the corrected reading shows no group lagging."
    if facts.kind == "milestone_missed":
        return None if facts.milestone_missed else "Resolved automatically: the milestone is no longer missed."
    if facts.kind == "no_checkin":
        if facts.last_held is not None and facts.last_held > facts.period_start - checkin_gap:
            return f"Resolved automatically: a check-in was held on {long_date(facts.last_held)}."
        return None
    return None
