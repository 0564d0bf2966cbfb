"""The audit log in a person's language: each change as (label, before, after) with field labels
instead of column names, names instead of ids ("Contract manager: Ben Okafor", not "Contract
manager id: 3"), and the internal counters and derived values left out. Names are looked up in
one query per kind of row for all the events shown, never per event."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from contracts_app.attachments.models import OWNER_KINDS
from contracts_app.auth.models import ROLES, User
from contracts_app.contracts.models import KINDS, PAYMENT_STRUCTURES, STATUSES, Contract, Vendor
from contracts_app.decisions.models import CHOICES
from contracts_app.extensions import db
from contracts_app.formatting import local_datetime, long_date
from contracts_app.management.models import ACTION_ITEM_STATUSES, CHECKIN_STATUSES
from contracts_app.metrics.models import CADENCES, DIRECTIONS, INDICATOR_TYPES, REPORTERS, Metric
from contracts_app.contracts.models import PROCUREMENT_METHODS
from contracts_app.milestones.models import MILESTONE_STATUSES, Milestone
from contracts_app.vendors.models import SUBMISSION_STATES

# Columns nobody edits: the database's ids, counters kept by triggers, stored statuses the
# rules derive from the readings (the history of a reading already says what it was judged).
HIDDEN = {
    "id", "open_flags_high", "open_flags_medium", "open_flags_low", "open_flags_lapse", "health",
    "pending_contract_id", "position", "status_period_start", "subject_id", "subject_type",
}
# Derived columns by kind of row: a metric's "status" is computed, a contract's is chosen.
# An attachment's owner_id is the id of a contract, reading, check-in or submission (owner_kind
# says which), not a user: its summary names the record instead.
# An invitation's token digest is a secret's fingerprint, of no use to a reader.
HIDDEN_BY_ENTITY = {
    "metric": {"status"}, "reading": {"status"}, "attachment": {"owner_id", "stored_name"},
    "vendorinvitation": {"token_hash"},
    # A decision's summary token is a fingerprint of the figures (kept with the decision itself).
    "renewaldecision": {"summary_token", "summary", "task_id"},
}

# Id columns shown as the name of the row they point at: (model, how to name it).
REFERENCES = {
    "contract_manager_id": (User, "name"),
    "procurement_officer_id": (User, "name"),
    "archived_by_id": (User, "name"),
    "owner_id": (User, "name"),
    "recorded_by_id": (User, "name"),
    "resolved_by_id": (User, "name"),
    "created_by_id": (User, "name"),
    "evaluated_by_id": (User, "name"),
    "uploaded_by_id": (User, "name"),
    "submitted_by_id": (User, "name"),
    "verified_by_id": (User, "name"),
    "reviewed_by_id": (User, "name"),
    "granted_by_id": (User, "name"),
    "revoked_by_id": (User, "name"),
    "replaced_by_id": (User, "name"),
    "voided_by_id": (User, "name"),
    "approver_id": (User, "name"),
    "decided_by_id": (User, "name"),
    "user_id": (User, "name"),
    "vendor_id": (Vendor, "name"),
    "contract_id": (Contract, "reference"),
    "metric_id": (Metric, "name"),
    "milestone_id": (Milestone, "title"),
}

# Coded values shown by their label ("Pay for success", not "pay_for_success"), by field and,
# where one name means different things, by the kind of row.
CODES = {
    "kind": KINDS, "payment_structure": PAYMENT_STRUCTURES, "direction": DIRECTIONS, "cadence": CADENCES,
    "indicator_type": INDICATOR_TYPES, "role": ROLES, "reported_by": REPORTERS,
    "procurement_method": PROCUREMENT_METHODS,
}
CODES_BY_ENTITY = {
    ("contract", "status"): STATUSES, ("milestone", "status"): MILESTONE_STATUSES,
    ("checkin", "status"): CHECKIN_STATUSES, ("actionitem", "status"): ACTION_ITEM_STATUSES,
    ("attachment", "owner_kind"): OWNER_KINDS, ("vendorsubmission", "state"): SUBMISSION_STATES,
    ("renewaldecision", "choice"): CHOICES,
}

# Labels where "the column name, capitalised, without _id" would not read right.
LABELS = {
    "owner_kind": "Attached to",
    "option_date": "Exercise by",
    "extension_months": "Extends the term by (months)",
    "summary_shown": "Made with the performance summary",
    "choice_label": "Decision",
    "original_name": "File name",
    "content_type": "Type",
    "size": "Size (bytes)",
    "sha256": "SHA-256",
    "is_public": "Published as open data",
    "payment_structure": "Payment structure",
    "payment_terms": "How payment ties to results",
    "problem": "Problem to solve",
    "outcomes": "Desired outcomes (goals)",
    "priorities": "Priorities",
    "start_date": "Start",
    "end_date": "End",
    "archived_at": "Archived",
    "baseline_value": "Baseline",
    "baseline_date": "Baseline date",
    "target_value": "Final target",
    "range_low": "Range, low",
    "range_high": "Range, high",
    "tolerance_pct": "Tolerance (%)",
    "on_track_pct": "On track from (%)",
    "at_risk_pct": "At risk from (%)",
    "due_days": "Data due (days after the period)",
    "indicator_type": "Leading or lagging",
    "reported_by": "Reported by",
    "payment_linked": "Linked to payment",
    "period_start": "Period",
    "period_end": "Period end",
    "held_on": "Held on",
    "scheduled_for": "Scheduled for",
    "city_attendees": "City attendees",
    "vendor_attendees": "Vendor attendees",
    "flag_ids": "Flags discussed",
    "due_date": "Due",
    "completed_on": "Completed on",
    "resolution_note": "Resolution note",
    "target_year": "Target year",
    "contact_name": "Contact name",
    "contact_email": "Contact email",
    "return_reason": "Reason returned",
    "revoked_at": "Access revoked",
}


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    before: object
    after: object


@dataclass(frozen=True, slots=True)
class ReadableEvent:
    event: object  # the AuditEvent
    changes: list


def label_for(field):
    if field in LABELS:
        return LABELS[field]
    name = field[:-3] if field.endswith("_id") else field
    return name.replace("_", " ").capitalize()


def shown_fields(event):
    """The (field, before, after) of ``event`` that a person should see. An id column is left
    out when the snapshot also names what it points at ("vendor" beside "vendor_id")."""
    hidden = HIDDEN | HIDDEN_BY_ENTITY.get(event.entity_type, set())
    named = set(event.before or {}) | set(event.after or {})
    return [
        change for change in event.changes()
        if change[0] not in hidden and not (change[0].endswith("_id") and change[0][:-3] in named)
    ]


# Dates and timestamps as the snapshots store them (ISO text), shown in the one date style.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})", re.ASCII)


def _when(value):
    """"2026-10-01" as "1 Oct 2026", a UTC timestamp in the city's time, else the text as it is."""
    try:
        if _ISO_DATE.fullmatch(value):
            return long_date(date.fromisoformat(value))
        if _ISO_TIMESTAMP.fullmatch(value):
            return local_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:  # shaped like a date but not one (2026-02-30)
        pass
    return value


def _decode(entity_type, field, value):
    if not isinstance(value, str):
        return value
    codes = CODES_BY_ENTITY.get((entity_type, field)) or CODES.get(field)
    return codes.get(value, value) if codes else _when(value)


def readable(events):
    """ReadableEvent for each event, in order, with its changes labelled and ids named."""
    wanted = {}  # (model, attribute) -> ids to name
    for event in events:
        for field, before, after in shown_fields(event):
            if field in REFERENCES:
                wanted.setdefault(REFERENCES[field], set()).update(
                    value for value in (before, after) if isinstance(value, int)
                )
    names = {}
    for (model, attribute), ids in wanted.items():
        if ids:
            rows = db.session.execute(select(model.id, getattr(model, attribute)).where(model.id.in_(ids))).all()
            names[model] = dict(rows)

    def name(event, field, value):
        if field not in REFERENCES or not isinstance(value, int):
            return _decode(event.entity_type, field, value)
        model = REFERENCES[field][0]
        return names.get(model, {}).get(value, f"(deleted, id {value})")

    return [
        ReadableEvent(event, [
            Change(label_for(field), name(event, field, before), name(event, field, after))
            for field, before, after in shown_fields(event)
        ])
        for event in events
    ]
