"""Metrics, per-period targets and readings: the commands. Services own the transaction.

Every write here validates, changes the rows, re-judges what depends on them (the readings'
stored statuses, the metric's stored status, the contract's stored health), writes an audit event
and commits — all in one transaction, so a page never shows a reading with a stale status.
Domain errors are ``MetricError`` with ``.field`` naming the form field at fault. What the
pages and the API read (period rows, summaries, reading options) is in ``metrics.summaries``.
"""
from __future__ import annotations

from flask_babel import gettext as _
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam, func, insert, inspect, literal, select, true, union_all, update
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.orm.util import identity_key

from contracts_app.audit.services import event_values, record, snapshot
from contracts_app.db_types import LONG_TEXT, max_length, utcnow
from contracts_app.db_utils import DriverStatement, commit_keeping_objects, expire_loaded, keep_values
from contracts_app.errors import OUTSIDE_TERM, ConflictError, ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import local_datetime, long_date, number, plain_number
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import (
    CADENCES,
    DIRECTIONS,
    INDICATOR_TYPES,
    REPORTERS,
    Metric,
    MetricTarget,
    Reading,
    ReadingRevision,
)
from contracts_app.metrics.status import refresh_all_statuses
from contracts_app.dimensions.services import (
    GroupValueError,
    check_group_values as _check_group_values,
    group_values_snapshot,
    set_metric_dimensions,
    write_group_values,
)
from contracts_app.dimensions.models import ReadingGroupValue

MAX_VALUE = Decimal("1e14")  # Numeric(18, 4): 14 digits before the point
MAX_PERCENT = Decimal(1000)
MAX_DUE_DAYS = 366
NEGATIVE = "Must be zero or more: attainment compares actual and target as a ratio, so negative values cannot be judged."

METRIC_FIELDS = (
    "name", "definition", "unit", "direction", "baseline_value", "baseline_date", "target_value",
    "range_low", "range_high", "tolerance_pct", "cadence", "due_days", "on_track_pct", "at_risk_pct",
    "data_source", "indicator_type", "payment_linked",
)
_VALUE_FIELDS = ("baseline_value", "target_value", "range_low", "range_high")
_PERCENT_FIELDS = ("tolerance_pct", "on_track_pct", "at_risk_pct")
# The text columns' own lengths (the form and the API schema read the same columns).
_LENGTHS = {"name": max_length(Metric.name), "unit": max_length(Metric.unit), "data_source": max_length(Metric.data_source)}


class MetricError(ServiceError):
    """A metric, target or reading change that cannot be made; ``field`` names the form field."""


class MetricConflict(ConflictError, MetricError):
    """A metric or reading change refused by what is stored (the contract's term and calendar,
    the readings recorded): the API's 409."""


class ReadingExistsError(ConflictError, MetricError):
    """The period already has a reading; ``reading_id`` is it, so the page can offer a correction."""

    code = "reading_exists"

    def __init__(self, message, reading_id=None):
        super().__init__(message, "period", existing_id=reading_id)

    @property
    def reading_id(self):
        return self.existing_id


def check_group_values(metric, total, groups):
    """dimensions.services.check_group_values, its refusals as MetricError (field "groups"),
    which every caller of the reading commands already handles."""
    try:
        return _check_group_values(metric, total, groups)
    except GroupValueError as error:
        raise MetricError(error.message, "groups") from None


def refresh_statuses(now=None):
    """Recompute stored statuses for ``now`` and commit; the scheduler and CLI call this."""
    counts = refresh_all_statuses(now or utcnow())
    db.session.commit()
    return counts


# --- metrics -----------------------------------------------------------------------------


def metric_problems(values):
    """Every problem with a metric's values, as {field: message}; empty when all is well.

    The form shows them all at once; the services refuse on the first.
    """
    problems = {}

    def add(field, message):
        problems.setdefault(field, message)

    def ordered(low_name, high_name, needed, fault, out_of_order):
        """Each field of ``needed`` ({field: message}, in that order) must have a value; when
        both have one and low > high, ``out_of_order`` goes on ``fault`` unless it has a problem."""
        for name, message in needed.items():
            if values.get(name) is None:
                add(name, message)
        low, high = values.get(low_name), values.get(high_name)
        if low is not None and high is not None and low > high and fault not in problems:
            add(fault, out_of_order.format(low=plain_number(low), high=plain_number(high)))

    direction = values.get("direction")
    if direction not in DIRECTIONS:
        add("direction", "Choose increase, decrease, maintain or stay within a range.")
    if values.get("cadence") not in CADENCES:
        add("cadence", "Choose weekly, monthly, quarterly or annually.")
    if values.get("indicator_type") not in INDICATOR_TYPES:
        add("indicator_type", "Choose leading or lagging.")
    # Optional: callers that do not name it (the API, the CSV import) leave it as it is.
    if "reported_by" in values and values["reported_by"] not in REPORTERS:
        add("reported_by", "Choose who reports this metric: the contract manager, or the vendor with verification.")
    if not (values.get("name") or "").strip():
        add("name", "Give the metric a name.")
    if not (values.get("unit") or "").strip():
        add("unit", "Give the unit, for example count, percent or days.")
    for name, limit in _LENGTHS.items():
        if len((values.get(name) or "").strip()) > limit:
            add(name, f"Use at most {limit} characters.")
    if len((values.get("target_notes") or "").strip()) > LONG_TEXT:
        add("target_notes", f"Use at most {LONG_TEXT} characters.")

    for name in _VALUE_FIELDS + _PERCENT_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if value < 0:
            add(name, NEGATIVE)
        elif name in _PERCENT_FIELDS and value > MAX_PERCENT:
            add(name, "Use a percentage from 0 to 1000.")
        elif value >= MAX_VALUE:
            add(name, "That number is too large to store.")

    baseline, target = values.get("baseline_value"), values.get("target_value")
    if direction in ("increase", "decrease", "maintain"):
        if target is None:
            add("target_value", f"A {DIRECTIONS[direction].lower()} metric needs a final target.")
        elif baseline is not None and "target_value" not in problems and "baseline_value" not in problems:
            if direction == "increase" and target <= baseline:
                add("target_value", f"For an increase the final target must be above the baseline ({plain_number(baseline)}).")
            elif direction == "decrease" and target >= baseline:
                add("target_value", f"For a decrease the final target must be below the baseline ({plain_number(baseline)}).")
    if direction == "maintain":
        tolerance = values.get("tolerance_pct")
        if tolerance is None:
            add("tolerance_pct", "A maintain metric needs a tolerance in percent (5 is usual).")
        elif tolerance > 100 and "tolerance_pct" not in problems:
            add("tolerance_pct", "Use a tolerance from 0 to 100 percent.")

    if direction == "range":
        ordered("range_low", "range_high", {
            "range_low": "A range metric needs a low bound.",
            "range_high": "A range metric needs a high bound.",
        }, "range_high", "The high bound must be at least the low bound ({low}).")
    ordered("at_risk_pct", "on_track_pct", {
        "on_track_pct": "Give the on-track threshold in percent (100 is usual).",
        "at_risk_pct": "Give the at-risk threshold in percent (90 is usual).",
    }, "at_risk_pct", "The at-risk threshold cannot be above the on-track threshold ({high}%).")

    due_days = values.get("due_days")
    if due_days is None:
        add("due_days", "Give the number of days after the period ends when data is due.")
    elif not 0 <= due_days <= MAX_DUE_DAYS:
        add("due_days", f"Use a whole number of days from 0 to {MAX_DUE_DAYS}.")
    return problems


def _check_metric(values):
    MetricError.raise_first(metric_problems(values))


def _clean(values):
    """Values ready for the model: stripped text, and no bounds or targets the direction ignores."""
    clean = {name: values.get(name) for name in METRIC_FIELDS}
    if "reported_by" in values:
        clean["reported_by"] = values["reported_by"]
    if "is_public" in values:
        clean["is_public"] = bool(values["is_public"])
    # Optional too: a count's groups add up to its total (contracts_app.dimensions).
    if "is_count" in values:
        clean["is_count"] = bool(values["is_count"])
    # Optional as well: callers that do not name it (the CSV import) keep the notes.
    if "target_notes" in values:
        clean["target_notes"] = (values["target_notes"] or "").strip()
    for name in ("name", "definition", "unit", "data_source"):
        clean[name] = (clean[name] or "").strip()
    clean["payment_linked"] = bool(clean["payment_linked"])
    if clean["tolerance_pct"] is None:
        clean["tolerance_pct"] = rules.DEFAULT_TOLERANCE_PCT
    if clean["direction"] == "range":
        clean["target_value"] = None
    else:
        clean["range_low"] = clean["range_high"] = None
    return clean


def _refresh(metric, now):
    """Re-judge a metric's readings, then its stored status and its contract's health."""
    status.reevaluate_readings(metric)
    status.refresh_metric(metric, now)
    status.refresh_contract_health(metric.contract, now)


def metrics_warning(contract):
    """The warning for a contract with more metrics than the practice suggests, or None."""
    limit = current_app.config["METRICS_WARN_ABOVE"]
    count = len(contract.metrics)
    if count > limit:
        return (
            f"This contract now has {count} metrics. The practice is three to five key metrics: "
            "consider whether every one of them is key."
        )
    return None


@command
def create_metric(contract, actor, values, now=None, commit=True):
    """Add a metric to ``contract``; returns (metric, warning or None).

    Above METRICS_WARN_ABOVE metrics the metric is still saved: the warning is advice.
    ``commit=False`` leaves the transaction to the caller (the CSV import).
    """
    now = now or utcnow()
    _check_metric(values)
    position = db.session.scalar(
        select(func.coalesce(func.max(Metric.position), -1)).where(Metric.contract_id == contract.id)
    )
    metric = Metric(contract=contract, position=position + 1, **_clean(values))
    db.session.add(metric)
    db.session.flush()
    _refresh(metric, now)
    record(
        actor, "create", metric, after=snapshot(metric), contract_id=contract.id,
        summary=f"Added metric {metric.name} to {contract.reference}",
    )
    if values.get("dimension_ids"):
        set_metric_dimensions(metric, actor, values["dimension_ids"], commit=False)
    if commit:
        db.session.commit()
    return metric, metrics_warning(contract)


@command
def update_metric(metric, actor, values, now=None):
    """Change a metric; its readings are re-judged and the statuses refreshed in the same transaction."""
    now = now or utcnow()
    _check_metric(values)
    clean = _clean(values)
    if clean["cadence"] != metric.cadence and metric.readings:
        raise MetricConflict(
            _('The cadence cannot change once readings are recorded (%(readings)s would no longer match a reporting period).', readings=len(metric.readings)),
            "cadence", code="readings_exist",
        )
    before = snapshot(metric, {"targets": _targets_snapshot(metric)})
    for name, value in clean.items():
        setattr(metric, name, value)
    if "dimension_ids" in values:
        set_metric_dimensions(metric, actor, values["dimension_ids"], commit=False)
    if before["cadence"] != metric.cadence:
        # Explicit targets belong to the old periods; keep only those that still start a period.
        starts = {p.start for p in status.metric_periods(metric)}
        metric.targets = [t for t in metric.targets if t.period_start in starts]
    db.session.flush()
    _refresh(metric, now)
    record(
        actor, "update", metric, before=before, after=snapshot(metric, {"targets": _targets_snapshot(metric)}),
        contract_id=metric.contract_id, summary=f"Updated metric {metric.name}",
    )
    db.session.commit()
    return metric


# --- per-period targets ------------------------------------------------------------------


def _targets_snapshot(metric):
    return {t.period_start.isoformat(): plain_number(t.value) for t in metric.targets}


def linear_targets(metric):
    """{period start: linear target} for every period of the term (explicit targets ignored)."""
    contract = metric.contract
    return {
        p.start: rules.linear_target(metric.baseline_value, metric.target_value, contract.start_date, contract.end_date, p.end)
        for p in status.metric_periods(metric)
    }


@command
def set_targets(metric, actor, targets, now=None, commit=True):
    """Replace a metric's explicit per-period targets.

    ``targets`` maps a period start to a value, or to None to use the linear target. Periods
    not named keep nothing explicit. Readings are re-judged and statuses refreshed.
    ``commit=False`` leaves the transaction to the caller (the CSV import).
    """
    now = now or utcnow()
    starts = {p.start for p in status.metric_periods(metric)}
    for start, value in targets.items():
        if start not in starts:
            raise MetricConflict(_('%(start)s does not start a reporting period of this contract.', start=long_date(start)), start,
                                 code=OUTSIDE_TERM)
        if value is None:
            continue
        if value < 0:
            raise MetricError(NEGATIVE, start)
        if value >= MAX_VALUE:
            raise MetricError(_('That number is too large to store.'), start)
    before = _targets_snapshot(metric)
    existing = {t.period_start: t for t in metric.targets}
    # Update rows in place rather than delete-and-insert: the unit of work inserts before it
    # deletes, which would trip the unique (metric, period) constraint.
    for start in starts:
        value = targets.get(start)
        row = existing.get(start)
        if value is None and row is not None:
            metric.targets.remove(row)
        elif value is not None and row is not None:
            row.value = value
        elif value is not None:
            metric.targets.append(MetricTarget(period_start=start, value=value))
    for start, row in existing.items():
        if start not in starts:
            metric.targets.remove(row)
    db.session.flush()
    _refresh(metric, now)
    after = _targets_snapshot(metric)
    record(
        actor, "update", metric, before={"targets": before}, after={"targets": after},
        contract_id=metric.contract_id,
        summary=f"Set per-period targets of {metric.name} ({len(after)} explicit)",
    )
    if commit:
        db.session.commit()
    return metric


# --- readings ----------------------------------------------------------------------------


def _parse_period(metric, period_start):
    """The term's period starting at ``period_start`` (a date or an ISO string), else MetricError."""
    contract = metric.contract
    outside = (
        f"Choose a reporting period within the contract term "
        f"({long_date(contract.start_date)} to {long_date(contract.end_date)})."
    )
    if isinstance(period_start, str):
        try:
            period_start = date.fromisoformat(period_start.strip())
        except ValueError:
            raise MetricError(outside, "period")
    if not isinstance(period_start, date):
        raise MetricError(outside, "period")
    period = rules.period_starting(status.metric_periods(metric), period_start)
    if period is None:
        raise MetricConflict(outside, "period", code=OUTSIDE_TERM)
    return period


def _check_value(value, field="value"):
    if value is None:
        raise MetricError(_('Enter the value for this period.'), field)
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            raise MetricError(_('Enter a number, like 21 or 21.5.'), field)
    if not value.is_finite():
        raise MetricError(_('Enter a number, like 21 or 21.5.'), field)
    if value < 0:
        raise MetricError(NEGATIVE, field)
    if value >= MAX_VALUE:
        raise MetricError(_('That number is too large to store.'), field)
    return value


def _existing_reading(metric, period_start):
    return db.session.scalar(
        select(Reading).where(Reading.metric_id == metric.id, Reading.period_start == period_start)
    )


def _already_recorded(metric, period, reading_id):
    return ReadingExistsError(
        f"{period.label(metric.cadence)} is already recorded — correct that reading instead.", reading_id
    )


IN_PROGRESS_FIELD = "confirm_in_progress"
NOTE_WITHOUT_VALUE = "Enter the value, or clear the note to leave this metric for later."


def _check_reading(metric, period_start, value, now, allow_in_progress, field="value"):
    """(period, value) of a new reading, checked as every way of entering one checks it.

    Refuses a period outside the term, one that has not started yet (in the city's today), one
    in progress unless ``allow_in_progress`` (the form's explicit confirmation), one already
    recorded, and a missing, non-numeric or negative value (on ``field``).
    """
    period = _parse_period(metric, period_start)
    today = status.today_for(now)
    if period.start > today:
        raise MetricConflict(
            _('%(cadence)s has not started yet (it starts %(start)s); enter its reading once the period is under way.', cadence=period.label(metric.cadence), start=long_date(period.start)),
            "period", code="period_not_started",
        )
    value = _check_value(value, field)
    if not allow_in_progress and rules.period_state(period, metric.due_days, today, status.grace_days()) == rules.IN_PROGRESS:
        raise MetricError(
            _('%(cadence)s is still in progress (it ends %(end)s): tick the box to record this value anyway, or enter it once the period has ended.', cadence=period.label(metric.cadence), end=long_date(period.end)),
            IN_PROGRESS_FIELD,
        )
    existing = _existing_reading(metric, period.start)
    if existing is not None:
        raise _already_recorded(metric, period, existing.id)
    return period, value


def _add_reading(metric, actor, period, value, note, now, field="period", submitted_by=None, groups=None):
    """Insert a checked reading with its status and audit it; the caller refreshes and commits.

    ``submitted_by``: the vendor contact whose submission ``actor`` verified (vendors.services).
    ``groups``: its checked group values ({group id: Decimal}, dimensions.services).
    """
    reading_status = status.evaluate(metric, period, value)[2]
    reading = Reading(
        metric=metric, period_start=period.start, period_end=period.end, value=value,
        note=(note or "").strip(), status=reading_status,
        recorded_by_id=actor.id if actor is not None else None, recorded_at=now, version=1,
        submitted_by_id=submitted_by.id if submitted_by is not None else None,
        verified_by_id=actor.id if submitted_by is not None and actor is not None else None,
    )
    db.session.add(reading)
    try:
        db.session.flush()
    except IntegrityError:
        # Two people saved the same period at once: the unique (metric, period) constraint let
        # one win; the other gets the same message as if it had been checked first.
        db.session.rollback()
        existing = _existing_reading(metric, period.start)
        error = _already_recorded(metric, period, existing.id if existing is not None else None)
        error.field = field
        raise error
    extra = None
    if groups:
        write_group_values(reading.id, groups)
        extra = {"groups": group_values_snapshot(groups)}
    record(
        actor, "create", reading, after=snapshot(reading, extra), contract_id=metric.contract_id,
        summary=f"Recorded {metric.name} for {period.label(metric.cadence)}: {plain_number(value)} ({rules.STATUS_LABELS[reading_status]})",
    )
    return reading


@command
def record_reading(metric, actor, period_start, value, note="", now=None, allow_in_progress=True, groups=None):
    """Record the value of one reporting period (and, optionally, its value per group of the
    metric's dimensions: ``groups``, as ``dimensions.services.check_group_values`` takes them).

    Refuses what ``_check_reading`` refuses; a period still in progress only with
    ``allow_in_progress`` (the API and imports allow it; the form passes its confirmation box).
    Stores the reading's status against its period's target, then the metric's status and the
    contract's health.
    """
    now = now or utcnow()
    period, value = _check_reading(metric, period_start, value, now, allow_in_progress)
    checked_groups = check_group_values(metric, value, groups)
    reading = _add_reading(metric, actor, period, value, note, now, groups=checked_groups)
    status.refresh_metric(metric, now)
    status.refresh_contract_health(metric.contract, now)
    db.session.commit()
    return reading


class ReadingsError(MetricError):
    """Some rows of a contract-period form cannot be saved: ``problems`` is {field: message}
    for every row at fault (``field`` and the message are the first of them)."""

    def __init__(self, problems):
        field, message = next(iter(problems.items()))
        super().__init__(message, field)
        self.problems = problems


@command
def record_period_readings(contract, actor, rows, now=None):
    """Record several readings of one contract at once, all or nothing.

    ``rows`` is a list of dicts with ``metric``, ``period_start``, ``value`` (a Decimal or
    None) and ``note``, in the order of the form's ``readings-<i>-`` rows. A row without value
    or note is skipped; a note without a value is refused. Every other row is checked as
    ``record_reading`` checks it (a period in progress refused: the form lists ended periods),
    and every problem is reported at once (``ReadingsError``, fields ``readings-<i>-value``).
    One commit; each reading audited. Returns the readings.
    """
    now = now or utcnow()
    problems, checked = {}, []
    for index, row in enumerate(rows):
        metric, value, note = row["metric"], row.get("value"), (row.get("note") or "").strip()
        field = f"readings-{index}-value"
        if metric.contract_id != contract.id:
            problems[field] = "This metric belongs to another contract."
            continue
        if value is None and not note:
            continue
        if value is None:
            problems[field] = NOTE_WITHOUT_VALUE
            continue
        try:
            period, value = _check_reading(metric, row["period_start"], value, now, False, field)
        except MetricError as error:
            problems[field] = str(error)
            continue
        try:
            groups = check_group_values(metric, value, row.get("groups"))
        except MetricError as error:
            problems[field] = str(error)  # shown beside the row's value
            continue
        checked.append((metric, period, value, note, field, groups))
    if problems:
        raise ReadingsError(problems)
    if not checked:
        raise MetricError(_('Enter at least one value; nothing was saved.'), None)
    readings = [
        _add_reading(metric, actor, period, value, note, now, field, groups=groups)
        for metric, period, value, note, field, groups in checked
    ]
    for metric in {metric.id: metric for metric, *_rest in checked}.values():
        status.refresh_metric(metric, now)
    status.refresh_contract_health(contract, now)
    db.session.commit()
    return readings


class StaleReadingError(ConflictError, MetricError):
    """A correction named a version the reading has moved on from: someone else corrected it
    since the page (or API client) read it. Nothing was written. ``reading`` is the reading as
    it is now (value, note, version, who recorded it and when), so the caller can show it."""

    code = "stale_version"

    def __init__(self, reading, expected_version):
        who = reading.recorded_by.name if reading.recorded_by is not None else "someone"
        note = f" (note: “{reading.note}”)" if reading.note else ""
        super().__init__(
            f"{who} changed this reading on {local_datetime(reading.recorded_at)}, after you opened it: it is "
            f"now {number(reading.value)} {reading.metric.unit}{note}. Nothing was saved.",
            "value", existing_id=reading.id,
        )
        self.reading = reading
        self.expected_version = expected_version

    @property
    def current_version(self):
        return self.reading.version


def _lock_reading(reading_id):
    """The reading as committed now, its row held until this transaction ends.

    On PostgreSQL ``SELECT ... FOR UPDATE`` waits for a concurrent correction to commit and
    then returns the row it wrote (READ COMMITTED reads the newest committed row version), so
    corrections of one reading run one after the other. SQLite has no row locks (SQLAlchemy
    leaves FOR UPDATE out there); its writers are serialised by the database lock, and the
    compare-and-swap in ``correct_reading`` catches a writer that committed between this read
    and our UPDATE. The values read replace whatever the session loaded earlier, as
    ``populate_existing`` does: the reading already in the session (the usual case: the caller
    found it) takes the row's columns, read as plain values (``_LOCK_ROW``, on the driver's
    cursor on PostgreSQL), and its relationships are reloaded on next use; one not in the
    session is loaded as an object.
    """
    current = db.session.identity_map.get(identity_key(Reading, reading_id))
    if current is None:
        return db.session.execute(_LOCK_READING, {"reading_id": reading_id}).scalar_one()
    rows = _LOCK_ROW.execute({"reading_id": reading_id})
    if not rows:
        raise NoResultFound("No row was found when one was required")
    keep_values(current, {attr.key: value for attr, value in zip(_READING_COLUMNS, rows[0])})
    expire_loaded(current, _READING_RELATIONSHIPS)
    return current


# A correction's statements, built once: a statement object memoizes its cache key, so running
# it again skips building and keying it (a third of a correction's Python time went there).
# Those run at every correction are DriverStatements: on PostgreSQL they run on the driver's
# cursor, without SQLAlchemy's per-execution work (most of the app's time left after the above).
_LOCK_READING = (
    select(Reading).where(Reading.id == bindparam("reading_id")).with_for_update()
    .execution_options(populate_existing=True)
)
_readings = Reading.__table__
_READING_COLUMNS = list(inspect(Reading).column_attrs)
_READING_RELATIONSHIPS = [relationship.key for relationship in inspect(Reading).relationships]
_LOCK_ROW = DriverStatement(
    select(*(attr.columns[0] for attr in _READING_COLUMNS)).where(_readings.c.id == bindparam("reading_id"))
    .with_for_update()
)
# What a correction reads after the lock, in one statement: the revisions so far and the
# period's explicit target (the only one target_for_period uses), a row of kind 0; the
# reading's group values as stored (dimensions.services.stored_group_values), a row each of kind 1.
_group_values = ReadingGroupValue.__table__
_AFTER_LOCK = DriverStatement(union_all(
    select(
        literal(0).label("kind"),
        select(func.count(ReadingRevision.id)).where(ReadingRevision.reading_id == bindparam("reading_id"))
        .scalar_subquery().label("a"),
        select(MetricTarget.value)
        .where(MetricTarget.metric_id == bindparam("metric_id"), MetricTarget.period_start == bindparam("period_start"))
        .scalar_subquery().label("b"),
    ),
    select(literal(1), _group_values.c.group_id, _group_values.c.value)
    .where(_group_values.c.reading_id == bindparam("reading_id")),
))


def _read_after_lock(reading):
    """(revisions so far, the period's explicit target or None, {group id: value as stored})."""
    revisions = explicit_value = None
    groups = {}
    for kind, a, b in _AFTER_LOCK.execute(
        {"reading_id": reading.id, "metric_id": reading.metric_id, "period_start": reading.period_start}
    ):
        if kind:
            groups[a] = b
        else:
            revisions, explicit_value = a, b
    return revisions, explicit_value, groups


# The compare-and-swap: the row as stored afterwards (RETURNING), none when the version moved.
_SWAP = (
    update(_readings)
    .where(_readings.c.id == bindparam("b_id"), _readings.c.version == bindparam("b_version"))
    .values(
        value=bindparam("value"), note=bindparam("note"), status=bindparam("status"), version=_readings.c.version + 1,
        recorded_by_id=bindparam("recorded_by_id"), recorded_at=bindparam("recorded_at"),
        submitted_by_id=bindparam("submitted_by_id"), verified_by_id=bindparam("verified_by_id"),
    )
    .returning(*(attr.columns[0] for attr in _READING_COLUMNS))
)
_SWAP_READING = DriverStatement(_SWAP)
_revisions = ReadingRevision.__table__
_INSERT_REVISION = DriverStatement(insert(_revisions))
# PostgreSQL: the swap and the revision row in one statement, the revision inserted only if the
# swap changed the row (the same two writes in the same order, one round trip instead of two):
# WITH swapped AS (UPDATE readings ... RETURNING ...), revision AS (INSERT INTO
# reading_revisions (...) SELECT :revision_... FROM swapped) SELECT * FROM swapped.
# The revision's values are _INSERT_REVISION's, named revision_<column>.
_REVISION_COLUMNS = [column for column in _revisions.c if column.key != "id"]
_swapped = _SWAP.cte("swapped")
# The same statement also reads the metric's latest reading (what status.refresh_metric reads
# next): id, period start and status, as before the swap (a statement's other parts do not see
# its UPDATE), so when it is the swapped reading its status is the swapped row's.
_latest = (
    select(_readings.c.id, _readings.c.period_start, _readings.c.status)
    .where(_readings.c.metric_id == bindparam("latest_metric_id"))
    .order_by(_readings.c.period_start.desc()).limit(1).subquery("latest")
)
_SWAP_AND_REVISE = DriverStatement(
    select(_swapped, _latest.c.id, _latest.c.period_start, _latest.c.status)
    .select_from(_swapped.outerjoin(_latest, true()))
    .add_cte(
        insert(_revisions).from_select(
            [column.key for column in _REVISION_COLUMNS],
            select(*(bindparam(f"revision_{column.key}", type_=column.type) for column in _REVISION_COLUMNS))
            .select_from(_swapped),
        ).cte("revision")
    )
)


_NOT_READ = object()


def _latest_from_swap(stored, reading_id, values):
    """The metric's latest reading, (period start, status), from _SWAP_AND_REVISE's row
    (_NOT_READ from the plain swap's): the swapped reading as it is now when it is the latest."""
    if len(stored) == len(_READING_COLUMNS):
        return _NOT_READ
    latest_id, period_start, latest_status = stored[len(_READING_COLUMNS):]
    if latest_id == reading_id:
        return values["period_start"], values["status"]
    return (period_start, latest_status) if latest_id is not None else None


@dataclass
class Correction:
    """What a correction wrote, as plain values that outlive the commit (which expires every
    ORM object): the reading's columns as stored (``values``, by attribute), its period's
    target and attainment as ``summaries.reading_row`` gives them, the number of revisions
    now, and the recorder. Enough to answer the API without reading anything back."""

    reading: Reading
    values: dict
    target: Decimal | None
    attainment: Decimal | None
    corrections: int
    recorded_by: dict | None
    # {group id: value} as stored when the correction left them as they were (else None:
    # written now, they are read back as stored).
    groups: dict | None = None


@command
def correct_reading(reading, actor, value, note, now=None, expected_version=None, submitted_by=None, verified_by=None,
                    groups=None):
    """Correct a reading; the value, note, status, version, who and when it replaces go into
    its history (a ReadingRevision), and its version goes up by one.

    ``expected_version`` is the version the person or client saw (the form's hidden field, the
    API's If-Match or ``version``): if the reading has moved on since, ``StaleReadingError``
    (409) carries the current reading and nothing is written. Without it (older API clients)
    the correction still never loses a value: it waits for the row lock, so its revision
    records the value it actually replaced, whoever wrote that a moment before.
    ``submitted_by``/``verified_by`` name the vendor contact and the staff member when the new
    value comes from a verified vendor submission (else both are cleared: it is ``actor``'s).
    Returns the reading (expired by the commit); ``correct_reading_values`` returns the
    ``Correction``.
    """
    return _correct(reading, actor, value, note, now, expected_version, submitted_by, verified_by, groups).reading


@command
def correct_reading_values(reading, actor, value, note, now=None, expected_version=None, submitted_by=None,
                           verified_by=None, groups=None, locked=False):
    """``correct_reading``, returning the ``Correction`` (the values written, for an answer).

    ``locked``: the caller read ``reading`` in this transaction as ``_lock_reading`` would (its
    row ``FOR UPDATE``, every column as read; the API's lookup does), so the first attempt
    takes it as it is instead of reading the row again."""
    return _correct(reading, actor, value, note, now, expected_version, submitted_by, verified_by, groups, locked)


def _correct(reading, actor, value, note, now, expected_version, submitted_by, verified_by, groups=None,
             locked=False):
    # ``groups``: the corrected group values (replacing all of them; an empty list clears
    # them), or None to keep those stored, which must then still agree with the new total.
    # The write in plain statements (Core, not the unit of work): lock the row, read its
    # revision count and its period's explicit target, compare-and-swap the reading (RETURNING
    # the row as stored), insert its revision, store the metric's status, the contract's health
    # and the audit event; then the one commit, with nothing left to flush.
    now = now or utcnow()
    value = _check_value(value)
    note = (note or "").strip()
    if not note:
        raise MetricError(_('Say why the value is being corrected; the reason is kept with the reading.'), "note")
    if expected_version is not None and (isinstance(expected_version, bool) or not isinstance(expected_version, int)):
        raise MetricError(_('The version must be a whole number.'), "version")
    actor_id = actor.id if actor is not None else None
    for attempt in range(5):
        current = reading if locked and attempt == 0 else _lock_reading(reading.id)
        if expected_version is not None and current.version != expected_version:
            raise StaleReadingError(current, expected_version)
        metric = current.metric
        # Read after the lock (a statement of its own, so on PostgreSQL it sees a correction
        # committed while this one waited): the revisions so far, the period's explicit target
        # (the only one target_for_period looks at) and the group values.
        revisions, explicit_value, old_groups = _read_after_lock(current)
        new_groups = check_group_values(metric, value, old_groups if groups is None else groups)
        if value == current.value and note == current.note and new_groups == old_groups:
            raise MetricConflict(_('Nothing changed: enter the corrected value or a new reason.'), "value", code="unchanged")
        term_period = status.metric_period_index(metric).starting(current.period_start)
        period = term_period or rules.Period(current.period_start, current.period_end)
        before = snapshot(current, {"groups": group_values_snapshot(old_groups)} if old_groups else None)
        explicit = {current.period_start: explicit_value} if explicit_value is not None else {}
        target, _attainment, new_status = status.evaluate(metric, period, value, explicit)
        # Compare-and-swap: applies only if the row is still the version read above. On
        # PostgreSQL the row lock makes this always so; on SQLite another connection may have
        # committed between the read and this UPDATE, which then changes nothing.
        swap = {
            "b_id": current.id, "b_version": current.version, "value": value, "note": note, "status": new_status,
            "recorded_by_id": actor_id, "recorded_at": now,
            "submitted_by_id": submitted_by.id if submitted_by is not None else None,
            "verified_by_id": verified_by.id if verified_by is not None else None,
        }
        # The revision: the value, note, status, version and people it replaces.
        revision = {
            "reading_id": current.id, "value": current.value, "note": current.note, "status": current.status,
            "recorded_by_id": current.recorded_by_id, "recorded_at": current.recorded_at,
            "replaced_by_id": actor_id, "replaced_at": now,
            "version": current.version, "submitted_by_id": current.submitted_by_id,
            "verified_by_id": current.verified_by_id,
            "group_values": group_values_snapshot(old_groups) if old_groups else None,
        }
        if DriverStatement.available():
            swapped = _SWAP_AND_REVISE.execute({
                **swap, **{f"revision_{key}": v for key, v in revision.items()}, "latest_metric_id": current.metric_id,
            })
        else:
            swapped = _SWAP_READING.execute(swap)
            if swapped:
                _INSERT_REVISION.execute(revision)
        if swapped:
            stored = swapped[0]
            break
        if expected_version is not None:
            raise StaleReadingError(_lock_reading(reading.id), expected_version)
        # No version named: read again and retry. The UPDATE that changed nothing has taken
        # SQLite's write lock, so the next read is the newest and the next swap succeeds.
    else:  # pragma: no cover - each failed swap means another correction committed
        raise MetricError(_('The reading is being corrected by others right now; try again.'), "value")
    if new_groups != old_groups:
        write_group_values(current.id, new_groups, replace=True)
        db.session.expire(current, ["group_values"])
    # The object takes the values just written, as stored (what reloading it would give).
    values = {attr.key: stored[index] for index, attr in enumerate(_READING_COLUMNS)}
    keep_values(current, values)
    expire_loaded(current, ["revisions", "recorded_by", "submitted_by", "verified_by"])
    audit = dict(
        before=before,
        after=snapshot(current, {"groups": group_values_snapshot(new_groups)} if new_groups or old_groups else None),
        contract_id=metric.contract_id,
        summary=f"Corrected {metric.name} for {period.label(metric.cadence)}: {plain_number(before['value'])} → {plain_number(value)}",
    )
    # PostgreSQL: the metric's latest reading came with the swap, and the status chain and the
    # audit event go in two statements (status.refresh_metric_and_health); else one by one.
    latest = _latest_from_swap(stored, current.id, values)
    in_statements = latest is not _NOT_READ and status.refresh_metric_and_health(
        metric, now, latest, event_values(actor, "update", current, **audit))
    if not in_statements:
        status.refresh_metric(metric, now)
        status.refresh_contract_health(metric.contract, now, write_now=True)
        record(actor, "update", current, insert_now=True, **audit)
    # The answer's target and attainment are those of the reading's row in the metric's table
    # (summaries.reading_row): none for a reading outside the term's periods.
    in_term = term_period is not None
    recorded_by = {"id": actor.id, "name": actor.name} if actor is not None else None
    correction = Correction(
        current, values, target if in_term else None,
        rules.attainment(metric, values["value"], target) if in_term else None, revisions + 1, recorded_by,
        old_groups if new_groups == old_groups else None,
    )
    if in_statements:
        # Every write was a plain statement whose values the objects took as written (the
        # reading's row as RETURNING gave it, the metric's status, the contract's health; the
        # relationships that changed expired above): expiring them at the commit would throw
        # that away for nothing.
        commit_keeping_objects()
    else:
        db.session.commit()
    return correction
