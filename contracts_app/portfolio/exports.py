"""CSV exports of the contract register and of metric readings: the row builders and the CSV
text the ``portfolio.export_*`` routes stream.

Streamed row by row (a generator over a query fetched in batches), UTF-8 with a byte-order mark
so that Excel opens it as UTF-8, and safe against formula injection: a text cell that starts
with = + - @ (or a tab or carriage return) is prefixed with a single quote.
"""
import csv
import io
from datetime import datetime, timezone

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from contracts_app.auth.models import User
from contracts_app.contracts import queries
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading

BATCH = 500
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REGISTER_COLUMNS = [
    "reference", "title", "kind", "department", "vendor", "value", "currency", "start", "end", "status",
    "health", "payment structure", "priorities", "contract manager", "public",
    "solicitation method", "bids received", "first-time vendor", "small business", "local business",
    "diverse business", "paid to date",
]
READING_COLUMNS = [
    "contract reference", "metric", "unit", "period start", "period end", "value", "status", "note",
    "recorded by", "recorded at",
]


def cell(value):
    """One CSV cell: text is neutralised against formula injection; numbers and dates are
    written as they are (ISO dates, plain decimals)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if not isinstance(value, str):
        return str(value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain_decimal(value):
    """A reading without its storage padding: 35.4000 -> 35.4, 2.0000 -> 2 (never exponent form)."""
    if value is None:
        return None
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def csv_lines(header, rows):
    """Yield the BOM, the header and each row as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    yield BOM
    writer.writerow(header)
    yield flush()
    for row in rows:
        writer.writerow([cell(value) for value in row])
        yield flush()


def filename(name, today):
    """``name-YYYY-MM-DD.csv``, with anything but ASCII letters, digits and - _ . in ``name``
    (a contract reference is user data) replaced by a hyphen."""
    safe_name = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-" for ch in name)
    return f"{safe_name}-{today.isoformat()}.csv"


def register_rows(filters, sort, direction):
    """The register's rows, fetched in batches: one query per batch for the contracts (vendor and
    manager joined) and one for their priorities."""
    from contracts_app.spend.queries import paid_by_contract

    paid = paid_by_contract()
    query = (
        queries.register_query(filters, sort, direction)
        .add_columns(queries.first_contract_of_vendor().label("first_time"), func.coalesce(paid.c.paid, 0))
        .outerjoin(paid, paid.c.contract_id == Contract.id)
        .execution_options(yield_per=BATCH)
    )
    for contract, first_time, paid_to_date in db.session.execute(query):
        yield [
            contract.reference,
            contract.title,
            contract.kind_label,
            contract.department,
            contract.vendor.name,
            contract.value,
            contract.currency,
            contract.start_date.isoformat(),
            contract.end_date.isoformat(),
            contract.status_label,
            rules.STATUS_LABELS.get(contract.health, contract.health),
            contract.payment_structure_label,
            "; ".join(p.name for p in contract.priorities),
            contract.contract_manager.name if contract.contract_manager else "",
            contract.is_public,
            contract.procurement_method or "",
            contract.bids_received,
            bool(first_time),
            contract.vendor.is_small,
            contract.vendor.is_local,
            contract.vendor.is_diverse,
            Decimal(paid_to_date).quantize(Decimal("0.01")),
        ]


def reading_rows(contract_id=None, metric_id=None):
    """Readings with their contract, metric and recorder: one joined query, fetched in batches."""
    recorder = aliased(User)
    query = (
        select(
            Contract.reference, Metric.name, Metric.unit, Reading.period_start, Reading.period_end,
            Reading.value, Reading.status, Reading.note, recorder.name, Reading.recorded_at,
        )
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .outerjoin(recorder, recorder.id == Reading.recorded_by_id)
        .order_by(Contract.reference, Metric.position, Metric.id, Reading.period_start)
        .execution_options(yield_per=BATCH)
    )
    if contract_id is not None:
        query = query.where(Contract.id == contract_id)
    if metric_id is not None:
        query = query.where(Metric.id == metric_id)
    if contract_id is None and metric_id is None:
        query = query.where(Contract.archived_at.is_(None))
    for reference, metric, unit, start, end, value, status, note, recorded_by, recorded_at in db.session.execute(query):
        yield [
            reference, metric, unit, start.isoformat(), end.isoformat(), plain_decimal(value),
            rules.STATUS_LABELS.get(status, status), note, recorded_by, recorded_at,
        ]

