"""Keep the stored statuses current: each metric's status and each contract's health.

These run inside the caller's transaction (a reading service, the status refresh job); they
never commit.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import bindparam, cast, insert, inspect, literal, null, select, true, union_all, update
from sqlalchemy.orm.util import identity_key

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.db_utils import DriverStatement, chunks, keep_values
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.rules import PeriodIndex
from contracts_app.milestones.models import Milestone


def today_for(now):
    return rules.city_today(now, current_app.config["CITY_TIMEZONE"])


def grace_days():
    return current_app.config["OVERDUE_GRACE_DAYS"]


def metric_periods(metric):
    contract = metric.contract
    return rules.periods(contract.start_date, contract.end_date, metric.cadence)


def metric_period_index(metric):
    """rules.period_index of the metric's term and cadence: metric_periods by position."""
    contract = metric.contract
    return rules.period_index(contract.start_date, contract.end_date, metric.cadence)


def explicit_targets(metric):
    # Reading the targets needs no flush first (they are written through metric.targets, which
    # already holds what is pending): an autoflush here would split a correction's UPDATE of
    # its reading in two.
    with db.session.no_autoflush:
        return {t.period_start: t.value for t in metric.targets}


def target_for(metric, period, explicit=None):
    contract = metric.contract
    if explicit is None:
        explicit = explicit_targets(metric)
    return rules.target_for_period(metric, period, contract.start_date, contract.end_date, explicit)


def evaluate(metric, period, value, explicit=None):
    """(target, attainment, status) of ``value`` for ``period``."""
    target = target_for(metric, period, explicit)
    achieved = rules.attainment(metric, value, target)
    return target, achieved, rules.status_for_attainment(metric, achieved)


# Statements of one metric's or contract's refresh, built once (a statement object memoizes its
# cache key, so running it again skips building and keying it).
# A single refresh runs them on the driver's cursor (db_utils.DriverStatement); the bulk
# refresh runs UPDATE_METRIC and UPDATE_CONTRACT as executemany through the session.
_LATEST_READING = DriverStatement(
    select(Reading.period_start, Reading.status)
    .where(Reading.metric_id == bindparam("metric_id"))
    .order_by(Reading.period_start.desc())
    .limit(1)
)
UPDATE_METRIC = update(Metric.__table__).where(Metric.__table__.c.id == bindparam("b_id"))
UPDATE_CONTRACT = update(Contract.__table__).where(Contract.__table__.c.id == bindparam("b_id"))
_WRITE_METRIC = DriverStatement(UPDATE_METRIC)
_WRITE_CONTRACT = DriverStatement(UPDATE_CONTRACT)
# The milestones first: the union's column types (a date) come from its first SELECT.
_HEALTH_INPUTS = DriverStatement(union_all(
    select(Milestone.status, Milestone.due_date, literal(1).label("kind")).where(
        Milestone.contract_id == bindparam("contract_id")
    ),
    select(Metric.status, cast(null(), Milestone.due_date.type).label("due_date"), literal(0).label("kind")).where(
        Metric.contract_id == bindparam("contract_id")
    ),
))


def _writes_now(obj):
    """Whether ``obj``'s row may be written at once in a plain UPDATE: persistent and with no
    pending change of its own (else its new values are left to the flush)."""
    state = inspect(obj)
    return state.persistent and not state.modified


def _metric_status(metric, now, latest):
    """rules.metric_status of ``metric`` given its latest reading ((period start, status) or None),
    the latest period past due found by position (tests/management/test_sweep_scale.py checks
    that this is what rules.metric_status gives)."""
    latest_due = metric_period_index(metric).latest_due(metric.due_days, today_for(now), grace_days())
    return status_from_latest_due(latest_due, latest)


def _metric_values(result, now):
    return {
        "status": result.status, "status_period_start": result.period_start, "status_updated_at": now,
        "updated_at": utcnow(),
    }


def refresh_metric(metric, now):
    """Recompute and store one metric's status; returns it."""
    latest = _LATEST_READING.execute({"metric_id": metric.id})
    result = _metric_status(metric, now, latest[0] if latest else None)
    if _writes_now(metric):
        # The usual case (a reading changed, not the metric): write the row now, in one plain
        # UPDATE, rather than through a flush of the unit of work; the object keeps the values
        # written, as after a flush (updated_at as its onupdate would set it).
        values = _metric_values(result, now)
        _WRITE_METRIC.execute({"b_id": metric.id, **values})
        keep_values(metric, values)
        return result.status
    metric.status = result.status
    metric.status_period_start = result.period_start
    metric.status_updated_at = now
    return result.status


def health_inputs(contract):
    """([metric status], [(milestone due date, status)]) of a contract: from its collections when
    they are loaded, else in one statement of plain columns (no ORM object per metric and
    milestone). Like loading the collections, the statement flushes pending changes first: a
    metric's new status is written (and its row locked) before the contract's, the order the
    bulk refresh locks them in."""
    if not _reads_health_inputs(contract):
        return [m.status for m in contract.metrics], [(ms.due_date, ms.status) for ms in contract.milestones]
    return _split_health_inputs(_HEALTH_INPUTS.execute({"contract_id": contract.id}))


def _reads_health_inputs(contract):
    """Whether health_inputs reads the contract's inputs in a statement (its collections not loaded)."""
    state = inspect(contract)
    return state.key is not None and ("metrics" in state.unloaded or "milestones" in state.unloaded)


def _split_health_inputs(rows):
    metric_statuses, milestone_rows = [], []
    for row_status, due_date, kind in rows:
        if kind:
            milestone_rows.append((due_date, row_status))
        else:
            metric_statuses.append(row_status)
    return metric_statuses, milestone_rows


def _contract_health_values(contract, now, inputs):
    """The contract's health from ``inputs`` (health_inputs' pair), and the columns storing it."""
    metric_statuses, milestones = inputs
    health = rules.contract_health(metric_statuses, milestones, today_for(now))
    return {"health": health, "health_updated_at": now, "updated_at": utcnow()}


def refresh_contract_health(contract, now, write_now=False):
    """Recompute and store a contract's health from its stored metric statuses and milestones.

    ``write_now``: an unmodified, persistent contract's row is written at once in one plain
    UPDATE (the same columns and updated_at), keeping the values on the object, as
    ``refresh_metric`` does, instead of by the commit's flush (one contract, as a single
    correction writes; loops over many leave it to the flush)."""
    values = _contract_health_values(contract, now, health_inputs(contract))
    if write_now and _writes_now(contract):
        _WRITE_CONTRACT.execute({"b_id": contract.id, **values})
        keep_values(contract, values)
        return values["health"]
    contract.health = values["health"]
    contract.health_updated_at = now
    return contract.health


# PostgreSQL, a single correction (DriverStatement.available()): the metric's UPDATE and the
# contract's health inputs in one statement, WITH written AS (UPDATE metrics ... RETURNING
# status) SELECT the milestones, the contract's other metrics and the written status (the
# other parts of a statement see the rows as before its UPDATE, hence the written one apart);
# then the contract's UPDATE and the audit event's INSERT in one, WITH contract AS (UPDATE
# contracts ...) INSERT INTO audit_events ... (see refresh_metric_and_health). The same rows,
# written in the same order, as refresh_metric, refresh_contract_health and
# audit.record(insert_now=True) one by one: two round trips instead of five.
_metrics = Metric.__table__
_contracts = Contract.__table__
_written = (
    update(_metrics).where(_metrics.c.id == bindparam("b_id"))
    .values({key: bindparam(f"metric_{key}", type_=_metrics.c[key].type)
             for key in ("status", "status_period_start", "status_updated_at", "updated_at")})
    .returning(_metrics.c.status).cte("written")
)
_WRITE_METRIC_READ_HEALTH_INPUTS = DriverStatement(union_all(
    select(Milestone.status, Milestone.due_date, literal(1).label("kind")).where(
        Milestone.contract_id == bindparam("b_contract_id")
    ),
    select(_metrics.c.status, cast(null(), Milestone.due_date.type), literal(0)).where(
        _metrics.c.contract_id == bindparam("b_contract_id"), _metrics.c.id != bindparam("b_id")
    ),
    select(_written.c.status, cast(null(), Milestone.due_date.type), literal(0)),
).add_cte(_written))


# Parameters are named apart from the tables' columns (b_..., metric_..., contract_...,
# event_...): compiled with the parameters' names as column keys, an UPDATE inside a WITH would
# also SET a column of a parameter's name.
_events = AuditEvent.__table__
_contract_written = (
    update(_contracts).where(_contracts.c.id == bindparam("b_contract_id"))
    .values({key: bindparam(f"contract_{key}", type_=_contracts.c[key].type)
             for key in ("health", "health_updated_at", "updated_at")})
    .cte("contract")
)
_WRITE_CONTRACT_AND_EVENT = DriverStatement(
    insert(_events).values({column.key: bindparam(f"event_{column.key}", type_=column.type)
                            for column in _events.c if column.key != "id"})
    .add_cte(_contract_written)
)


def refresh_metric_and_health(metric, now, latest, event):
    """``refresh_metric``, ``refresh_contract_health(write_now=True)`` and then the audit event
    (``event``: audit.services.event_values), in two statements on PostgreSQL when all three
    would be plain statements (the metric and its contract unmodified, the contract's
    collections not loaded); ``latest``: the metric's latest reading, (period start, status),
    as the caller read it in its transaction. Returns False, having written nothing, when it
    cannot (the caller then runs the three)."""
    contract = metric.contract
    if not (DriverStatement.available() and _writes_now(metric) and _writes_now(contract)
            and _reads_health_inputs(contract)):
        return False
    values = _metric_values(_metric_status(metric, now, latest), now)
    inputs = _split_health_inputs(_WRITE_METRIC_READ_HEALTH_INPUTS.execute(
        {"b_id": metric.id, "b_contract_id": contract.id, **{f"metric_{key}": value for key, value in values.items()}}
    ))
    keep_values(metric, values)
    health = _contract_health_values(contract, now, inputs)
    _WRITE_CONTRACT_AND_EVENT.execute({
        "b_contract_id": contract.id, **{f"contract_{key}": value for key, value in health.items()},
        **{f"event_{key}": value for key, value in event.items()},
    })
    keep_values(contract, health)
    return True


def refresh_contract(contract, now):
    """Refresh every metric of a contract, then its health."""
    for metric in contract.metrics:
        refresh_metric(metric, now)
    return refresh_contract_health(contract, now)


def reevaluate_readings(metric):
    """Re-judge every stored reading of a metric (after its targets or thresholds change)."""
    explicit = explicit_targets(metric)
    all_periods = {p.start: p for p in metric_periods(metric)}
    for reading in metric.readings:
        period = all_periods.get(reading.period_start) or rules.Period(reading.period_start, reading.period_end)
        reading.status = evaluate(metric, period, reading.value, explicit)[2]


# --- The bulk refresh (the scheduler's job and the first step of the sweep) ----------------
# Periods are found by position (rules.PeriodIndex), not by listing every period of a term.


def status_from_latest_due(latest_due, latest_reading):
    """rules.metric_status, given the latest due period already found (see PeriodIndex)."""
    if latest_due is not None and (latest_reading is None or latest_due.start > latest_reading[0]):
        return rules.MetricStatus(rules.OVERDUE, latest_due.start)
    if latest_reading is not None:
        return rules.MetricStatus(latest_reading[1], latest_reading[0])
    return rules.MetricStatus(rules.NO_DATA, None)


ContractRow = namedtuple(
    "ContractRow",
    "id reference title status archived_at start_date end_date health contract_manager_id procurement_officer_id",
)


@dataclass(slots=True)
class MetricRow:
    """What the rules need of one metric, as plain values (no ORM object)."""

    id: int
    contract_id: int
    name: str
    cadence: str
    due_days: int
    status: str
    status_period_start: object
    recent: list = field(default_factory=list)  # up to two (period_start, status), latest first
    index: PeriodIndex | None = None
    latest_due: rules.Period | None = None

    @property
    def latest(self):
        return self.recent[0] if self.recent else None

    @property
    def previous(self):
        return self.recent[1] if len(self.recent) > 1 else None


@dataclass
class StatusRefresh:
    """The outcome of ``refresh_everything``: the counts, and the rows it read (for the sweep)."""

    today: object
    contracts: dict  # id -> ContractRow (health as stored after this refresh)
    metrics: list  # MetricRow, by id
    milestones: list  # Row(id, contract_id, title, due_date, status), by id
    counts: dict
    # Metrics whose stored status changed between this refresh's read and its write (a reading
    # saved meanwhile): their rows here are stale, so the sweep leaves them to the next run.
    stale_metric_ids: frozenset = frozenset()


def _metric_rows():
    """Every metric with its two latest readings: one statement, an index probe per metric
    (not a scan of every reading)."""
    m = Metric.__table__
    r = Reading.__table__.alias("r")
    columns = (m.c.id, m.c.contract_id, m.c.name, m.c.cadence, m.c.due_days, m.c.status, m.c.status_period_start)
    if db.session.get_bind().dialect.name == "postgresql":
        recent = (
            select(r.c.period_start, r.c.status)
            .where(r.c.metric_id == m.c.id)
            .order_by(r.c.period_start.desc())
            .limit(2)
            .lateral("recent")
        )
        query = (
            select(*columns, recent.c.period_start, recent.c.status)
            .select_from(m.outerjoin(recent, true()))
            .order_by(m.c.id, recent.c.period_start.desc())
        )
        rows = {}
        for *values, period_start, status in db.session.execute(query).all():
            row = rows.get(values[0])
            if row is None:
                row = rows[values[0]] = MetricRow(*values)
            if period_start is not None:
                row.recent.append((period_start, status))
        return list(rows.values())

    def nth(column, offset):
        return (
            select(column).where(r.c.metric_id == m.c.id).order_by(r.c.period_start.desc())
            .limit(1).offset(offset).scalar_subquery()
        )

    query = select(
        *columns, nth(r.c.period_start, 0), nth(r.c.status, 0), nth(r.c.period_start, 1), nth(r.c.status, 1)
    ).order_by(m.c.id)
    metrics = []
    for *values, start1, status1, start2, status2 in db.session.execute(query).all():
        row = MetricRow(*values)
        if start1 is not None:
            row.recent.append((start1, status1))
            if start2 is not None:
                row.recent.append((start2, status2))
        metrics.append(row)
    return metrics


def _expire_loaded(model, ids, attributes):
    """Objects of ``model`` already in the session see the values just written (reloaded on access)."""
    session = db.session
    for pk in ids:
        instance = session.identity_map.get(identity_key(model, pk))
        if instance is not None:
            session.expire(instance, attributes)


def _write(model, values_by_id, read_by_id):
    """UPDATE model SET ... WHERE id = :id AND <each column in read_by_id still as read>, one
    executemany in id order (two concurrent runs lock rows in the same order, so the second
    waits rather than deadlocks). A row changed since it was read (by a concurrent writer, whose
    value is fresher) is left alone. Returns the ids of those rows (usually none)."""
    if not values_by_id:
        return set()
    table = model.__table__
    names = list(next(iter(values_by_id.values())))
    read_names = list(next(iter(read_by_id.values())))
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"),
               *(table.c[name].is_not_distinct_from(bindparam(f"o_{name}")) for name in read_names))
        .values({name: bindparam(f"b_{name}") for name in names})
    )
    ordered = sorted(values_by_id.items())
    written = db.session.execute(
        statement,
        [
            {"b_id": pk, **{f"b_{name}": v for name, v in values.items()},
             **{f"o_{name}": v for name, v in read_by_id[pk].items()}}
            for pk, values in ordered
        ],
    ).rowcount
    lost = set()
    if written != len(ordered):
        # Some rows lost: find them by what is stored now (rare, so not worth a statement each
        # time). A row holds exactly the values written only if this write went through.
        for chunk in chunks([pk for pk, _ in ordered], 2000):
            for pk, *stored in db.session.execute(
                select(table.c.id, *(table.c[name] for name in names)).where(table.c.id.in_(chunk))
            ):
                if tuple(stored) != tuple(values_by_id[pk][name] for name in names):
                    lost.add(pk)
    # updated_at moves too (its onupdate), as it did when the ORM wrote these rows.
    _expire_loaded(model, values_by_id, names + ["updated_at"])
    return lost


def refresh_everything(now=None):
    """Recompute every metric's status and every contract's health from plain rows read in a
    few statements; write only what changed. Returns a StatusRefresh (what it read, so that the
    sweep judges the same rows without reading them again). Does not commit."""
    now = now or utcnow()
    today = today_for(now)
    grace = grace_days()
    db.session.flush()  # pending ORM changes first: everything below reads the database

    contracts = {
        row.id: ContractRow(*row)
        for row in db.session.execute(
            select(
                Contract.id, Contract.reference, Contract.title, Contract.status, Contract.archived_at,
                Contract.start_date, Contract.end_date, Contract.health, Contract.contract_manager_id,
                Contract.procurement_officer_id,
            ).order_by(Contract.id)
        )
    }
    metrics = _metric_rows()
    milestones = db.session.execute(
        select(Milestone.id, Milestone.contract_id, Milestone.title, Milestone.due_date, Milestone.status)
        .order_by(Milestone.id)
    ).all()

    indexes = {}  # (term start, term end, cadence) -> PeriodIndex, shared by the metrics
    statuses_by_contract = {}
    metric_changes, metric_read = {}, {}
    for metric in metrics:
        contract = contracts[metric.contract_id]
        term = (contract.start_date, contract.end_date, metric.cadence)
        metric.index = indexes.get(term) or indexes.setdefault(term, PeriodIndex(*term))
        metric.latest_due = metric.index.latest_due(metric.due_days, today, grace)
        result = status_from_latest_due(metric.latest_due, metric.latest)
        if (metric.status, metric.status_period_start) != (result.status, result.period_start):
            metric_changes[metric.id] = {
                "status": result.status, "status_period_start": result.period_start, "status_updated_at": now,
            }
            metric_read[metric.id] = {"status": metric.status, "status_period_start": metric.status_period_start}
            metric.status, metric.status_period_start = result.status, result.period_start
        statuses_by_contract.setdefault(metric.contract_id, []).append(result.status)

    milestones_by_contract = {}
    for milestone in milestones:
        milestones_by_contract.setdefault(milestone.contract_id, []).append((milestone.due_date, milestone.status))

    health_changes = {}
    for contract in contracts.values():
        health = rules.contract_health(
            statuses_by_contract.get(contract.id, []), milestones_by_contract.get(contract.id, []), today
        )
        if contract.health != health:
            health_changes[contract.id] = {"health": health, "health_updated_at": now}

    stale_metrics = _write(Metric, metric_changes, metric_read)
    # A contract's health judged from a stale metric status is left as stored (the writer that
    # changed the metric refreshed the health too; the next run recomputes it).
    if stale_metrics:
        for contract_id in {m.contract_id for m in metrics if m.id in stale_metrics}:
            health_changes.pop(contract_id, None)
    stale_contracts = _write(
        Contract, health_changes, {pk: {"health": contracts[pk].health} for pk in health_changes}
    )
    for pk in stale_contracts:
        del health_changes[pk]
    if health_changes:
        contracts = {
            pk: row._replace(health=health_changes[pk]["health"]) if pk in health_changes else row
            for pk, row in contracts.items()
        }
    return StatusRefresh(
        today=today, contracts=contracts, metrics=metrics, milestones=milestones,
        counts={
            "metrics_changed": len(metric_changes) - len(stale_metrics),
            "contracts_changed": len(health_changes),
        },
        stale_metric_ids=frozenset(stale_metrics),
    )


def refresh_all_statuses(now=None):
    """Recompute every metric's status and every contract's health, in bulk.

    Time alone moves statuses (a reading becomes overdue with no write), so the scheduler runs
    this (and the sweep, through ``refresh_everything``). A few set-based reads, no ORM object
    per row; only changed rows are written, in id order, so that two concurrent runs lock them
    in the same order (no deadlock: the second waits for the first).
    Returns counts of what changed. Does not commit.
    """
    return refresh_everything(now).counts
