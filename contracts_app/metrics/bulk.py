"""Readings in bulk: check many rows at once, then write them all in one transaction, or none.

The spreadsheet import (``imports.readings``), ``flask import readings`` and the API's
``POST /readings/batch`` all call ``check_readings`` (every problem, by row index and column)
and ``write_readings`` (the command). A row is a new reading (its period has started, lies in
the contract's term and has no reading yet) or a correction of the period's reading (a note
saying why is then required; a ``version``, when given, must be the reading's own, else someone
changed it meanwhile). A row identical to the stored reading is skipped as unchanged.

Bulk all the way, so that the statements run do not grow with the number of rows: the metrics
(with contracts, targets, the contracts' metrics and milestones) and the existing readings are
read in a few statements whatever the number of rows; readings, their revisions and their
audit events are inserted with executemany; each affected metric's status and each contract's
health are judged once, after all rows are in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, insert, inspect, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.digits import FOREIGN_DIGITS_MESSAGE, ascii_digits, has_foreign_digits
from contracts_app.audit.services import record_many, snapshot_values
from contracts_app.contracts.models import Contract
from contracts_app.db_types import LONG_TEXT, utcnow
from contracts_app.db_utils import chunks, keep_values, rows_per_statement
from contracts_app.errors import command
from contracts_app.extensions import db
from contracts_app.formatting import long_date, plain_number
from contracts_app.forms_common import parse_decimal
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import Metric, Reading, ReadingRevision
from contracts_app.dimensions.models import Dimension, ReadingGroupValue
from contracts_app.dimensions.services import GroupValueError, check_group_values, group_values_snapshot
from contracts_app.metrics.services import MAX_VALUE, NEGATIVE, MetricError
from contracts_app.permissions import can_enter_readings

# The columns of a row, as the services name them (the spreadsheet and the API map theirs).
METRIC_ID, PERIOD_START, VALUE, NOTE, VERSION = "metric_id", "period_start", "value", "note", "version"
# Optional: the row's values per group ({group id: value} or [{"group_id", "value"}]); absent
# (None) keeps a corrected reading's stored group values, which must agree with its new value.
GROUPS = "groups"
NUMBER = "Enter a number, like 21 or 21.5."
CHANGED = ("This reading was changed since you downloaded it (it is now version {version}: {value}). "
           "Download the periods again, or leave this row out.")
NOTE_NEEDED = ("This period already has a reading ({value}): a correction needs a note saying why the value "
               "changes.")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row: ``index`` in the rows given, ``column`` (METRIC_ID...) or None.
    ``stored``: the row is right on its own and what is stored refuses it (a metric id with no
    metric, a period outside the term or not started, a reading changed since)."""

    index: int
    column: str | None
    message: str
    stored: bool = False


class BulkReadingsError(MetricError):
    """Rows that cannot be written; ``problems`` lists every one (nothing was written)."""

    def __init__(self, problems):
        first = problems[0]
        super().__init__(first.message, first.column)
        self.problems = list(problems)

    @property
    def only_stored(self):
        """True when every problem is one of what is stored (the API's 409; else 422)."""
        return all(problem.stored for problem in self.problems)


@dataclass
class CheckedRow:
    index: int
    metric: Metric
    period: rules.Period
    value: Decimal
    note: str
    reading: Reading | None = None  # the period's reading, when this row corrects it
    groups: dict | None = None  # checked group values ({group id: Decimal}); None: keep the stored ones
    old_groups: dict = field(default_factory=dict)  # a corrected reading's stored group values


@dataclass
class BulkCheck:
    """The outcome of ``check_readings``: problems, or what the write would do."""

    problems: list = field(default_factory=list)
    new: list = field(default_factory=list)  # CheckedRow
    corrections: list = field(default_factory=list)  # CheckedRow with .reading
    unchanged: list = field(default_factory=list)  # indexes of rows identical to the reading
    contracts: dict = field(default_factory=dict)  # id -> Contract, those the rows write to

    @property
    def ok(self):
        return not self.problems

    @property
    def count(self):
        return len(self.new) + len(self.corrections)


# --- reading the cells -----------------------------------------------------------------------


def _text(value):
    if value is None:
        return ""
    return str(value).strip()


def parse_id(value):
    """A positive whole number from a cell or JSON value, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, (float, Decimal)):
        return int(value) if value == int(value) and value > 0 else None
    text = _text(value)
    if ascii_digits(text) and len(text) < 12 and int(text) > 0:
        return int(text)
    # Spreadsheets like to show whole numbers as 12.0.
    if text.endswith(".0") and ascii_digits(text[:-2]):
        return parse_id(text[:-2])
    return None


def parse_day(value):
    """A date from a date, a datetime at midnight or an ISO text (2026-03-01), or None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if "T" in text or " " in text:
        text = text.replace("T", " ").split(" ", 1)[0]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_value(value):
    """(Decimal or None, problem message or None) for a value cell; a blank cell is (None, None)."""
    if isinstance(value, bool):
        return None, NUMBER
    if isinstance(value, float):
        # A spreadsheet's binary float: 0.1 + 0.2 is 0.30000000000000004, which people see as 0.3.
        value = repr(round(value, 10))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        try:
            number = parse_decimal(_text(value))
        except ValueError as error:
            return None, str(error)
        if number is None:
            return None, None
    if not number.is_finite():
        return None, NUMBER
    if number < 0:
        return None, NEGATIVE
    if number >= MAX_VALUE:
        return None, "That number is too large to store."
    if number.normalize().as_tuple().exponent < -4:
        return None, "Use at most four decimal places."
    return number, None


# --- loading what the rows refer to, in bulk -------------------------------------------------


def _load_metrics(metric_ids):
    """{id: Metric} with contract, targets, and the contract's metrics and milestones loaded:
    a fixed number of statements for any number of ids (IN lists batched under the limit)."""
    metrics = {}
    for chunk in chunks(sorted(metric_ids), rows_per_statement(1, cap=5000)):
        for metric in db.session.scalars(
            select(Metric).where(Metric.id.in_(chunk)).options(
                joinedload(Metric.contract).selectinload(Contract.metrics),
                joinedload(Metric.contract).selectinload(Contract.milestones),
                selectinload(Metric.targets),
                selectinload(Metric.dimensions).selectinload(Dimension.groups),
            )
        ).unique():
            metrics[metric.id] = metric
    return metrics


def readings_at(pairs):
    """{(metric id, period start): Reading} of the pairs that have one (a few statements)."""
    return _load_readings(set(pairs))


def contracts_of(metric_ids):
    """{metric id: its Contract} for the ids that exist: one statement (for a 403 before any check)."""
    found = {}
    for chunk in chunks(sorted(set(metric_ids)), rows_per_statement(1, cap=5000)):
        for metric_id, contract in db.session.execute(
            select(Metric.id, Contract).join(Contract, Contract.id == Metric.contract_id).where(Metric.id.in_(chunk))
        ):
            found[metric_id] = contract
    return found


def _load_readings(pairs):
    """{(metric id, period start): Reading} for the pairs: exactly the pairs named, by
    ``(metric_id, period_start) IN (...)`` (the unique index), in statements under the
    parameter limit. (Naming the metrics and the starts separately selects their cross product:
    for 1,000 corrections of scattered periods, nearly every reading of the 1,000 metrics.)"""
    if not pairs:
        return {}
    found = {}
    for chunk in chunks(sorted(pairs), rows_per_statement(2, cap=2000)):
        for reading in db.session.scalars(
            select(Reading).where(tuple_(Reading.metric_id, Reading.period_start).in_(chunk))
        ):
            found[(reading.metric_id, reading.period_start)] = reading
    return found


def _load_group_values(reading_ids):
    """{reading id: {group id: value}} of the readings that have group values (a few statements)."""
    found = {}
    for chunk in chunks(sorted(reading_ids), rows_per_statement(1, cap=5000)):
        for reading_id, group_id, value in db.session.execute(
            select(ReadingGroupValue.reading_id, ReadingGroupValue.group_id, ReadingGroupValue.value)
            .where(ReadingGroupValue.reading_id.in_(chunk))
        ):
            found.setdefault(reading_id, {})[group_id] = value
    return found


# --- the check ---------------------------------------------------------------------------------


def check_readings(rows, actor, now=None, row_name=None):
    """Check ``rows`` (dicts with metric_id, period_start, value, note and optionally version,
    raw from a file or a request) for ``actor``; returns a BulkCheck with every problem.
    ``row_name(index)`` names another row in a message ("row 3" in a spreadsheet); by default
    "item 2" (the index in the list).

    Permissions are per row: the actor must be allowed to enter readings for the metric's
    contract (``permissions.can_enter_readings``). A period still in progress may be recorded
    (as the API and the single-reading import allow); one that has not started may not.
    """
    now = now or utcnow()
    today = status.today_for(now)
    row_name = row_name or (lambda index: f"item {index}")
    result = BulkCheck()

    def problem(index, column, message, stored=False):
        result.problems.append(Problem(index, column, message, stored))

    parsed = []
    for index, row in enumerate(rows):
        metric_id = parse_id(row.get(METRIC_ID))
        start = parse_day(row.get(PERIOD_START))
        value, value_problem = parse_value(row.get(VALUE))
        note = _text(row.get(NOTE))
        raw_version = row.get(VERSION)
        version = parse_id(raw_version) if _text(raw_version) else None
        bad = False
        if metric_id is None:
            problem(index, METRIC_ID, FOREIGN_DIGITS_MESSAGE if has_foreign_digits(_text(row.get(METRIC_ID)))
                    else "Give the metric's id (a whole number, as in the downloaded file).")
            bad = True
        if start is None:
            problem(index, PERIOD_START, "Give the period's first day as a date, like 2026-03-01.")
            bad = True
        if value_problem:
            problem(index, VALUE, value_problem)
            bad = True
        elif value is None:
            problem(index, VALUE, "Enter the value for this period.")
            bad = True
        if len(note) > LONG_TEXT:
            problem(index, NOTE, f"Use at most {LONG_TEXT} characters.")
            bad = True
        if _text(raw_version) and version is None:
            problem(index, VERSION, "The version is a whole number (leave it as downloaded, or blank).")
            bad = True
        parsed.append((index, metric_id, start, value, note, version, bad, row.get(GROUPS)))

    metrics = _load_metrics({p[1] for p in parsed if p[1] is not None})
    periods_by_metric = {}
    allowed_contracts = {}
    seen = {}
    wanted = []
    for index, metric_id, start, value, note, version, bad, groups in parsed:
        if metric_id is None:
            continue
        metric = metrics.get(metric_id)
        if metric is None:
            problem(index, METRIC_ID, f"There is no metric with id {metric_id}.", stored=True)
            continue
        contract = metric.contract
        if contract.id not in allowed_contracts:
            allowed_contracts[contract.id] = can_enter_readings(actor, contract)
        if not allowed_contracts[contract.id]:
            reason = "it is archived" if contract.is_archived else "you are not its contract manager"
            problem(index, METRIC_ID, f"You may not enter readings for {contract.reference} ({reason}).", stored=True)
            continue
        if start is None:
            continue
        if metric.id not in periods_by_metric:
            periods_by_metric[metric.id] = {p.start: p for p in status.metric_periods(metric)}
        period = periods_by_metric[metric.id].get(start)
        if period is None:
            problem(index, PERIOD_START,
                    f"{long_date(start)} does not start a {metric.cadence_label.lower()} reporting period of "
                    f"{contract.reference}'s term ({long_date(contract.start_date)} to {long_date(contract.end_date)}).",
                    stored=True)
            continue
        if period.start > today:
            problem(index, PERIOD_START,
                    f"{period.label(metric.cadence)} has not started yet (it starts {long_date(period.start)}).",
                    stored=True)
            continue
        key = (metric.id, period.start)
        if key in seen:
            problem(index, PERIOD_START,
                    f"{metric.name}, {period.label(metric.cadence)} is also in {row_name(seen[key])}: "
                    "give each period once.")
            continue
        seen[key] = index
        if not bad:
            wanted.append((index, metric, period, value, note, version, groups))

    existing = _load_readings({(m.id, p.start) for _, m, p, *_ in wanted})
    stored_groups = _load_group_values([r.id for r in existing.values()])
    for index, metric, period, value, note, version, groups in wanted:
        reading = existing.get((metric.id, period.start))
        old_groups = stored_groups.get(reading.id, {}) if reading is not None else {}
        try:
            checked_groups = check_group_values(metric, value, old_groups if groups is None else groups)
        except GroupValueError as error:
            problem(index, GROUPS, error.message)
            continue
        row = CheckedRow(index, metric, period, value, note, reading,
                         None if groups is None else checked_groups, old_groups)
        if reading is None:
            result.new.append(row)
        elif value == reading.value and (not note or note == reading.note) and (groups is None or checked_groups == old_groups):
            result.unchanged.append(index)
            continue
        elif version is not None and version != reading.version:
            problem(index, VERSION, CHANGED.format(version=reading.version, value=plain_number(reading.value)), stored=True)
            continue
        elif not note:
            problem(index, NOTE, NOTE_NEEDED.format(value=plain_number(reading.value)), stored=True)
            continue
        else:
            result.corrections.append(row)
        result.contracts[metric.contract_id] = metric.contract
    result.problems.sort(key=lambda p: (p.index, p.column or ""))
    return result


# --- the write ---------------------------------------------------------------------------------


def _refresh(metrics, contracts, now):
    """Each metric's stored status (one statement for all their latest readings), then each
    contract's health, once each."""
    today = status.today_for(now)
    grace = status.grace_days()
    latest = {}
    ranked = (
        select(
            Reading.metric_id, Reading.period_start, Reading.status,
            func.row_number().over(partition_by=Reading.metric_id, order_by=Reading.period_start.desc()).label("n"),
        )
        .where(Reading.metric_id.in_(sorted(metrics)))
        .subquery()
    )
    for metric_id, period_start, reading_status in db.session.execute(
        select(ranked.c.metric_id, ranked.c.period_start, ranked.c.status).where(ranked.c.n == 1)
    ):
        latest[metric_id] = (period_start, reading_status)
    # Written in two plain executemany UPDATEs (contracts, then metrics, each in id order: the
    # order the unit of work's flush wrote them in), the objects keeping the values written;
    # an object with other pending changes is left to the flush as before.
    metric_rows, contract_rows = [], []
    for metric in metrics.values():
        result = rules.metric_status(metric, status.metric_periods(metric), latest.get(metric.id), today, grace)
        values = {"status": result.status, "status_period_start": result.period_start, "status_updated_at": now}
        state = inspect(metric)
        if state.persistent and not state.modified:
            values["updated_at"] = utcnow()
            metric_rows.append((metric, values))
            keep_values(metric, values)
        else:
            metric.status, metric.status_period_start, metric.status_updated_at = result.status, result.period_start, now
    for contract in contracts.values():
        state = inspect(contract)
        if state.persistent and not state.modified:
            metric_statuses, milestones = status.health_inputs(contract)
            values = {"health": rules.contract_health(metric_statuses, milestones, today), "health_updated_at": now,
                      "updated_at": utcnow()}
            contract_rows.append((contract, values))
            keep_values(contract, values)
        else:
            status.refresh_contract_health(contract, now)
    for statement, rows in ((status.UPDATE_CONTRACT, contract_rows), (status.UPDATE_METRIC, metric_rows)):
        if rows:
            db.session.execute(statement, [{"b_id": obj.id, **values} for obj, values in sorted(rows, key=lambda r: r[0].id)])


def _summary(metric, period, text):
    return f"{text} {metric.name} for {period.label(metric.cadence)}"


def _write(check, actor, now):
    actor_id = actor.id if actor is not None else None
    table = Reading.__table__
    explicit = {}

    def judged(row):
        if row.metric.id not in explicit:
            explicit[row.metric.id] = status.explicit_targets(row.metric)
        return status.evaluate(row.metric, row.period, row.value, explicit[row.metric.id])[2]

    events = []
    written = []  # (index, reading id)
    group_rows, replaced_groups = [], []  # group values to insert; readings whose group values are replaced
    if check.new:
        values = [
            {"metric_id": row.metric.id, "period_start": row.period.start, "period_end": row.period.end,
             "value": row.value, "note": row.note, "status": judged(row), "recorded_by_id": actor_id,
             "recorded_at": now, "version": 1}
            for row in check.new
        ]
        # RETURNING the unique key as well as the id: the rows come back in batches, in an order
        # no database promises (asking for parameter order makes SQLite insert row by row).
        statement = insert(table).returning(table.c.id, table.c.metric_id, table.c.period_start)
        ids = {
            (metric_id, start): reading_id
            for reading_id, metric_id, start in db.session.execute(
                statement.execution_options(insertmanyvalues_page_size=rows_per_statement(len(values[0]))), values
            )
        }
        for row, row_values in zip(check.new, values):
            reading_id = ids[(row.metric.id, row.period.start)]
            written.append((row.index, reading_id))
            after = snapshot_values(Reading, {"id": reading_id, "submitted_by_id": None, "verified_by_id": None, **row_values})
            if row.groups:
                group_rows += [{"reading_id": reading_id, "group_id": g, "value": v} for g, v in sorted(row.groups.items())]
                after["groups"] = group_values_snapshot(row.groups)
            events.append({
                "action": "create", "entity_type": "reading", "entity_id": reading_id,
                "contract_id": row.metric.contract_id, "after": after,
                "summary": (f"Recorded {row.metric.name} for {row.period.label(row.metric.cadence)}: "
                            f"{plain_number(row.value)} ({rules.STATUS_LABELS[row_values['status']]})"),
            })

    if check.corrections:
        revisions, changes = [], []
        for row in check.corrections:
            reading = row.reading
            before = snapshot_values(Reading, {c.key: getattr(reading, c.key) for c in table.columns})
            revisions.append({
                "reading_id": reading.id, "value": reading.value, "note": reading.note, "status": reading.status,
                "recorded_by_id": reading.recorded_by_id, "recorded_at": reading.recorded_at,
                "replaced_by_id": actor_id, "replaced_at": now, "version": reading.version,
                "submitted_by_id": reading.submitted_by_id, "verified_by_id": reading.verified_by_id,
                "group_values": group_values_snapshot(row.old_groups) if row.old_groups else None,
            })
            if row.groups is not None and row.groups != row.old_groups:
                replaced_groups.append(reading.id)
                group_rows += [{"reading_id": reading.id, "group_id": g, "value": v} for g, v in sorted(row.groups.items())]
            if row.old_groups:
                before["groups"] = group_values_snapshot(row.old_groups)
            new_status = judged(row)
            changes.append({
                "b_id": reading.id, "b_version": reading.version, "value": row.value, "note": row.note,
                "status": new_status, "recorded_by_id": actor_id, "recorded_at": now, "version": reading.version + 1,
            })
            after = {**before, "value": row.value, "note": row.note, "status": new_status,
                     "recorded_by_id": actor_id, "recorded_at": now, "version": reading.version + 1}
            after = snapshot_values(Reading, after)
            groups_after = row.old_groups if row.groups is None else row.groups
            if groups_after or row.old_groups:
                after["groups"] = group_values_snapshot(groups_after)
            events.append({
                "action": "update", "entity_type": "reading", "entity_id": reading.id,
                "contract_id": row.metric.contract_id, "before": before, "after": after,
                "summary": (f"Corrected {row.metric.name} for {row.period.label(row.metric.cadence)}: "
                            f"{plain_number(reading.value)} → {plain_number(row.value)}"),
            })
            written.append((row.index, reading.id))
        # Only a reading still at the version that was checked is corrected: one changed by
        # someone else between the check and now is not overwritten blindly.
        moved = db.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(value=bindparam("value"), note=bindparam("note"), status=bindparam("status"),
                    recorded_by_id=bindparam("recorded_by_id"), recorded_at=bindparam("recorded_at"),
                    version=bindparam("version"))
            .execution_options(synchronize_session=False),
            sorted(changes, key=lambda c: c["b_id"]),
        ).rowcount
        if moved != len(changes):
            raise _Raced()
        db.session.execute(insert(ReadingRevision.__table__), revisions)
        for row in check.corrections:
            db.session.expire(row.reading)
    for chunk in chunks(sorted(replaced_groups), rows_per_statement(1, cap=5000)):
        db.session.execute(delete(ReadingGroupValue).where(ReadingGroupValue.reading_id.in_(chunk)))
    if group_rows:
        db.session.execute(insert(ReadingGroupValue.__table__), group_rows)
    record_many(actor, events, now)
    metrics = {row.metric.id: row.metric for row in check.new + check.corrections}
    _refresh(metrics, check.contracts, now)
    return [reading_id for _, reading_id in sorted(written)]


class _Raced(Exception):
    """A reading changed, or a period was recorded, between the check and the write."""


@command
def write_readings(rows, actor, now=None, commit=True, row_name=None):
    """Check ``rows`` and write them all in one transaction, or raise BulkReadingsError with
    every problem having written nothing. Returns (BulkCheck, reading ids in row order).
    ``commit=False`` leaves the commit to the caller (the spreadsheet import, which records the
    upload in the same transaction).

    When someone records one of the periods or corrects one of the readings between the check
    and the write (the unique constraint, or the version, refuses ours), the rows are checked
    again so that the problem is named on its row.
    """
    now = now or utcnow()
    check = check_readings(rows, actor, now, row_name)
    if check.problems:
        raise BulkReadingsError(check.problems)
    if not check.count:
        return check, []
    try:
        ids = _write(check, actor, now)
    except (IntegrityError, _Raced):
        db.session.rollback()
        again = check_readings(rows, actor, now, row_name)
        raise BulkReadingsError(again.problems or [
            Problem(0, None, "Some of these readings were changed by someone else meanwhile; nothing was saved. "
                             "Try again.", stored=True)
        ])
    if commit:
        db.session.commit()
    return check, ids
