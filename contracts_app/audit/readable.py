"""The audit log in a person's language: each change as (label, before, after) with field labels
instead of column names, names instead of ids ("Contract manager: Ben Okafor", not "Contract
manager id: 3"), and the internal counters and derived values left out. Names are looked up in
one query per kind of row for all the events shown, never per event."""
from __future__ import annotations


from flask_babel import gettext

from contracts_app.i18n import lazy_gettext as _l
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
from contracts_app.designs.models import ContractTemplate
from contracts_app.milestones.models import MILESTONE_STATUSES, MILESTONE_TYPES, Milestone
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
    "template_id": (ContractTemplate, "name"),
}

# Coded values shown by their label ("Pay for success", not "pay_for_success"), by field and,
# where one name means different things, by the kind of row.
CODES = {
    "kind": KINDS, "payment_structure": PAYMENT_STRUCTURES, "direction": DIRECTIONS, "cadence": CADENCES,
    "indicator_type": INDICATOR_TYPES, "role": ROLES, "reported_by": REPORTERS,
    "procurement_method": PROCUREMENT_METHODS, "milestone_type": MILESTONE_TYPES,
}
CODES_BY_ENTITY = {
    ("contract", "status"): STATUSES, ("milestone", "status"): MILESTONE_STATUSES,
    ("checkin", "status"): CHECKIN_STATUSES, ("actionitem", "status"): ACTION_ITEM_STATUSES,
    ("attachment", "owner_kind"): OWNER_KINDS, ("vendorsubmission", "state"): SUBMISSION_STATES,
    ("renewaldecision", "choice"): CHOICES,
}

# Labels where "the column name, capitalised, without _id" would not read right.
LABELS = {
    "owner_kind": _l('Attached to'),
    "option_date": _l("Exercise by"),
    "extension_months": _l("Extends the term by (months)"),
    "summary_shown": _l("Made with the performance summary"),
    "choice_label": _l("Decision"),
    "original_name": _l('File name'),
    "content_type": _l('Type'),
    "size": _l('Size (bytes)'),
    "sha256": "SHA-256",
    "is_public": _l('Published as open data'),
    "is_count": _l('A count (groups add up to the total)'),
    "dimensions": _l('Broken down by'),
    "groups": _l('Groups'),
    "group_values": _l('Values per group'),
    "payment_structure": _l('Payment structure'),
    "payment_terms": _l('How payment ties to results'),
    "problem": _l('Problem to solve'),
    "outcomes": _l('Desired outcomes (goals)'),
    "priorities": _l('Priorities'),
    "start_date": _l('Start'),
    "end_date": _l('End'),
    "archived_at": _l('Archived'),
    "baseline_value": _l('Baseline'),
    "baseline_date": _l('Baseline date'),
    "target_value": _l('Final target'),
    "range_low": _l('Range, low'),
    "range_high": _l('Range, high'),
    "tolerance_pct": "Tolerance (%)",
    "on_track_pct": "On track from (%)",
    "at_risk_pct": "At risk from (%)",
    "due_days": _l('Data due (days after the period)'),
    "indicator_type": _l('Leading or lagging'),
    "reported_by": _l('Reported by'),
    "payment_linked": _l('Linked to payment'),
    "period_start": _l('Period'),
    "period_end": _l('Period end'),
    "held_on": _l('Held on'),
    "scheduled_for": _l('Scheduled for'),
    "city_attendees": _l('City attendees'),
    "vendor_attendees": _l('Vendor attendees'),
    "flag_ids": _l('Flags discussed'),
    "due_date": _l('Due'),
    "completed_on": _l('Completed on'),
    "resolution_note": _l('Resolution note'),
    "target_year": _l('Target year'),
    "contact_name": _l('Contact name'),
    "contact_email": _l('Contact email'),
    "return_reason": _l('Reason returned'),
    "revoked_at": _l('Access revoked'),
}


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    before: object
    after: object


# Every other column, by the same rule as label_for (written out so the catalogue holds them).
FIELD_LABELS = {
    "action": _l("Action"),
    "active": _l("Active"),
    "actor_id": _l("Actor"),
    "address": _l("Address"),
    "after": _l("After"),
    "archived_by_id": _l("Archived by"),
    "attempted_at": _l("Attempted at"),
    "attempts": _l("Attempts"),
    "awarded_on": _l("Awarded on"),
    "before": _l("Before"),
    "body": _l("Body"),
    "cadence": _l("Cadence"),
    "checkin_id": _l("Checkin"),
    "claim_token": _l("Claim token"),
    "claimed_at": _l("Claimed at"),
    "committed_at": _l("Committed at"),
    "completed_at": _l("Completed at"),
    "content": _l("Content"),
    "contract_id": _l("Contract"),
    "contract_manager_id": _l("Contract manager"),
    "contracts": _l("Contracts"),
    "contracts_created": _l("Contracts created"),
    "cost_control": _l("Cost control"),
    "country_name": _l("Country name"),
    "created_at": _l("Created at"),
    "created_by_id": _l("Created by"),
    "currency": _l("Currency"),
    "data_source": _l("Data source"),
    "target_notes": _l("How the target was set"),
    "decisions": _l("Decisions"),
    "dedupe_key": _l("Dedupe key"),
    "definition": _l("Definition"),
    "department": _l("Department"),
    "department_id": _l("Department"),
    "description": _l("Description"),
    "direction": _l("Direction"),
    "duration_minutes": _l("Duration minutes"),
    "email": _l("Email"),
    "encoding": _l("Encoding"),
    "entity_id": _l("Entity"),
    "entity_type": _l("Entity type"),
    "error": _l("Error"),
    "escalated_at": _l("Escalated at"),
    "evaluated_by_id": _l("Evaluated by"),
    "evaluated_on": _l("Evaluated on"),
    "expires_at": _l("Expires at"),
    "failed_at": _l("Failed at"),
    "failed_sign_ins": _l("Failed sign ins"),
    "failure_window_started_at": _l("Failure window started at"),
    "failures": _l("Failures"),
    "file": _l("File"),
    "filename": _l("Filename"),
    "flag_id": _l("Flag"),
    "granted_at": _l("Granted at"),
    "granted_by_id": _l("Granted by"),
    "health": _l("Health"),
    "health_updated_at": _l("Health updated at"),
    "host": _l("Host"),
    "id": _l("Id"),
    "identifier": _l("Identifier"),
    "identifier_scheme": _l("Identifier scheme"),
    "job": _l("Job"),
    "key": _l("Key"),
    "kind": _l("Kind"),
    "language": _l("Language"),
    "last_duration_seconds": _l("Last duration seconds"),
    "last_error": _l("Last error"),
    "last_finished_at": _l("Last finished at"),
    "last_login_at": _l("Last login at"),
    "last_started_at": _l("Last started at"),
    "last_success_at": _l("Last success at"),
    "last_used_at": _l("Last used at"),
    "link": _l("Link"),
    "locality": _l("Locality"),
    "location": _l("Location"),
    "locked_until": _l("Locked until"),
    "management": _l("Management"),
    "method": _l("Method"),
    "metric_id": _l("Metric"),
    "metrics_created": _l("Metrics created"),
    "milestone_id": _l("Milestone"),
    "milestone_type": _l("Milestone type"),
    "month": _l("Month"),
    "name": _l("Name"),
    "narrative": _l("Narrative"),
    "next_attempt_at": _l("Next attempt at"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "oidc_issuer": _l("Oidc issuer"),
    "oidc_subject": _l("Oidc subject"),
    "open_flags_high": _l("Open flags high"),
    "open_flags_lapse": _l("Open flags lapse"),
    "open_flags_low": _l("Open flags low"),
    "open_flags_medium": _l("Open flags medium"),
    "opened_at": _l("Opened at"),
    "outcome": _l("Outcome"),
    "owner": _l("Owner"),
    "owner_id": _l("Owner"),
    "password_hash": _l("Password hash"),
    "path": _l("Path"),
    "payload": _l("Payload"),
    "pending_contract_id": _l("Pending contract"),
    "pid": _l("Pid"),
    "portal": _l("Portal"),
    "position": _l("Position"),
    "postal_code": _l("Postal code"),
    "prefix": _l("Prefix"),
    "priority_id": _l("Priority"),
    "procurement_officer_id": _l("Procurement officer"),
    "proposed_by_sweep": _l("Proposed by sweep"),
    "pushed_at": _l("Pushed at"),
    "quality": _l("Quality"),
    "read_at": _l("Read at"),
    "reading_id": _l("Reading"),
    "readings_corrected": _l("Readings corrected"),
    "readings_recorded": _l("Readings recorded"),
    "recipient_id": _l("Recipient"),
    "recorded_at": _l("Recorded at"),
    "recorded_by_id": _l("Recorded by"),
    "reference": _l("Reference"),
    "region": _l("Region"),
    "replaced_at": _l("Replaced at"),
    "replaced_by_id": _l("Replaced by"),
    "request_hash": _l("Request hash"),
    "resolved_at": _l("Resolved at"),
    "resolved_by_id": _l("Resolved by"),
    "response_body": _l("Response body"),
    "response_headers": _l("Response headers"),
    "response_status": _l("Response status"),
    "reviewed_at": _l("Reviewed at"),
    "reviewed_by_id": _l("Reviewed by"),
    "revoked_by_id": _l("Revoked by"),
    "role": _l("Role"),
    "runs": _l("Runs"),
    "schedule": _l("Schedule"),
    "sent_at": _l("Sent at"),
    "session_version": _l("Session version"),
    "severity": _l("Severity"),
    "signed_on": _l("Signed on"),
    "start_time": _l("Start time"),
    "state": _l("State"),
    "status": _l("Status"),
    "status_period_start": _l("Status period start"),
    "status_updated_at": _l("Status updated at"),
    "stored_name": _l("Stored name"),
    "street_address": _l("Street address"),
    "subject": _l("Subject"),
    "subject_id": _l("Subject"),
    "subject_type": _l("Subject type"),
    "submitted_at": _l("Submitted at"),
    "submitted_by_id": _l("Submitted by"),
    "summary": _l("Summary"),
    "superseded_at": _l("Superseded at"),
    "target": _l("Target"),
    "title": _l("Title"),
    "token_hash": _l("Token hash"),
    "unit": _l("Unit"),
    "updated_at": _l("Updated at"),
    "uploaded_at": _l("Uploaded at"),
    "uploaded_by_id": _l("Uploaded by"),
    "used_at": _l("Used at"),
    "user_id": _l("User"),
    "value": _l("Value"),
    "vendor_comment": _l("Vendor comment"),
    "vendor_id": _l("Vendor"),
    "verified_by_id": _l("Verified by"),
    "version": _l("Version"),
    "aggregation": _l("Aggregation"),
    "amended_on": _l("Amended on"),
    "amount": _l("Amount"),
    "amount_per_period": _l("Amount per period"),
    "approved_at": _l("Approved at"),
    "approved_by_id": _l("Approved by"),
    "approver_id": _l("Approver"),
    "at_risk_release_pct": _l("Share released when at risk (%)"),
    "bids_received": _l("Bids received"),
    "billing_period": _l("Billing period"),
    "cap_per_contract": _l("Cap per contract"),
    "cap_per_period": _l("Cap per period"),
    "cap_total": _l("Maximum total"),
    "choice": _l("Decision"),
    "computed_at": _l("Computed at"),
    "decided_at": _l("Decided at"),
    "decided_by_id": _l("Decided by"),
    "decision_date": _l("Decision date"),
    "effective_from": _l("Effective from"),
    "effective_to": _l("Effective to"),
    "end_reason": _l("End reason"),
    "ended_by_id": _l("Ended by"),
    "floor": _l("Floor"),
    "grace_periods": _l("Grace periods"),
    "inputs": _l("Inputs"),
    "invoice_reference": _l("Invoice reference"),
    "is_diverse": _l("Diverse business"),
    "is_local": _l("Local business"),
    "is_small": _l("Small business"),
    "kinds": _l("What changed"),
    "min_points": _l("Improvement needed (points)"),
    "minimum": _l("Minimum"),
    "missing": _l("Missing"),
    "missing_penalised": _l("A missing reading takes the deepest tier"),
    "missing_releases": _l("A missing reading releases its part"),
    "number": _l("Number"),
    "option_id": _l("Option"),
    "paid_on": _l("Paid on"),
    "partial_share_pct": _l("Share paid when partially met (%)"),
    "payments_recorded": _l("Payments recorded"),
    "percent": _l("Percent"),
    "period_label": _l("Period label"),
    "period_number": _l("Period number"),
    "point": _l("Decision point"),
    "point_key": _l("Point key"),
    "price_per_unit": _l("Price per unit"),
    "procurement_method": _l("Procurement method"),
    "procurement_method_details": _l("Procurement method details"),
    "rationale": _l("Rationale"),
    "reason": _l("Reason"),
    "release_pct": _l("Share released (%)"),
    "replaces_id": _l("Replaces"),
    "revision": _l("Revision"),
    "revision_reason": _l("Revision reason"),
    "rule_id": _l("Rule"),
    "rule_key": _l("Rule key"),
    "statement_id": _l("Statement"),
    "summary_token": _l("Summary token"),
    "superseded_by_id": _l("Superseded by"),
    "superseded_reason": _l("Superseded reason"),
    "task_id": _l("Task"),
    "tiers": _l("Tiers"),
    "total": _l("Total"),
    "updated_by_id": _l("Updated by"),
    "void_reason": _l("Void reason"),
    "voided_at": _l("Voided at"),
    "voided_by_id": _l("Voided by"),
    "weight": _l("Weight"),
    "closeout_rating": _l("Closeout rating"),
    "design": _l("Design"),
    "dimension_id": _l("Dimension"),
    "format_version": _l("Format version"),
    "group_id": _l("Group"),
    "kind_of_service": _l("Kind of service"),
    "ocds_contract_id": _l("OCDS contract id"),
    "ocds_id": _l("OCDS id"),
    "ocds_ocid": _l("OCDS ocid"),
    "on_track_share": _l("Share of periods on track"),
    "origin": _l("Origin"),
    "periods_rated": _l("Periods rated"),
    "priority_names": _l("Suggested priorities"),
    "search_text": _l("Search text"),
    "source_contract_id": _l("Source contract"),
    "template_id": _l("Template"),
}
ENTITY_LABELS = {
    "actionitem": _l("Action item"),
    "apitoken": _l("API token"),
    "attachment": _l("Attachment"),
    "auditevent": _l("Audit event"),
    "checkin": _l("Check-in"),
    "closeoutevaluation": _l("Closeout evaluation"),
    "contract": _l("Contract"),
    "department": _l("Department"),
    "flag": _l("Flag"),
    "healthsnapshot": _l("Health snapshot"),
    "idempotencykey": _l("Idempotency key"),
    "importupload": _l("Import upload"),
    "jobheartbeat": _l("Job heartbeat"),
    "metric": _l("Metric"),
    "metrictarget": _l("Metric target"),
    "milestone": _l("Milestone"),
    "notification": _l("Notification"),
    "portalpush": _l("Portal push"),
    "priority": _l("Priority"),
    "prioritymonthhealth": _l("Priority month health"),
    "reading": _l("Reading"),
    "readingrevision": _l("Reading revision"),
    "signinfailure": _l("Sign-in failure"),
    "user": _l("User"),
    "vendor": _l("Vendor"),
    "vendoraccess": _l("Vendor access"),
    "vendorinvitation": _l("Vendor invitation"),
    "vendorsubmission": _l("Vendor submission"),
    "amendment": _l("Amendment"),
    "contractoption": _l("Contract option"),
    "decisiontask": _l("Decision task"),
    "payment": _l("Payment made"),
    "paymentrule": _l("Payment rule"),
    "paymentrulemetric": _l("Payment rule metric"),
    "paymentstatement": _l("Payment statement"),
    "paymentstatementline": _l("Payment statement line"),
    "paymentterms": _l("Payment terms"),
    "renewaldecision": _l("Renewal decision"),
    "dimension": _l("Dimension"),
    "dimensiongroup": _l("Dimension group"),
    "readinggroupvalue": _l("Reading value per group"),
    "contracttemplate": _l("Contract template"),
}
ACTION_LABELS = {
    "create": _l("Create"), "update": _l("Update"), "delete": _l("Delete"), "archive": _l("Archive"),
    "restore": _l("Restore"), "retry": _l("Retry"), "sign_in": _l("Sign in"),
}


def entity_label(entity_type):
    """ "Closeout evaluation" for closeoutevaluation (the audit's entity types, in words)."""
    return ENTITY_LABELS.get(entity_type) or entity_type.replace("_", " ").capitalize()


def action_label(action):
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class ReadableEvent:
    event: object  # the AuditEvent
    changes: list


def label_for(field):
    if field in LABELS:
        return LABELS[field]
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    name = field[:-3] if field.endswith("_id") else field
    # A name not listed: its words, translated when the catalogue has them ("Vendor").
    return gettext(name.replace("_", " ").capitalize())


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
    return str(codes.get(value, value)) if codes else _when(value)


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
