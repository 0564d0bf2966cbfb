"""Dimensions and group values: the commands and the checks. Services own the transaction.

A dimension (name, ordered groups) is defined once per city by an administrator or a
procurement officer, audited. A metric names the dimensions it reports by. A reading's group
values are checked here (``check_group_values``) and written by the reading's own command
(metrics.services), in its transaction, so a reading is never saved without them or with
values that do not agree with its total.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, select

from contracts_app.audit.services import record, snapshot
from contracts_app.db_types import max_length
from contracts_app.db_utils import DriverStatement
from contracts_app.errors import ConflictError, ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import plain_number
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue, metric_dimensions

MAX_GROUPS = 200
MAX_VALUE = Decimal("1e14")


class DimensionError(ServiceError):
    """A dimension change that cannot be made; ``field`` names the form field."""


class GroupValueError(ServiceError):
    """Group values of a reading that cannot be saved; ``field`` is "groups"."""


# --- dimensions --------------------------------------------------------------------------


def parse_group_lines(text):
    """The group names of a textarea, one a line, blank lines dropped, in order."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def dimension_problems(name, groups, dimension=None):
    """Every problem with a dimension's name and group names, as {field: message}."""
    problems = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = _("Give the dimension a name, for example “Council district”.")
    elif len(name) > max_length(Dimension.name):
        problems["name"] = _("Use at most %(limit)s characters.", limit=max_length(Dimension.name))
    else:
        clash = db.session.scalar(select(Dimension.id).where(Dimension.name == name))
        if clash is not None and (dimension is None or clash != dimension.id):
            problems["name"] = _("A dimension with this name already exists.")
    limit = max_length(DimensionGroup.name)
    if len(groups) < 2:
        problems["groups"] = _("List at least two groups, one a line (for example District 1, District 2).")
    elif len(groups) > MAX_GROUPS:
        problems["groups"] = _("List at most %(limit)s groups.", limit=MAX_GROUPS)
    else:
        seen = set()
        for group in groups:
            if len(group) > limit:
                problems["groups"] = _("“%(group)s” is longer than %(limit)s characters.", group=group[:40], limit=limit)
                break
            if group.casefold() in seen:
                problems["groups"] = _("“%(group)s” is listed twice.", group=group)
                break
            seen.add(group.casefold())
    return problems


def _dimension_snapshot(dimension):
    return snapshot(dimension, {"groups": [g.name for g in dimension.groups]})


def list_dimensions():
    return db.session.scalars(select(Dimension).order_by(Dimension.name)).all()


@command
def create_dimension(actor, name, groups_text, description=""):
    groups = parse_group_lines(groups_text)
    DimensionError.raise_first(dimension_problems(name, groups))
    dimension = Dimension(name=name.strip(), description=(description or "").strip())
    dimension.groups = [DimensionGroup(name=group, position=i) for i, group in enumerate(groups)]
    db.session.add(dimension)
    db.session.flush()
    record(actor, "create", dimension, after=_dimension_snapshot(dimension),
           summary=f"Added dimension {dimension.name} ({len(groups)} groups)")
    db.session.commit()
    return dimension


@command
def update_dimension(dimension, actor, name, groups_text, description=""):
    """Rename the dimension, reorder, add and remove groups (matched by name); returns whether
    anything changed. A group that has values recorded cannot be removed (the readings would
    lose them)."""
    groups = parse_group_lines(groups_text)
    DimensionError.raise_first(dimension_problems(name, groups, dimension))
    before = _dimension_snapshot(dimension)
    existing = {g.name: g for g in dimension.groups}
    removed = [g for n, g in existing.items() if n not in groups]
    if removed:
        used = db.session.scalars(
            select(DimensionGroup.name).join(ReadingGroupValue, ReadingGroupValue.group_id == DimensionGroup.id)
            .where(DimensionGroup.id.in_([g.id for g in removed])).distinct().order_by(DimensionGroup.name)
        ).all()
        if used:
            raise DimensionError(
                _("%(groups)s cannot be removed: readings have values for it. Keep it in the list.",
                  groups=", ".join(used)), "groups",
            )
    for group in removed:
        dimension.groups.remove(group)
    db.session.flush()
    dimension.name = name.strip()
    dimension.description = (description or "").strip()
    for position, group_name in enumerate(groups):
        group = existing.get(group_name)
        if group is None:
            dimension.groups.append(DimensionGroup(name=group_name, position=position))
        else:
            group.position = position
    db.session.flush()
    db.session.expire(dimension, ["groups"])
    after = _dimension_snapshot(dimension)
    if after == before:
        db.session.rollback()
        return False
    record(actor, "update", dimension, before=before, after=after, summary=f"Updated dimension {dimension.name}")
    db.session.commit()
    return True


@command
def set_metric_dimensions(metric, actor, dimension_ids, commit=True):
    """Set which dimensions ``metric`` reports by. A dimension whose groups have values in
    this metric's readings cannot be dropped."""
    wanted = sorted(set(dimension_ids or ()))
    dimensions = db.session.scalars(select(Dimension).where(Dimension.id.in_(wanted))).all() if wanted else []
    if len(dimensions) != len(wanted):
        raise ConflictError(_("Choose dimensions from the list."), "dimensions", code="unknown_row")
    before = sorted(d.name for d in metric.dimensions)
    dropped = [d for d in metric.dimensions if d.id not in wanted]
    if dropped:
        from contracts_app.metrics.models import Reading
        used = db.session.scalars(
            select(Dimension.name).join(DimensionGroup, DimensionGroup.dimension_id == Dimension.id)
            .join(ReadingGroupValue, ReadingGroupValue.group_id == DimensionGroup.id)
            .join(Reading, Reading.id == ReadingGroupValue.reading_id)
            .where(Reading.metric_id == metric.id, Dimension.id.in_([d.id for d in dropped]))
            .distinct().order_by(Dimension.name)
        ).all()
        if used:
            raise ConflictError(
                _("%(dimensions)s cannot be dropped: this metric's readings have values by it.",
                  dimensions=", ".join(used)), "dimensions", code="in_use",
            )
    metric.dimensions = sorted(dimensions, key=lambda d: d.name)
    after = sorted(d.name for d in dimensions)
    if after != before:
        db.session.flush()
        record(actor, "update", metric, before={"dimensions": before}, after={"dimensions": after},
               contract_id=metric.contract_id, summary=f"Set the dimensions of {metric.name}: {', '.join(after) or 'none'}")
    if commit:
        db.session.commit()
    return after != before


# --- group values ------------------------------------------------------------------------


def metric_groups(metric):
    """[(dimension, [group, ...])] of the metric's dimensions, in order."""
    return [(d, list(d.groups)) for d in metric.dimensions]


def _number(value, label):
    if isinstance(value, bool):
        raise GroupValueError(_("%(group)s: enter a number, like 21 or 21.5.", group=label), "groups")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, ArithmeticError):
        raise GroupValueError(_("%(group)s: enter a number, like 21 or 21.5.", group=label), "groups")
    if not number.is_finite():
        raise GroupValueError(_("%(group)s: enter a number, like 21 or 21.5.", group=label), "groups")
    if number < 0:
        raise GroupValueError(_("%(group)s: must be zero or more.", group=label), "groups")
    if number >= MAX_VALUE:
        raise GroupValueError(_("%(group)s: that number is too large to store.", group=label), "groups")
    return number


def check_group_values(metric, total, groups):
    """{group id: Decimal} of ``groups`` for a reading of ``metric`` whose total is ``total``.

    ``groups`` is a list of {"group_id", "value"} (the API's shape) or a {group id: value}
    dict (the forms'); an empty value is left out. Refused (GroupValueError): a group not of
    the metric's dimensions, a group named twice, a value that is not a number or negative,
    and, for a count metric, a dimension whose groups are all given but do not add up to the
    total, or whose groups given add up to more than it (the message names both numbers).
    """
    if not groups:
        return {}
    pairs = groups.items() if isinstance(groups, dict) else [
        (g.get("group_id") if isinstance(g, dict) else None, g.get("value") if isinstance(g, dict) else None)
        for g in groups
    ]
    by_id = {g.id: (d, g) for d, members in metric_groups(metric) for g in members}
    values = {}
    for group_id, value in pairs:
        if isinstance(group_id, bool) or not isinstance(group_id, int) or group_id not in by_id:
            raise GroupValueError(
                _("Group %(id)s is not a group of this metric's dimensions.", id=group_id), "groups"
            )
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if group_id in values:
            raise GroupValueError(_("%(group)s is given twice.", group=by_id[group_id][1].name), "groups")
        values[group_id] = _number(value, by_id[group_id][1].name)
    if metric.is_count and total is not None:
        for dimension, members in metric_groups(metric):
            given = [g for g in members if g.id in values]
            added = sum((values[g.id] for g in given), Decimal(0))
            if members and len(given) == len(members) and added != Decimal(total):
                raise GroupValueError(_(
                    "The %(dimension)s groups add up to %(sum)s but the total is %(total)s: for a count "
                    "the total must equal the sum of its groups. Correct the total or the groups.",
                    dimension=dimension.name, sum=plain_number(added), total=plain_number(Decimal(total)),
                ), "groups")
            if given and added > Decimal(total):
                # Some groups left blank: they can only add to the sum, which already exceeds the total.
                raise GroupValueError(_(
                    "The %(dimension)s groups given add up to %(sum)s, more than the total of %(total)s: a count's "
                    "groups are parts of it. Correct the total or the groups.",
                    dimension=dimension.name, sum=plain_number(added), total=plain_number(Decimal(total)),
                ), "groups")
    return values


def group_values_snapshot(values):
    """{group id (text): value (text)}: how group values go into audit events and the history."""
    return {str(group_id): plain_number(value) for group_id, value in sorted(values.items())}


# Built once (a statement memoizes its cache key); on PostgreSQL run on the driver's cursor.
_STORED_GROUP_VALUES = DriverStatement(
    select(ReadingGroupValue.group_id, ReadingGroupValue.value).where(ReadingGroupValue.reading_id == bindparam("reading_id"))
)


def stored_group_values(reading_id):
    """{group id: Decimal} of a reading, as stored."""
    return dict(_STORED_GROUP_VALUES.execute({"reading_id": reading_id}))


def write_group_values(reading_id, values, replace=False):
    """Store a reading's group values in the current transaction (one statement each way)."""
    if replace:
        db.session.execute(delete(ReadingGroupValue).where(ReadingGroupValue.reading_id == reading_id))
    if values:
        db.session.execute(insert(ReadingGroupValue), [
            {"reading_id": reading_id, "group_id": group_id, "value": value} for group_id, value in sorted(values.items())
        ])


def metric_dimension_ids(metric_id):
    return db.session.scalars(
        select(metric_dimensions.c.dimension_id).where(metric_dimensions.c.metric_id == metric_id)
    ).all()


# --- the metric page's table by group ----------------------------------------------------


def group_target(metric, target, group_count):
    """A group's share of a period target: a count's groups share it equally (they add up to
    the total); a rate's groups each have the whole target. (management.gaps judges the same.)"""
    if target is None:
        return None
    return Decimal(target) / group_count if metric.is_count else Decimal(target)


def group_tables(metric, period_rows, limit=12):
    """[(dimension, [(period row, [(group, value, attainment, status)])])] for the latest
    ``limit`` periods with a reading, newest first, per dimension of the metric: each group
    against its target. One statement for the group values."""
    from contracts_app.metrics import rules

    if not metric.dimensions:
        return []
    rows = [row for row in period_rows if row.reading is not None][-limit:][::-1]
    if not rows:
        return []
    values = {}
    for reading_id, group_id, value in db.session.execute(
        select(ReadingGroupValue.reading_id, ReadingGroupValue.group_id, ReadingGroupValue.value)
        .where(ReadingGroupValue.reading_id.in_([row.reading.id for row in rows]))
    ):
        values[(reading_id, group_id)] = value
    tables = []
    for dimension in metric.dimensions:
        groups = list(dimension.groups)
        lines = []
        for row in rows:
            cells = []
            for group in groups:
                value = values.get((row.reading.id, group.id))
                achieved = None
                if value is not None:
                    achieved = rules.attainment(metric, value, group_target(metric, row.target, len(groups)))
                cells.append((group, value, achieved, rules.status_for_attainment(metric, achieved) if achieved is not None else None))
            if any(cell[1] is not None for cell in cells):
                lines.append((row, cells))
        tables.append((dimension, lines))
    return tables
