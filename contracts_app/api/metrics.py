"""Metrics and their readings."""
import re
from decimal import Decimal

from flask import request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.api.base import (
    CONFLICT, FORBIDDEN, ApiBlueprint, allow, api_user, find, find_with, problems_error,
)
from contracts_app.api.contracts import contract_or_404
from contracts_app.api.errors import ApiError
from contracts_app.api.idempotency import idempotent
from contracts_app.api.schemas import (
    DimensionListSchema, MetricCreatedSchema, MetricCreateSchema, MetricListSchema, MetricSchema, ReadingBatchResponseSchema,
    ReadingBatchSchema, ReadingCorrectionSchema, ReadingCreateSchema, ReadingListSchema, ReadingSchema,
)
from contracts_app.contracts.models import Contract
from contracts_app.formatting import plural
from contracts_app.metrics import bulk, services, summaries
from contracts_app.metrics.models import Metric, Reading
from contracts_app.dimensions.models import Dimension, ReadingGroupValue
from contracts_app.dimensions.services import stored_group_values
from contracts_app.db_utils import RowLookup, columns_of, loaded_keys
from contracts_app.extensions import db
from contracts_app.permissions import can_edit_contract, can_enter_readings

bp = ApiBlueprint("api_metrics", __name__, tag="metrics", description="Key metrics of contracts, and their readings.")

METRIC_COLUMNS = ("id", "contract_id", "position", "status", "status_period_start", *services.METRIC_FIELDS, "is_public", "is_count", "target_notes")
PERCENT = Decimal("0.01")
VALUE = Decimal("0.0001")


def _round(value, places):
    return value.quantize(places) if value is not None else None


def _metric_out(summary):
    metric = summary.metric
    latest = None
    if summary.latest is not None:
        reading = summary.latest
        latest = {
            "id": reading.id, "period_start": reading.period_start, "period_end": reading.period_end,
            "value": reading.value, "status": reading.status, "target": _round(summary.target, VALUE),
            "attainment": _round(summary.attainment, PERCENT),
        }
    return {
        **{column: getattr(metric, column) for column in METRIC_COLUMNS},
        "latest_reading": latest,
        "next_period_start": summary.next_period.start if summary.next_period else None,
        "next_due": summary.next_due,
    }


def _summaries(contract):
    return summaries.contract_metric_summaries(contract)


def _metric_or_404(metric_id):
    return find(Metric, metric_id, "metric", options=[joinedload(Metric.contract).selectinload(Contract.metrics)])


@bp.route("/contracts/<int:contract_id>/metrics")
@bp.response(200, MetricListSchema)
def list_metrics(contract_id):
    """A contract's metrics in order, each with its stored status and latest reading."""
    contract = find(Contract, contract_id, "contract", options=[selectinload(Contract.metrics)])
    return {"items": [_metric_out(summary) for summary in _summaries(contract)]}


@bp.route("/contracts/<int:contract_id>/metrics", methods=["POST"])
@bp.arguments(MetricCreateSchema)
@bp.response(201, MetricCreatedSchema)
@bp.alt_response(403, response=FORBIDDEN)
def create_metric(body, contract_id):
    """Add a metric (procurement officers).

    Every problem with the values is named at once in the 422, including the comparisons the
    schema cannot state: an increase's target above the baseline (a decrease's below), a range's
    high bound at least its low, the at-risk threshold at most the on-track one. Above the
    practice's number of metrics the metric is still added, with a warning.
    """
    contract = contract_or_404(contract_id)
    user = api_user()
    allow(can_edit_contract(user, contract), contract)
    problems = services.metric_problems(body)
    if problems:
        raise problems_error(problems)
    metric, warning = services.create_metric(contract, user, body)
    summary = next(s for s in _summaries(metric.contract) if s.metric.id == metric.id)
    return {**_metric_out(summary), "warnings": [warning] if warning else []}


@bp.route("/dimensions")
@bp.response(200, DimensionListSchema)
def list_dimensions():
    """The city's dimensions (council district, age band...), each with its groups in order:
    the group ids a reading's `groups` name."""
    dimensions = db.session.scalars(
        select(Dimension).options(selectinload(Dimension.groups)).order_by(Dimension.name)
    ).all()
    return {"items": [
        {"id": d.id, "name": d.name, "description": d.description, "groups": [{"id": g.id, "name": g.name} for g in d.groups]}
        for d in dimensions
    ]}


@bp.route("/metrics/<int:metric_id>")
@bp.response(200, MetricSchema)
def get_metric(metric_id):
    """One metric, with its stored status and latest reading."""
    metric = _metric_or_404(metric_id)
    return _metric_out(next(s for s in _summaries(metric.contract) if s.metric.id == metric.id))


def _reading_out(row, corrections=None):
    """A reading for the API; ``corrections`` when counted already (else its revisions are counted)."""
    reading = row.reading
    if corrections is None:
        corrections = len(reading.revisions)
    return {
        "id": reading.id, "metric_id": reading.metric_id, "period_start": reading.period_start,
        "period_end": reading.period_end, "value": reading.value, "note": reading.note, "status": reading.status,
        "target": _round(row.target, VALUE), "attainment": _round(row.attainment, PERCENT),
        "recorded_by": reading.recorded_by, "recorded_at": reading.recorded_at,
        "corrections": len(reading.revisions) if corrections is None else corrections, "version": reading.version,
    }


def _reading_rows(metric):
    """The metric's readings with their targets and attainment, in period order (bounded queries)."""
    return [row for row in summaries.metric_period_rows(metric) if row.reading is not None]


@bp.route("/metrics/<int:metric_id>/readings")
@bp.response(200, ReadingListSchema)
def list_readings(metric_id):
    """A metric's readings, oldest period first, each with its period's target and attainment."""
    metric = _metric_or_404(metric_id)
    rows = _reading_rows(metric)
    groups = _groups_of_metric(metric.id)
    return {"items": [{**_reading_out(row), "groups": groups.get(row.reading.id, [])} for row in rows]}


def _groups_of_metric(metric_id):
    """{reading id: [group value]} of a metric's readings, in one statement."""
    by_reading = {}
    for reading_id, group_id, value in db.session.execute(
        select(ReadingGroupValue.reading_id, ReadingGroupValue.group_id, ReadingGroupValue.value)
        .join(Reading, Reading.id == ReadingGroupValue.reading_id)
        .where(Reading.metric_id == metric_id)
        .order_by(ReadingGroupValue.reading_id, ReadingGroupValue.group_id)
    ):
        by_reading.setdefault(reading_id, []).append({"group_id": group_id, "value": value})
    return by_reading


def _one_reading(metric, reading_id):
    """The answer of a write: one reading's row, read in one statement (not the metric's whole
    period table, as a list of readings needs)."""
    row = summaries.reading_row(reading_id)
    return {**_reading_out(row, corrections=row.corrections), "groups": _groups_out(reading_id)}


def _groups_out(reading_id, stored=None):
    """A reading's group values for the API, in group order; ``stored`` when read already."""
    if stored is None:
        stored = stored_group_values(reading_id)
    return [{"group_id": group_id, "value": value} for group_id, value in sorted(stored.items())]


# --- versions: ETag and If-Match ---------------------------------------------------------------

ETAG_HEADERS = {"ETag": {
    "description": 'The reading\'s version as an entity tag, "reading-{id}-v{version}": send it back as If-Match '
                   "when correcting the reading.",
    "schema": {"type": "string", "example": '"reading-567-v2"'},
}}
IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False,
    "schema": {"type": "string", "pattern": r'^[ \t]*(\*|"reading-[0-9]{1,10}-v[0-9]{1,10}")?[ \t]*$',
               "example": '"reading-567-v2"'},
    "description": "The ETag of the reading as you last read it (GET /readings/{id}, or a list's `version`). If the "
                   "reading has been corrected since, the answer is 409 `stale_version` with the current reading, and "
                   "nothing changes; another reading's ETag is a 409 `invalid_if_match`, with the current reading too "
                   "(it is not this reading's current ETag), and so is an empty If-Match (it names no ETag). A malformed value, a weak ETag, or a version other than "
                   "the body's `version`, is a 400 (`invalid_if_match`). `*`, like no If-Match and no `version`, "
                   "corrects whatever is there now.",
}
_ETAG = re.compile(r'"reading-([0-9]{1,10})-v([0-9]{1,10})"', re.ASCII)


def reading_etag(reading):
    """The reading's entity tag: its id and version, so it changes at every correction."""
    return f'"reading-{reading.id}-v{reading.version}"'


def _reading_response(metric, reading_id):
    """The reading as it is now, with the ETag of exactly that version: both from one read, so
    a correction committed by someone else meanwhile cannot give the body of one version and
    the tag of the next (a client would then overwrite a value it never saw)."""
    body = _one_reading(metric, reading_id)
    return body, {"ETag": f'"reading-{body["id"]}-v{body["version"]}"'}


def _if_match_error(reading, message):
    example = reading_etag(reading)
    return ApiError(
        400, f"{message} Send the ETag exactly as the API returned it, such as {example}.",
        code="invalid_if_match", fields={"If-Match": message},
    )


def _other_reading_error(reading, message):
    """409: the If-Match is well formed but is not this reading's current ETag (it names another
    reading), so, as for a stale one, the answer carries the reading as it is now."""
    current = _one_reading(reading.metric, reading.id)
    etag = f'"reading-{reading.id}-v{current["version"]}"'
    return ApiError(
        409, f"{message} Send this reading's ETag, {etag}.", code="invalid_if_match",
        fields={"If-Match": message}, existing_id=reading.id, extra={"current": ReadingSchema().dump(current)},
        headers={"ETag": etag},
    )


def expected_version(reading, if_match, body_version):
    """The version a correction says it saw: from ``If-Match`` (one ETag of this reading) or the
    body's ``version``; None when it names neither (or ``If-Match: *``). 400 when If-Match is
    not an ETag of this API or disagrees with ``version``; 409 when it names another reading or none."""
    seen = None
    if if_match is not None:
        # Spaces and tabs around it, as the document's pattern allows (HTTP's optional whitespace).
        text = if_match.strip(" \t")
        if text == "":
            # An empty list of entity tags (RFC 9110): none matches the reading as it is now.
            raise _other_reading_error(reading, "If-Match is empty: it names no ETag.")
        if text != "*":
            shown = text if len(text) <= 60 else text[:59] + "…"
            match = _ETAG.fullmatch(text)
            if match is None:
                if text.startswith("W/"):
                    raise _if_match_error(reading, f"If-Match has a weak ETag ({shown}); a correction needs the strong one.")
                raise _if_match_error(reading, f"If-Match is not an ETag of this API ({shown or 'empty'}).")
            if int(match.group(1)) != reading.id:
                raise _other_reading_error(reading, f"If-Match names reading {match.group(1)}, not reading {reading.id}.")
            seen = int(match.group(2))
    if body_version is not None:
        if seen is not None and seen != body_version:
            raise _if_match_error(reading, f"If-Match names version {seen} but the body's version is {body_version}.")
        seen = body_version
    return seen


@bp.route("/metrics/<int:metric_id>/readings", methods=["POST"])
@idempotent
@bp.arguments(ReadingCreateSchema)
@bp.response(201, ReadingSchema, headers=ETAG_HEADERS)
@bp.alt_response(403, response=FORBIDDEN)
@bp.alt_response(409, response=CONFLICT)
def create_reading(body, metric_id):
    """Record the value of one reporting period.

    Procurement officers, and the contract's own contract manager. The period must have started.
    A period that already has a reading answers 409 with that reading's id (existing_id):
    correct it with PATCH /readings/{id} instead. Send an Idempotency-Key to retry safely.
    """
    metric = _metric_or_404(metric_id)
    user = api_user()
    allow(can_enter_readings(user, metric.contract), metric.contract)
    reading = services.record_reading(metric, user, body["period_start"], body["value"], body["note"], groups=body["groups"])
    return _reading_response(metric, reading.id)


# The reading with its metric and, of its contract, what a read or a correction uses: the
# permission check (archived, contract manager) and the term (the periods, the targets); the
# health a correction stores is set on the object as written. Any other column would be loaded
# on first use (tests/api/test_correction_statements.py counts a correction's statements). The
# objects are built from the row (db_utils.RowLookup: no ORM loading per request), the reading's
# metric and the metric's contract set as a joined load would.
_READING_KEYS = loaded_keys(Reading)
_METRIC_KEYS = loaded_keys(Metric)
_CONTRACT_KEYS = loaded_keys(Contract, only={"start_date", "end_date", "archived_at", "contract_manager_id"})
_READING_ROW = (
    select(*columns_of(Reading, _READING_KEYS), *columns_of(Metric, _METRIC_KEYS), *columns_of(Contract, _CONTRACT_KEYS))
    .join(Metric, Metric.id == Reading.metric_id)
    .join(Contract, Contract.id == Metric.contract_id)
    .where(Reading.id == bindparam("id"))
)
_READING_PARTS = [(Reading, _READING_KEYS), (Metric, _METRIC_KEYS), (Contract, _CONTRACT_KEYS)]
_READING_RELATIONS = [(0, "metric", 1), (1, "contract", 2)]
_READING_BY_ID = RowLookup(_READING_ROW, _READING_PARTS, _READING_RELATIONS)
# A correction's: the reading's row locked as it is read (FOR UPDATE OF readings, on
# PostgreSQL), the reading then as services._lock_reading leaves it, so that the correction
# need not read it again (``locked=True``). The lock is held to the end of the request's
# transaction, a refused one (403) included.
_READING_TO_CORRECT = RowLookup(
    _READING_ROW.with_for_update(of=Reading), _READING_PARTS, _READING_RELATIONS, refresh={0},
)


def _reading_or_404(reading_id, lookup=_READING_BY_ID):
    return find_with(lookup, reading_id, "reading")


@bp.route("/readings/<int:reading_id>")
@bp.response(200, ReadingSchema, headers=ETAG_HEADERS)
def get_reading(reading_id):
    """One reading, with its version; the ETag header is what to send as If-Match to correct it."""
    reading = _reading_or_404(reading_id)
    return _reading_response(reading.metric, reading.id)


@bp.route("/readings/<int:reading_id>", methods=["PATCH"])
@idempotent
@bp.arguments(ReadingCorrectionSchema)
@bp.response(200, ReadingSchema, headers=ETAG_HEADERS)
@bp.doc(parameters=[IF_MATCH])
@bp.alt_response(403, response=FORBIDDEN)
@bp.alt_response(409, response=CONFLICT)
def correct_reading(body, reading_id):
    """Correct a reading, with the reason.

    The earlier value, note, status and version go into the reading's history, and the version
    goes up by one. Name the version you saw (If-Match: its ETag, or `version`): if someone
    corrected the reading meanwhile, the answer is 409 `stale_version` with the current reading
    (`current`, and its ETag header) and nothing is overwritten. Send an Idempotency-Key to
    retry safely.
    """
    reading = _reading_or_404(reading_id, _READING_TO_CORRECT)
    # Held here: a retry's locking read repopulates the reading, and the metric (with its
    # contract) would otherwise leave the session's weak identity map and be read again.
    metric = reading.metric
    user = api_user()
    allow(can_enter_readings(user, metric.contract), metric.contract)
    seen = expected_version(reading, request.headers.get("If-Match"), body.get("version"))
    try:
        correction = services.correct_reading_values(
            reading, user, body["value"], body["note"], expected_version=seen, groups=body.get("groups"), locked=True,
        )
    except services.StaleReadingError as error:
        # The service rolled back; the reading is read again, as it is now.
        current = _one_reading(metric, reading_id)
        raise ApiError(
            409, error.message, code=error.code, fields={"version": f"The reading is at version {current['version']}."},
            existing_id=reading_id, extra={"current": ReadingSchema().dump(current)},
            headers={"ETag": f'"reading-{reading_id}-v{current["version"]}"'},
        )
    return _correction_response(correction)


def _correction_response(correction):
    """The answer of a correction from the values it wrote (in its transaction, under the row
    lock), not read back: the same body as ``_reading_response`` would give right after the
    commit, and the ETag of exactly that version."""
    values = correction.values
    body = {
        "id": values["id"], "metric_id": values["metric_id"], "period_start": values["period_start"],
        "period_end": values["period_end"], "value": values["value"], "note": values["note"],
        "status": values["status"], "target": _round(correction.target, VALUE),
        "attainment": _round(correction.attainment, PERCENT), "recorded_by": correction.recorded_by,
        "recorded_at": values["recorded_at"], "corrections": correction.corrections, "version": values["version"],
        "groups": _groups_out(values["id"], correction.groups),
    }
    return body, {"ETag": f'"reading-{body["id"]}-v{body["version"]}"'}


@bp.route("/readings/batch", methods=["POST"])
@idempotent
@bp.arguments(ReadingBatchSchema)
@bp.response(201, ReadingBatchResponseSchema)
@bp.alt_response(403, response=FORBIDDEN)
def record_readings_batch(body):
    """Record up to 1,000 readings at once: all of them, or none.

    Each item is a new reading (the period has started, lies in the contract's term and has no
    reading) or a correction of the period's reading (then ``note`` says why; ``version``, when
    given, must be the reading's current version). An item identical to the stored reading is
    left as it is ("unchanged"). Any problem answers 422 with ``errors`` naming every problem
    by index, and nothing is written; a metric of a contract you may not enter readings for
    answers 403. The answer lists every item, in order, with the reading's id, version and status.
    """
    user = api_user()
    items = body["readings"]
    contracts = bulk.contracts_of(item["metric_id"] for item in items)
    refused = {}
    for index, item in enumerate(items):
        contract = contracts.get(item["metric_id"])
        if contract is not None and not can_enter_readings(user, contract):
            refused.setdefault(contract.reference, []).append(index)
    if refused:
        named = "; ".join(f"{reference} (items {', '.join(map(str, indexes))})" for reference, indexes in refused.items())
        raise ApiError(403, f"You may not enter readings for these contracts: {named}.")
    try:
        check, _ = bulk.write_readings(items, user, row_name=lambda index: f"item {index}")
    except bulk.BulkReadingsError as error:
        fields = {}
        for problem in error.problems:
            fields.setdefault(f"readings.{problem.index}.{problem.column or 'metric_id'}", problem.message)
        # 409 when every item is right on its own and only what is stored refuses it.
        raise ApiError(
            409 if error.only_stored else 422, f"{plural(len(error.problems), 'problem')} in the batch; nothing was recorded.",
            code="conflict" if error.only_stored else None, fields=fields,
            errors=[{"index": p.index, "field": p.column, "message": p.message} for p in error.problems],
        )
    kinds = {row.index: "recorded" for row in check.new}
    kinds.update({row.index: "corrected" for row in check.corrections})
    stored = bulk.readings_at((item["metric_id"], item["period_start"]) for item in items)
    out = []
    for index, item in enumerate(items):
        reading = stored[(item["metric_id"], item["period_start"])]
        out.append({
            "index": index, "result": kinds.get(index, "unchanged"), "id": reading.id, "metric_id": reading.metric_id,
            "period_start": reading.period_start, "period_end": reading.period_end, "value": reading.value,
            "note": reading.note, "status": reading.status, "version": reading.version,
        })
    return {"items": out, "recorded": len(check.new), "corrected": len(check.corrections),
            "unchanged": len(check.unchanged)}
