"""Request and response schemas of the API (marshmallow; flask-smorest documents them).

Request schemas check shape and type (a 422 names each bad field); the services then apply
the domain rules, as they do for the web forms. Response schemas are dumped from the models.
Decimals go out as strings ("21.5") so that no client loses precision to binary floats.
"""
from decimal import Decimal

import pycountry
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts_app.api.fields import Choice, DecimalText, Day, Flag, Id, Number, Text, WholeNumber
from contracts_app.api.base import PageArgs
from contracts_app.api.errors import CODES
from contracts_app.contracts.forms import IDENTIFIER_SCHEME_MESSAGE, IDENTIFIER_SCHEME_PATTERN, REFERENCE_PATTERN
from contracts_app.contracts.models import KINDS, PAYMENT_STRUCTURES, PROCUREMENT_METHODS, STATUSES, Contract, Vendor
from contracts_app.contracts.queries import SORTS
from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.management.models import CHECKIN_STATUSES, FLAG_KINDS, SEVERITIES, SEVERITY_ORDER
from contracts_app.metrics import rules
from contracts_app.metrics.models import CADENCES, DIRECTIONS, INDICATOR_TYPES, Metric
from contracts_app.milestones.models import MILESTONE_STATUSES, MILESTONE_TYPES, Milestone
from contracts_app.portfolio.queries import ENDING_WITHIN_CHOICES, HEALTH_ORDER, parse_period

HEALTH = list(rules.STATUS_LABELS)
# The portfolio's period filter as parse_period takes it: a year from 1900 to 2200, a month or a quarter.
PERIOD_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)(-(0[1-9]|1[0-2])|-Q[1-4])?$"
# ISO 4217 codes, as the contract service checks them (pycountry), in capitals.
CURRENCIES = sorted(currency.alpha_3 for currency in pycountry.currencies)
CURRENCY_ERROR = "Use a three-letter ISO 4217 code in capitals, such as USD."
MONEY_MAX = Decimal("999999999999.99")  # Numeric(14, 2)
VALUE_MAX = Decimal("99999999999999.9999")  # Numeric(18, 4)


# --- errors ----------------------------------------------------------------------------------


class ErrorBodySchema(Schema):
    code = fields.String(
        required=True,
        metadata={"description": "Stable, for programs: " + ", ".join(sorted(set(CODES.values())))
                  + ", invalid_json, reading_exists, already_resolved, checkin_pending, stale_version, invalid_if_match, "
                  "invalid_idempotency_key, idempotency_key_reused, idempotency_in_progress, already_used, unknown_row, "
                  "outside_term, period_not_started, readings_exist, unchanged."},
    )
    message = fields.String(required=True, metadata={"description": "For people."})
    field_errors = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True, data_key="fields",
        metadata={"description": "What is wrong with each request field, by name (may be empty)."},
    )
    existing_id = fields.Integer(metadata={"description": "409 only: the id of the row the request conflicts with."})
    errors = fields.List(
        fields.Nested(lambda: ItemErrorSchema()),
        metadata={"description": "For a body with a list of items (POST /readings/batch): every problem of the items, "
                                 "by index in the list (also in fields as readings.<index>.<field>)."},
    )

    current = fields.Dict(metadata={
        "description": "409 stale_version only: the reading as it is now (a Reading, with its version); "
                       "the response's ETag header is its ETag, to send as If-Match after checking it.",
    })


class ItemErrorSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "The item's position in the list, from 0."})
    field = fields.String(required=True, allow_none=True, metadata={"description": "The item's field at fault, if one is."})
    message = fields.String(required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# --- references ------------------------------------------------------------------------------


class UserRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class VendorRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PriorityRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ContractRefSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)


def page_of(item_schema, name):
    """A paginated list schema: {"items", "page", "per_page", "total", "pages"}."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True, metadata={"description": "Items matching the filters, on all pages."}),
        "pages": fields.Integer(required=True),
    })


def list_of(item_schema, name):
    """An unpaginated list schema: {"items"}."""
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item_schema), required=True)})


# --- priorities and vendors --------------------------------------------------------------------


class PrioritySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    outcome = fields.String(required=True)
    target_year = fields.Integer(required=True, allow_none=True)
    owner = fields.Nested(UserRefSchema, required=True, allow_none=True)
    contract_count = fields.Integer(
        required=True, metadata={"description": "Unarchived contracts serving this priority."}
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class VendorSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    contact_name = fields.String(required=True, allow_none=True)
    contact_email = fields.String(required=True, allow_none=True)
    identifier_scheme = fields.String(
        required=True, allow_none=True, metadata={"description": "An org-id.guide scheme, e.g. US-EIN."}
    )
    identifier = fields.String(required=True, allow_none=True, metadata={"description": "The id in that scheme."})
    street_address = fields.String(required=True, allow_none=True)
    locality = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    postal_code = fields.String(required=True, allow_none=True)
    country_name = fields.String(required=True, allow_none=True)
    is_small = fields.Boolean(required=True, metadata={"description": "A small business (WWC RDC8)."})
    is_local = fields.Boolean(required=True, metadata={"description": "A local business."})
    is_diverse = fields.Boolean(required=True, metadata={"description": "A diverse (minority-, women-, veteran- or disability-owned) business."})
    contract_count = fields.Integer(required=True, metadata={"description": "Unarchived contracts."})
    total_value = DecimalText(required=True, metadata={"description": "Total value of the unarchived contracts."})


def _any_case(word):
    return "".join(f"[{letter.upper()}{letter}]" for letter in word)


# An email address as the document can state it, a plain-ASCII subset of what email-validator
# accepts (the schema checks both, so the document allows no address the server refuses): atoms
# joined by "."; "@"; labels of letters, digits and inner hyphens, at most 63 characters (no
# "ab--": Punycode is refused); a top-level domain that ends with a letter and is not
# special-use (.test, .local...); at most 254 characters in all (EMAIL_MAX). Empty clears it.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"(?![A-Za-z0-9]{2}--)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"(?![A-Za-z0-9]{2}--)([A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
_SPECIAL_USE = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
EMAIL_PATTERN = rf"^$|^{_ATEXT}+(\.{_ATEXT}+)*@({_LABEL}\.)+(?!({_SPECIAL_USE})$){_TOP_LABEL}$"
EMAIL_MAX = 254  # RFC 5321's longest path, less the angle brackets; email-validator's limit
EMAIL_MESSAGE = "Enter a valid email address, in plain ASCII letters, such as name@example.com."


class VendorPatchSchema(Schema):
    """Any of the vendor's fields; those not given keep their value, null or "" clears one."""

    name = Text(blank=False, max_length=max_length(Vendor.name))
    contact_name = Text(allow_none=True, max_length=max_length(Vendor.contact_name))
    contact_email = Text(
        allow_none=True, max_length=min(max_length(Vendor.contact_email), EMAIL_MAX), pattern=EMAIL_PATTERN,
        pattern_error=EMAIL_MESSAGE,
        # No format: email, which would refuse "" (the pattern says all, "" included).
        metadata={"description": "An email address, in plain ASCII (checked as the web form checks it, too); empty "
                                 "clears it."},
    )
    identifier_scheme = Text(
        allow_none=True, max_length=max_length(Vendor.identifier_scheme),
        # Empty clears it; the text as sent, so no spaces around it.
        pattern="^$|" + IDENTIFIER_SCHEME_PATTERN, pattern_error=IDENTIFIER_SCHEME_MESSAGE,
        metadata={"description": "An org-id.guide scheme, e.g. US-EIN; give it with identifier."},
    )
    identifier = Text(allow_none=True, max_length=max_length(Vendor.identifier))
    street_address = Text(allow_none=True, max_length=max_length(Vendor.street_address))
    locality = Text(allow_none=True, max_length=max_length(Vendor.locality))
    region = Text(allow_none=True, max_length=max_length(Vendor.region))
    postal_code = Text(allow_none=True, max_length=max_length(Vendor.postal_code))
    country_name = Text(allow_none=True, max_length=max_length(Vendor.country_name))
    is_small = Flag(metadata={"description": "A small business, as certified by the city."})
    is_local = Flag(metadata={"description": "A local business."})
    is_diverse = Flag(metadata={"description": "A diverse (minority-, women-, veteran- or disability-owned) business."})

    @validates_schema
    def _check(self, data, **kwargs):
        email = data.get("contact_email")
        if email:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                raise ValidationError({"contact_email": ["Enter a valid email address."]})


# --- contracts -------------------------------------------------------------------------------


class ContractSummarySchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    department = fields.String(required=True)
    department_id = fields.Integer(required=True, metadata={"description": "The department's stable id (renaming keeps it)."})
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    health = fields.String(required=True, metadata={"enum": HEALTH, "description": "Stored roll-up of the metrics and milestones."})
    value = DecimalText(required=True)
    currency = fields.String(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    awarded_on = fields.Date(required=True, allow_none=True)
    signed_on = fields.Date(required=True, allow_none=True)
    payment_structure = fields.String(required=True, metadata={"enum": list(PAYMENT_STRUCTURES)})
    is_public = fields.Boolean(required=True)
    vendor = fields.Nested(VendorRefSchema, required=True)
    priorities = fields.List(fields.Nested(PriorityRefSchema), required=True)
    procurement_officer = fields.Nested(UserRefSchema, required=True, allow_none=True)
    contract_manager = fields.Nested(UserRefSchema, required=True, allow_none=True)
    archived_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True)


class ContractSchema(ContractSummarySchema):
    procurement_method = fields.String(required=True, allow_none=True, metadata={
        "enum": [*PROCUREMENT_METHODS, None], "description": "How the vendor was chosen (OCDS procurementMethod)."})
    procurement_method_details = fields.String(required=True, allow_none=True)
    bids_received = fields.Integer(required=True, allow_none=True, metadata={"description": "Bids or proposals received."})
    payment_terms = fields.String(required=True)
    problem = fields.String(required=True)
    outcomes = fields.String(required=True, metadata={"description": "The desired outcomes (goals)."})
    health_updated_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


ContractPageSchema = page_of(ContractSummarySchema, "ContractPageSchema")


class ContractListArgs(PageArgs):
    q = Text(max_length=100, metadata={"description": "Search reference, title, vendor and department."})
    priority = Id(strict=False, metadata={"description": "Contracts serving this priority id."})
    vendor = Id(strict=False)
    manager = Id(strict=False, metadata={"description": "Contract manager's user id."})
    status = Choice(STATUSES)
    payment_structure = Choice(PAYMENT_STRUCTURES)
    health = Choice(HEALTH)
    department = Text(max_length=max_length(Contract.department), metadata={"description": "Exact department name."})
    archived = Choice(("no", "only", "all"), load_default="no", metadata={"description": "Archived contracts: no (default), only or all."})
    sort = Choice(SORTS, load_default="reference")
    direction = Choice(("asc", "desc"), load_default="asc", data_key="dir")


class ContractCreateSchema(Schema):
    reference = Text(
        required=True, blank=False, max_length=max_length(Contract.reference),
        pattern=REFERENCE_PATTERN, pattern_error="Use letters, digits and . _ / - only, starting with a letter or digit.",
        metadata={"description": "Unique; letters, digits and . _ / - only, starting with a letter or digit."},
    )
    title = Text(required=True, blank=False, max_length=max_length(Contract.title))
    kind = Choice(KINDS, load_default="contract")
    department = Text(required=True, blank=False, max_length=max_length(Contract.department))
    vendor_id = Id(allow_none=True, metadata={"description": "An existing vendor; or give new_vendor_name instead."})
    new_vendor_name = Text(max_length=max_length(Vendor.name), metadata={"description": "A vendor created (or found by name) with the contract."})
    value = Number(required=True, places=2, max_abs=MONEY_MAX)
    currency = Choice(
        CURRENCIES, error=CURRENCY_ERROR,
        load_default=lambda: current_app.config["DEFAULT_CURRENCY"], metadata={"description": "ISO 4217, e.g. USD."},
    )
    start_date = Day(required=True)
    end_date = Day(required=True)
    awarded_on = Day(allow_none=True, load_default=None, metadata={"description": "When the award was decided; not in the future."})
    signed_on = Day(allow_none=True, load_default=None, metadata={"description": "When the contract was signed; not before the award, not in the future."})
    status = Choice(STATUSES, load_default="active")
    payment_structure = Choice(PAYMENT_STRUCTURES, required=True)
    payment_terms = Text(required=True, blank=False, max_length=LONG_TEXT, metadata={"description": "How payment ties to results."})
    problem = Text(required=True, blank=False, max_length=LONG_TEXT)
    outcomes = Text(required=True, blank=False, max_length=LONG_TEXT, metadata={"description": "The desired outcomes (goals)."})
    priority_ids = fields.List(
        Id(), required=True, validate=validate.Length(min=1, error="Pick at least one priority this contract serves."),
        metadata={"description": "At least one priority id."},
    )
    procurement_officer_id = Id(allow_none=True, metadata={"description": "Defaults to you when you are a procurement officer."})
    contract_manager_id = Id(allow_none=True)
    is_public = Flag(load_default=True, metadata={"description": "Published as open data (OCDS)."})
    procurement_method = Choice(PROCUREMENT_METHODS, allow_none=True, load_default=None, metadata={
        "description": "How the vendor was chosen: open, selective, limited or direct (OCDS procurementMethod)."})
    procurement_method_details = Text(allow_none=True, load_default=None,
                                      max_length=max_length(Contract.procurement_method_details))
    bids_received = WholeNumber(0, 100_000, allow_none=True, load_default=None,
                                metadata={"description": "How many bids or proposals were received."})

    @validates_schema
    def _check(self, data, **kwargs):
        errors = {}
        if data.get("vendor_id") and data.get("new_vendor_name"):
            errors["new_vendor_name"] = ["Give vendor_id or new_vendor_name, not both."]
        if errors:
            raise ValidationError(errors)


class ContractPatchSchema(ContractCreateSchema):
    """Any of the contract's fields; those not given keep their value.

    On a contract that is or was active, a change of value, term (start_date, end_date) or
    scope (problem, outcomes) is an amendment: give amended_on, amendment_reason and
    amendment_approver_id with it, or the change is refused (422) and nothing is saved."""

    amended_on = Day(allow_none=True, metadata={"description": "The amendment's date (not in the future)."})
    amendment_reason = Text(allow_none=True, max_length=LONG_TEXT, metadata={"description": "Why the contract is amended."})
    amendment_approver_id = Id(allow_none=True, metadata={
        "description": "The user who approved the amendment: an active procurement officer or admin."})


class ArchiveSchema(Schema):
    reason = Text(required=True, blank=False, max_length=1000, metadata={"description": "Why the contract is archived."})


# --- metrics and readings --------------------------------------------------------------------


class LatestReadingSchema(Schema):
    id = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    value = DecimalText(required=True)
    status = fields.String(required=True, metadata={"enum": HEALTH})
    target = DecimalText(required=True, allow_none=True, metadata={"description": "The period's target."})
    attainment = DecimalText(required=True, allow_none=True, metadata={"description": "Percent of target (100 = on target)."})


class MetricSchema(Schema):
    id = fields.Integer(required=True)
    contract_id = fields.Integer(required=True)
    name = fields.String(required=True)
    definition = fields.String(required=True)
    unit = fields.String(required=True)
    direction = fields.String(required=True, metadata={"enum": list(DIRECTIONS)})
    baseline_value = DecimalText(required=True, allow_none=True)
    baseline_date = fields.Date(required=True, allow_none=True)
    target_value = DecimalText(required=True, allow_none=True)
    range_low = DecimalText(required=True, allow_none=True)
    range_high = DecimalText(required=True, allow_none=True)
    tolerance_pct = DecimalText(required=True)
    target_notes = fields.String(required=True, metadata={"description": "How the targets were set."})
    cadence = fields.String(required=True, metadata={"enum": list(CADENCES)})
    due_days = fields.Integer(required=True)
    on_track_pct = DecimalText(required=True)
    at_risk_pct = DecimalText(required=True)
    data_source = fields.String(required=True)
    indicator_type = fields.String(required=True, metadata={"enum": list(INDICATOR_TYPES)})
    payment_linked = fields.Boolean(required=True)
    is_public = fields.Boolean(required=True, metadata={"description": "Published (public site, open data) when the contract is."})
    is_count = fields.Boolean(required=True, metadata={"description": "A count: values per group add up to the total."})
    position = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": HEALTH, "description": "Stored current status."})
    status_period_start = fields.Date(required=True, allow_none=True)
    latest_reading = fields.Nested(LatestReadingSchema, required=True, allow_none=True)
    next_period_start = fields.Date(required=True, allow_none=True, metadata={"description": "The next started period without a reading."})
    next_due = fields.Date(required=True, allow_none=True)


MetricListSchema = list_of(MetricSchema, "MetricListSchema")


class MetricCreatedSchema(MetricSchema):
    warnings = fields.List(fields.String(), required=True, metadata={"description": "Advice, e.g. more metrics than the practice suggests."})


class MetricCreateSchema(Schema):
    name = Text(required=True, blank=False, max_length=max_length(Metric.name))
    definition = Text(load_default="", max_length=LONG_TEXT)
    unit = Text(required=True, blank=False, max_length=max_length(Metric.unit), metadata={"description": "e.g. count, percent, days."})
    direction = Choice(DIRECTIONS, required=True)
    baseline_value = Number(places=4, max_abs=VALUE_MAX, allow_none=True, load_default=None)
    baseline_date = Day(allow_none=True, load_default=None)
    target_value = Number(places=4, max_abs=VALUE_MAX, allow_none=True, load_default=None,
                          metadata={"description": "Final target (increase, decrease, maintain)."})
    range_low = Number(places=4, max_abs=VALUE_MAX, allow_none=True, load_default=None, metadata={"description": "Range metrics."})
    range_high = Number(places=4, max_abs=VALUE_MAX, allow_none=True, load_default=None, metadata={"description": "Range metrics."})
    tolerance_pct = Number(places=2, max_abs=Decimal(1000), allow_none=True, load_default=None,
                           metadata={"description": "Maintain metrics (default 5)."})
    target_notes = Text(load_default="", max_length=LONG_TEXT, metadata={
        "description": "How the targets were set (the baseline plus 10%, a peer city's result...)."})
    cadence = Choice(CADENCES, load_default="monthly")
    due_days = WholeNumber(0, 366, load_default=10, metadata={"description": "Days after the period ends when data is due."})
    on_track_pct = Number(places=2, max_abs=Decimal(1000), load_default=Decimal(100))
    at_risk_pct = Number(places=2, max_abs=Decimal(1000), load_default=Decimal(90))
    data_source = Text(load_default="", max_length=max_length(Metric.data_source))
    indicator_type = Choice(INDICATOR_TYPES, load_default="lagging")
    payment_linked = Flag(load_default=False)
    is_public = Flag(load_default=True, metadata={"description": "Published when the contract is (default true)."})
    is_count = Flag(load_default=False, metadata={
        "description": "A count (people, visits): values per group add up to the total. False for a rate or an average."})
    dimension_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50), metadata={
        "description": "The dimensions (GET /dimensions) its readings are broken down by."})


class GroupValueSchema(Schema):
    group_id = Id(required=True, metadata={"description": "A group of one of the metric's dimensions (GET /dimensions)."})
    value = Number(required=True, places=4, max_abs=VALUE_MAX)


GROUPS_DESCRIPTION = (
    "Optional values per group of the metric's dimensions (for example each council district). For a "
    "count metric (`is_count`), when every group of a dimension is given they must add up to `value`; "
    "otherwise the answer is 422 naming both numbers. For a rate the groups are independent of the total."
)


class DimensionGroupSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class DimensionSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    groups = fields.List(fields.Nested(DimensionGroupSchema), required=True, metadata={"description": "In order."})


DimensionListSchema = list_of(DimensionSchema, "DimensionListSchema")


class ReadingSchema(Schema):
    id = fields.Integer(required=True)
    metric_id = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    value = DecimalText(required=True)
    note = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": HEALTH})
    target = DecimalText(required=True, allow_none=True)
    attainment = DecimalText(required=True, allow_none=True, metadata={"description": "Percent of target (100 = on target)."})
    recorded_by = fields.Nested(UserRefSchema, required=True, allow_none=True)
    recorded_at = fields.DateTime(required=True)
    corrections = fields.Integer(required=True, metadata={"description": "How many times it was corrected (history kept)."})
    version = fields.Integer(required=True, metadata={
        "description": "1 when recorded, one more at each correction. Send it back (If-Match with the ETag, or "
                       "`version`) when correcting, so that a correction made meanwhile is not overwritten.",
    })
    groups = fields.List(fields.Nested(GroupValueSchema), metadata={
        "description": "The reading's values per group of the metric's dimensions."})


ReadingListSchema = list_of(ReadingSchema, "ReadingListSchema")


class ReadingCreateSchema(Schema):
    period_start = Day(required=True, metadata={"description": "The first day of the reporting period."})
    value = Number(required=True, places=4, max_abs=VALUE_MAX)
    note = Text(load_default="", max_length=LONG_TEXT)
    groups = fields.List(fields.Nested(GroupValueSchema), load_default=list, validate=validate.Length(max=1000),
                         metadata={"description": GROUPS_DESCRIPTION})


BATCH_MAX = 1000


class ReadingBatchItemSchema(Schema):
    metric_id = Id(required=True)
    period_start = Day(required=True, metadata={"description": "The first day of the reporting period."})
    value = Number(required=True, places=4, max_abs=VALUE_MAX)
    note = Text(load_default="", max_length=LONG_TEXT, metadata={
        "description": "Optional for a new reading; required when the period has a reading (a correction: why)."})
    version = Id(load_default=None, metadata={
        "description": "Optional, for a correction: the version of the reading you saw; refused when it has moved on."})
    groups = fields.List(fields.Nested(GroupValueSchema), load_default=None, validate=validate.Length(max=1000), metadata={
        "description": GROUPS_DESCRIPTION + " For a correction, given they replace the stored group values; left out, "
                       "the stored ones are kept and must still agree with the new value."})


class ReadingBatchSchema(Schema):
    readings = fields.List(
        fields.Nested(ReadingBatchItemSchema), required=True,
        validate=validate.Length(1, BATCH_MAX, error=f"Send from 1 to {BATCH_MAX:,} readings in one batch."),
        metadata={"description": f"1 to {BATCH_MAX:,} readings: new ones, or corrections of recorded periods."},
    )


class ReadingBatchResultSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "The item's position in the request."})
    result = fields.String(required=True, metadata={"enum": ["recorded", "corrected", "unchanged"]})
    id = fields.Integer(required=True)
    metric_id = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    value = DecimalText(required=True)
    note = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": HEALTH})
    version = fields.Integer(required=True)


class ReadingBatchResponseSchema(Schema):
    items = fields.List(fields.Nested(ReadingBatchResultSchema), required=True)
    recorded = fields.Integer(required=True)
    corrected = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class ReadingCorrectionSchema(Schema):
    value = Number(required=True, places=4, max_abs=VALUE_MAX)
    groups = fields.List(fields.Nested(GroupValueSchema), load_default=None, validate=validate.Length(max=1000), metadata={
        "description": GROUPS_DESCRIPTION + " Given, they replace the stored group values (an empty list clears them); "
                       "left out, the stored ones are kept and must still agree with the new value."})
    note = Text(required=True, blank=False, max_length=LONG_TEXT, metadata={"description": "Why it is corrected (kept in the history)."})
    version = WholeNumber(1, 2**31 - 1, load_default=None, metadata={
        "description": "The reading's version you saw (or send its ETag as If-Match). If it has been corrected "
                       "since, the answer is 409 stale_version with the current reading and nothing changes. "
                       "Without either, the correction applies to whatever the reading is now (its history "
                       "keeps the value it replaced).",
    })


# --- milestones ------------------------------------------------------------------------------


class MilestoneSchema(Schema):
    id = fields.Integer(required=True)
    contract_id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    due_date = fields.Date(required=True)
    milestone_type = fields.String(required=True, metadata={"enum": list(MILESTONE_TYPES)})
    status = fields.String(required=True, metadata={"enum": list(MILESTONE_STATUSES)})
    completed_on = fields.Date(required=True, allow_none=True)
    payment_linked = fields.Boolean(required=True)
    notes = fields.String(required=True)
    updated_at = fields.DateTime(required=True)


MilestoneListSchema = list_of(MilestoneSchema, "MilestoneListSchema")


class MilestoneCreateSchema(Schema):
    title = Text(required=True, blank=False, max_length=max_length(Milestone.title))
    description = Text(load_default="", max_length=LONG_TEXT)
    due_date = Day(required=True)
    milestone_type = Choice(MILESTONE_TYPES, load_default="delivery", metadata={"description": "What kind of milestone (OCDS milestoneType)."})
    status = Choice(MILESTONE_STATUSES, load_default="scheduled")
    completed_on = Day(allow_none=True, load_default=None, metadata={"description": "Required once met or partially met."})
    payment_linked = Flag(load_default=False)
    notes = Text(load_default="", max_length=LONG_TEXT)


class MilestonePatchSchema(MilestoneCreateSchema):
    """Any of the milestone's fields; those not given keep their value."""


# --- flags and check-ins ---------------------------------------------------------------------


class FlagSchema(Schema):
    id = fields.Integer(required=True)
    contract = fields.Nested(ContractRefSchema, required=True)
    kind = fields.String(required=True, metadata={"enum": list(FLAG_KINDS)})
    severity = fields.String(required=True, metadata={"enum": list(SEVERITIES)})
    subject_type = fields.String(required=True, metadata={"enum": ["metric", "milestone", "contract"]})
    subject = fields.String(required=True, metadata={"description": "The metric's name, the milestone's title, or Check-ins."})
    metric_id = fields.Integer(required=True, allow_none=True)
    milestone_id = fields.Integer(required=True, allow_none=True)
    period_start = fields.Date(required=True)
    summary = fields.String(required=True)
    opened_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(required=True, allow_none=True)
    resolved_by = fields.Nested(UserRefSchema, required=True, allow_none=True)
    resolution_note = fields.String(required=True, allow_none=True)
    escalated_at = fields.DateTime(required=True, allow_none=True)


FlagPageSchema = page_of(FlagSchema, "FlagPageSchema")


class FlagListArgs(PageArgs):
    status = Choice(("open", "resolved", "all"), load_default="all")
    contract = Id(strict=False, metadata={"description": "Flags of this contract id."})
    kind = Choice(FLAG_KINDS)
    severity = Choice(SEVERITIES)
    department = Text(max_length=max_length(Contract.department))


class ResolveFlagSchema(Schema):
    note = Text(required=True, blank=False, max_length=2000, metadata={"description": "Why the flag is resolved."})


class ActionItemSchema(Schema):
    id = fields.Integer(required=True)
    description = fields.String(required=True)
    owner = fields.String(required=True)
    due_date = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "done", "dropped"]})
    completed_on = fields.Date(required=True, allow_none=True)


class CheckInSchema(Schema):
    id = fields.Integer(required=True)
    contract = fields.Nested(ContractRefSchema, required=True)
    status = fields.String(required=True, metadata={"enum": list(CHECKIN_STATUSES)})
    scheduled_for = fields.Date(required=True)
    start_time = fields.Time(required=True, allow_none=True, metadata={"description": "City time of day."})
    duration_minutes = fields.Integer(required=True)
    location = fields.String(required=True)
    held_on = fields.Date(required=True, allow_none=True)
    city_attendees = fields.String(required=True)
    vendor_attendees = fields.String(required=True)
    notes = fields.String(required=True)
    decisions = fields.String(required=True)
    proposed_by_sweep = fields.Boolean(required=True)
    flag_ids = fields.List(fields.Integer(), required=True, metadata={"description": "Flags discussed."})
    action_items = fields.List(fields.Nested(ActionItemSchema), required=True)


CheckInPageSchema = page_of(CheckInSchema, "CheckInPageSchema")


class CheckInListArgs(PageArgs):
    contract = Id(strict=False)
    status = Choice(CHECKIN_STATUSES)


# --- portfolio -------------------------------------------------------------------------------


def _by_health(name, field):
    return type(name, (Schema,), {health: field(required=True) for health in HEALTH_ORDER})


HealthCountsSchema = _by_health("HealthCountsSchema", fields.Integer)
HealthSharesSchema = _by_health("HealthSharesSchema", DecimalText)


class RollupSchema(Schema):
    counts = fields.Nested(HealthCountsSchema, required=True, metadata={"description": "Contracts by stored health."})
    shares = fields.Nested(HealthSharesSchema, required=True, metadata={"description": "Percent of the contracts, by health."})
    total = fields.Integer(required=True)
    value = DecimalText(required=True)


class PriorityRollupSchema(RollupSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    outcome = fields.String(required=True)
    target_year = fields.Integer(required=True, allow_none=True)


OpenFlagsSchema = type("OpenFlagsSchema", (Schema,), {s: fields.Integer(required=True) for s in SEVERITY_ORDER})


class PortfolioSchema(Schema):
    totals = fields.Nested(RollupSchema, required=True, metadata={"description": "The strategic portfolio (active, unarchived)."})
    priorities = fields.List(fields.Nested(PriorityRollupSchema), required=True)
    open_flags = fields.Nested(OpenFlagsSchema, required=True, metadata={"description": "Open flags by severity."})


class PortfolioArgs(Schema):
    department = Text(max_length=max_length(Contract.department))
    payment_structure = Choice(PAYMENT_STRUCTURES)
    vendor = Id(strict=False)
    period = Text(
        max_length=10, pattern=PERIOD_PATTERN, pattern_error="Use a year (2025), a month (2025-07) or a quarter (2025-Q3).",
        metadata={"description": "Contracts running during 2025, 2025-07 or 2025-Q3 (years 1900 to 2200)."},
    )
    ending_within = Choice([str(days) for days in ENDING_WITHIN_CHOICES], metadata={"description": "Days."})

    @validates_schema
    def _check_period(self, data, **kwargs):
        if data.get("period") and parse_period(data["period"]) is None:
            raise ValidationError("Use a year (2025), a month (2025-07) or a quarter (2025-Q3).", "period")
