"""Metrics and their readings."""
from decimal import Decimal

from sqlalchemy.orm import joinedload, selectinload

from contracts_app.api.base import (
    CONFLICT, FORBIDDEN, ApiBlueprint, allow, api_user, find, problems_error,
)
from contracts_app.api.contracts import contract_or_404
from contracts_app.api.schemas import (
    MetricCreatedSchema, MetricCreateSchema, MetricListSchema, MetricSchema, ReadingCorrectionSchema,
    ReadingCreateSchema, ReadingListSchema, ReadingSchema,
)
from contracts_app.contracts.models import Contract
from contracts_app.metrics import services, summaries
from contracts_app.metrics.models import Metric, Reading
from contracts_app.permissions import can_edit_contract, can_enter_readings

bp = ApiBlueprint("api_metrics", __name__, tag="metrics", description="Key metrics of contracts, and their readings.")

METRIC_COLUMNS = ("id", "contract_id", "position", "status", "status_period_start", *services.METRIC_FIELDS)
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

    Every problem with the values is named at once in the 422. Above the practice's number of
    metrics the metric is still added, with a warning.
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
        "recorded_by": reading.recorded_by, "recorded_at": reading.recorded_at, "corrections": corrections,
    }


def _reading_rows(metric):
    """The metric's readings with their targets and attainment, in period order (bounded queries)."""
    return [row for row in summaries.metric_period_rows(metric) if row.reading is not None]


@bp.route("/metrics/<int:metric_id>/readings")
@bp.response(200, ReadingListSchema)
def list_readings(metric_id):
    """A metric's readings, oldest period first, each with its period's target and attainment."""
    metric = _metric_or_404(metric_id)
    return {"items": [_reading_out(row) for row in _reading_rows(metric)]}


def _one_reading(metric, reading_id):
    """The answer of a write: one reading's row, read in one statement (not the metric's whole
    period table, as a list of readings needs)."""
    row = summaries.reading_row(reading_id)
    return _reading_out(row, corrections=row.corrections)


@bp.route("/metrics/<int:metric_id>/readings", methods=["POST"])
@bp.arguments(ReadingCreateSchema)
@bp.response(201, ReadingSchema)
@bp.alt_response(403, response=FORBIDDEN)
@bp.alt_response(409, response=CONFLICT)
def create_reading(body, metric_id):
    """Record the value of one reporting period.

    Procurement officers, and the contract's own contract manager. The period must have started.
    A period that already has a reading answers 409 with that reading's id (existing_id):
    correct it with PATCH /readings/{id} instead.
    """
    metric = _metric_or_404(metric_id)
    user = api_user()
    allow(can_enter_readings(user, metric.contract), metric.contract)
    reading = services.record_reading(metric, user, body["period_start"], body["value"], body["note"])
    return _one_reading(metric, reading.id)


@bp.route("/readings/<int:reading_id>", methods=["PATCH"])
@bp.arguments(ReadingCorrectionSchema)
@bp.response(200, ReadingSchema)
@bp.alt_response(403, response=FORBIDDEN)
def correct_reading(body, reading_id):
    """Correct a reading, with the reason.

    The earlier value, note and status go into the reading's history.
    """
    reading = find(Reading, reading_id, "reading", options=[joinedload(Reading.metric).joinedload(Metric.contract)])
    user = api_user()
    allow(can_enter_readings(user, reading.metric.contract), reading.metric.contract)
    services.correct_reading(reading, user, body["value"], body["note"])
    return _one_reading(reading.metric, reading.id)

