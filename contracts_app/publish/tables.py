"""CSV tables of what is published: the public contracts (not archived), their public metrics and
those metrics' readings. Columns are plain codes and ISO dates for analysts; no staff names or emails, no
reading notes (internal working notes), no vendor contacts. Streamed: one joined query per table,
fetched in batches, so the memory used does not grow with the city."""
from sqlalchemy import select

from contracts_app.contracts.models import Contract, Vendor
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, Reading
import csv
import io

from contracts_app.portfolio.exports import BATCH, BOM, cell, csv_lines, plain_decimal
from contracts_app.priorities.models import Priority, contract_priorities

CONTRACT_COLUMNS = [
    "ocid", "reference", "title", "kind", "department_id", "department", "vendor", "vendor_identifier_scheme",
    "vendor_identifier", "value", "currency", "start_date", "end_date", "awarded_on", "signed_on", "status",
    "payment_structure", "health", "priorities",
]
METRIC_COLUMNS = [
    "ocid", "contract_reference", "metric_id", "name", "definition", "unit", "direction", "cadence",
    "baseline_value", "baseline_date", "target_value", "range_low", "range_high", "payment_linked", "status",
]
READING_COLUMNS = [
    "ocid", "contract_reference", "metric_id", "metric", "unit", "period_start", "period_end", "value", "status",
]


def _published():
    return (Contract.is_public.is_(True), Contract.archived_at.is_(None))


def contracts_csv(ocid_prefix):
    # The priorities of every published contract: one query (a city's links fit in memory; the
    # contracts themselves are streamed).
    names = {}
    for contract_id, name in db.session.execute(
        select(contract_priorities.c.contract_id, Priority.name)
        .join(Priority, Priority.id == contract_priorities.c.priority_id)
        .join(Contract, Contract.id == contract_priorities.c.contract_id)
        .where(*_published())
        .order_by(Priority.name)
    ):
        names.setdefault(contract_id, []).append(name)
    query = (
        select(Contract, Vendor.name, Vendor.identifier_scheme, Vendor.identifier)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .where(*_published())
        .order_by(Contract.id)
        .execution_options(yield_per=BATCH)
    )

    def rows():
        for c, vendor, scheme, identifier in db.session.execute(query):
            yield [
                f"{ocid_prefix}-{c.id}", c.reference, c.title, c.kind, c.department_id, c.department, vendor, scheme,
                identifier, c.value, c.currency, c.start_date, c.end_date, c.awarded_on, c.signed_on, c.status,
                c.payment_structure, c.health, "; ".join(names.get(c.id, [])),
            ]

    return csv_lines(CONTRACT_COLUMNS, rows())


def metrics_csv(ocid_prefix):
    query = (
        select(
            Contract.id, Contract.reference, Metric.id, Metric.name, Metric.definition, Metric.unit, Metric.direction,
            Metric.cadence, Metric.baseline_value, Metric.baseline_date, Metric.target_value, Metric.range_low,
            Metric.range_high, Metric.payment_linked, Metric.status,
        )
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*_published(), Metric.is_public.is_(True))
        .order_by(Contract.id, Metric.position, Metric.id)
        .execution_options(yield_per=BATCH)
    )

    def rows():
        for (cid, reference, mid, name, definition, unit, direction, cadence, baseline, baseline_date, target,
             low, high, payment_linked, status) in db.session.execute(query):
            yield [
                f"{ocid_prefix}-{cid}", reference, mid, name, definition, unit, direction, cadence,
                plain_decimal(baseline), baseline_date, plain_decimal(target), plain_decimal(low), plain_decimal(high),
                payment_linked, status,
            ]

    return csv_lines(METRIC_COLUMNS, rows())


def readings_csv(ocid_prefix):
    query = (
        select(
            Contract.id, Contract.reference, Metric.id, Metric.name, Metric.unit, Reading.period_start,
            Reading.period_end, Reading.value, Reading.status,
        )
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*_published(), Metric.is_public.is_(True))
        .order_by(Contract.id, Metric.position, Metric.id, Reading.period_start)
        .execution_options(yield_per=BATCH)
    )

    def rows():
        # A million rows in a large city: each metric's five leading cells are made once for
        # its readings (they come in metric order), and the rest as cell() makes them.
        current, leading = None, None
        for cid, reference, mid, name, unit, start, end, value, status in db.session.execute(query):
            if mid != current:
                current = mid
                leading = [cell(f"{ocid_prefix}-{cid}"), cell(reference), cell(mid), cell(name), cell(unit)]
            yield [*leading, "" if start is None else str(start), "" if end is None else str(end),
                   cell(plain_decimal(value)), cell(status)]

    return _cell_lines(READING_COLUMNS, rows())


def _cell_lines(header, rows, batch=1000):
    """The text ``csv_lines(header, rows)`` gives, for rows whose values are already cells
    (``cell(value)`` for each), a batch of rows at a time."""
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
    pending = []
    for row in rows:
        pending.append(row)
        if len(pending) == batch:
            writer.writerows(pending)
            pending.clear()
            yield flush()
    if pending:
        writer.writerows(pending)
        yield flush()
