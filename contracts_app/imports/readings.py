"""The readings spreadsheet: the due periods as an XLSX or CSV to fill in, and reading it back.

``due_periods`` lists, for the contracts someone may enter readings for, every ended reporting
period without a reading (overdue first), pre-filled with contract, metric, period, unit and
target; ``xlsx_bytes`` and ``csv_text`` write it. ``read_upload`` turns an uploaded .xlsx
(openpyxl) or .csv (``imports.reader``) into the same numbered rows, kept as CSV text while the
upload is staged; ``check_sheet`` reads the header and rows and asks ``metrics.bulk`` to check
them, so that every problem comes back by the row number people see (the header is row 1) and
the column as their header names it.
"""
from __future__ import annotations

from flask_babel import gettext as _

import csv
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts_app.i18n import lazy_gettext as _l
from contracts_app.auth.models import CONTRACT_MANAGER, PROCUREMENT_OFFICER
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.formatting import plain_number
from contracts_app.imports import reader
from contracts_app.imports.columns import column_letter, normalise_header
from contracts_app.imports.plan import RowError
from contracts_app.metrics import bulk, rules, status
from contracts_app.dimensions.models import Dimension, DimensionGroup
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.services import NOTE_WITHOUT_VALUE
from contracts_app.permissions import can_enter_readings

XLSX = "xlsx"
GROUP_HELP = _l('Optional: the value for this group (“Dimension: Group”), where the metric reports by it; '
                '“—” where it does not. For a count, when every group of a dimension is filled in they must add up to Value.')
SHEET_TITLE = "Readings"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    locked: bool = False  # identifies the row: "do not change"
    help: str = ""


COLUMNS = (
    Column("contract_reference", "Contract reference", 18, help=_l('For you to read; not checked.')),
    Column("contract_title", "Contract title", 32, help=_l('For you to read.')),
    Column("metric_id", "Metric id", 10, True, _l('Which metric the row is for.')),
    Column("metric_name", "Metric name", 32, help=_l('For you to read.')),
    Column("unit", "Unit", 12, help=_l('What the value counts.')),
    Column("period", "Period", 16, help=_l('The reporting period, in words.')),
    Column("period_start", "Period start", 13, True, _l("The period's first day (an ISO date, 2026-03-01).")),
    Column("period_end", "Period end", 13, help=_l("The period's last day.")),
    Column("due_date", "Due date", 13, help=_l('When the reading was due.')),
    Column("target", "Target", 10, help=_l("The period's target.")),
    Column("value", "Value", 12, help=_l('Fill in: the number for the period (21 or 21.5). Leave blank to skip the row.')),
    Column("note", "Note", 40, help=_l('Optional for a new reading; required when the row corrects one already recorded.')),
    Column("version", "Version", 10, help=_l('Optional: the version of the reading a row corrects, as downloaded.')),
)
BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED = ("metric_id", "period_start", "value")
# The columns of the download (version only matters for corrections, which the due list has none of).
DOWNLOADED = tuple(column for column in COLUMNS if column.key != "version")


# --- whose contracts, and their due periods ------------------------------------------------------


def contracts_for(user, contract=None, department=None):
    """The contracts ``user`` may enter readings for, within one contract, a department, or
    (neither given) their own: those they manage, or a procurement officer's registered ones."""
    if contract is not None:
        return [contract] if can_enter_readings(user, contract) else []
    query = select(Contract).where(Contract.archived_at.is_(None), Contract.status == "active").order_by(Contract.reference)
    if department is not None:
        query = query.where(Contract.department == department)
        if user.role != PROCUREMENT_OFFICER:
            query = query.where(Contract.contract_manager_id == user.id)
    elif user.role == CONTRACT_MANAGER:
        query = query.where(Contract.contract_manager_id == user.id)
    else:
        query = query.where(Contract.procurement_officer_id == user.id)
    return [c for c in db.session.scalars(query) if can_enter_readings(user, c)]


@dataclass
class DueRow:
    contract: Contract
    metric: Metric
    period: rules.Period
    due: date
    target: Decimal | None
    overdue: bool

    def group_cells(self, groups):
        """The (blank) cells of the group columns ``groups`` (DimensionGroup, as group_columns
        gives them): blank to fill in where the metric reports by the group's dimension, else
        "—" (not reported by that dimension)."""
        used = {d.id for d in self.metric.dimensions}
        return [None if group.dimension_id in used else "—" for group in groups]

    def cells(self):
        """The download's cells, in DOWNLOADED order (dates as dates, numbers as numbers)."""
        return [
            self.contract.reference, self.contract.title, self.metric.id, self.metric.name, self.metric.unit,
            self.period.label(self.metric.cadence), self.period.start, self.period.end, self.due,
            rules.shown_target(self.target, self.metric), None, None,
        ]


def due_periods(contracts, now):
    """Every ended period without a reading of the contracts' metrics: overdue first, then by
    due date. Three statements whatever the number of contracts (metrics with targets, the
    periods already recorded)."""
    today = status.today_for(now)
    grace = status.grace_days()
    ids = [c.id for c in contracts]
    if not ids:
        return []
    metrics = db.session.scalars(
        select(Metric).where(Metric.contract_id.in_(ids)).options(
            selectinload(Metric.targets), selectinload(Metric.dimensions).selectinload(Dimension.groups),
        )
        .order_by(Metric.contract_id, Metric.position, Metric.id)
    ).all()
    recorded = defaultdict(set)
    for metric_id, start in db.session.execute(
        select(Reading.metric_id, Reading.period_start).join(Metric).where(Metric.contract_id.in_(ids))
    ):
        recorded[metric_id].add(start)
    by_id = {c.id: c for c in contracts}
    rows = []
    for metric in metrics:
        contract = by_id[metric.contract_id]
        explicit = status.explicit_targets(metric)
        for period in rules.periods(contract.start_date, contract.end_date, metric.cadence):
            if period.end >= today:
                break
            if period.start in recorded[metric.id]:
                continue
            rows.append(DueRow(
                contract, metric, period, rules.due_date(period, metric.due_days),
                rules.target_for_period(metric, period, contract.start_date, contract.end_date, explicit),
                rules.is_overdue(period, metric.due_days, today, grace),
            ))
    rows.sort(key=lambda r: (not r.overdue, r.due, r.contract.reference, r.metric.position, r.metric.id))
    return rows


# --- group columns ("Council district: District 7") ---------------------------------------------


def group_header(group):
    return f"{group.dimension.name}: {group.name}"


def group_columns(rows):
    """The groups of the dimensions the rows' metrics report by, as extra columns of the
    download (by dimension name, then group order); none when no metric reports by groups."""
    dimensions = {d.id: d for row in rows for d in row.metric.dimensions}
    return [g for d in sorted(dimensions.values(), key=lambda d: d.name) for g in d.groups]


def _groups_by_header():
    """{normalised "dimension: group" header: group id} of every group of the city (one statement)."""
    return {
        normalise_header(f"{dimension_name}: {group_name}"): group_id
        for group_id, group_name, dimension_name in db.session.execute(
            select(DimensionGroup.id, DimensionGroup.name, Dimension.name).join(Dimension, Dimension.id == DimensionGroup.dimension_id)
        )
    }


# --- writing the download ------------------------------------------------------------------------


def csv_text(rows):
    """The download as CSV text (dates ISO, numbers plain), with a byte-order mark for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    groups = group_columns(rows)
    writer.writerow([column.label for column in DOWNLOADED] + [group_header(g) for g in groups])
    for row in rows:
        writer.writerow([
            cell.isoformat() if isinstance(cell, date) else plain_number(cell) if isinstance(cell, Decimal)
            else "" if cell is None else cell
            for cell in row.cells() + row.group_cells(groups)
        ])
    return "\ufeff" + buffer.getvalue()


def xlsx_bytes(rows, title):
    """The download as an XLSX workbook: the rows on a "Readings" sheet (styled, frozen header,
    column widths, the identifying columns shaded and marked "do not change", the value and
    note columns highlighted to fill in) and an "Instructions" sheet."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    header_fill = PatternFill("solid", fgColor="1F3A5F")
    locked_fill = PatternFill("solid", fgColor="E5E7EB")
    fill_in = PatternFill("solid", fgColor="FFF7D6")
    groups = group_columns(rows)
    sheet.append([column.label for column in DOWNLOADED] + [group_header(g) for g in groups])
    for offset, group in enumerate(groups, start=len(DOWNLOADED) + 1):
        cell = sheet.cell(row=1, column=offset)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.comment = Comment(str(GROUP_HELP), "RDC Tracker")
        sheet.column_dimensions[get_column_letter(offset)].width = 14
    for index, column in enumerate(DOWNLOADED, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.comment = Comment((_('Do not change. ') if column.locked else "") + column.help, "RDC Tracker")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    keys = [column.key for column in DOWNLOADED]
    for row in rows:
        group_cells = row.group_cells(groups)
        sheet.append(row.cells() + group_cells)
        number = sheet.max_row
        for offset, cell_value in enumerate(group_cells, start=len(DOWNLOADED) + 1):
            if cell_value is None:
                sheet.cell(row=number, column=offset).fill = fill_in
        for index, key in enumerate(keys, start=1):
            cell = sheet.cell(row=number, column=index)
            if key in ("period_start", "period_end", "due_date"):
                cell.number_format = "yyyy-mm-dd"
            if BY_KEY[key].locked:
                cell.fill = locked_fill
            elif key in ("value", "note"):
                cell.fill = fill_in
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(DOWNLOADED) + len(groups))}{max(sheet.max_row, 1)}"

    help_sheet = workbook.create_sheet(_('Instructions'))
    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 90
    lines = [
        (title, ""),
        ("", ""),
        (_('How to use this file'), _('Fill in Value (and a Note if you like) for each period, save, and upload the file on the “Upload readings” page (or: flask import readings FILE --as EMAIL).')),
        ("", _('Rows with Value left blank are skipped. Nothing is recorded until every row is right: the preview lists every problem by row and column.')),
        ("", _('The grey columns (Metric id, Period start) say which metric and period a row is: do not change them.')),
        ("", _('To correct a reading already recorded, add a row with its metric id and period start, the corrected value and a note saying why.')),
        ("", ""),
        (_('Column'), _('What it holds')),
        *[(column.label, (_('Do not change. ') if column.locked else "") + column.help) for column in COLUMNS],
        *([(_("Dimension: group"), str(GROUP_HELP))] if groups else []),
    ]
    for line in lines:
        help_sheet.append(list(line))
    help_sheet["A1"].font = Font(bold=True, size=14)
    for cell in (help_sheet["A3"], help_sheet["A8"], help_sheet["B8"]):
        cell.font = Font(bold=True)
    for cells in help_sheet.iter_rows(min_col=2, max_col=2):
        cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading an upload ---------------------------------------------------------------------------


def _cell_text(value):
    """An XLSX cell as the text a CSV would hold: dates ISO, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # A binary float as people see it in the cell: 0.1 + 0.2 shows as 0.3.
        text = repr(round(value, 10))
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _xlsx_text(data, max_rows):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise reader.ImportFileError(
            _('This zip file is not an Excel workbook that can be read. Save it from Excel as .xlsx (or as CSV UTF-8) and upload that file.')
        )
    try:
        sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.worksheets[0]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > max_rows + 1:
                raise _TooManyRows()
            cells = [_cell_text(value) for value in cells[:len(COLUMNS) + 20]]
            while cells and not cells[-1].strip():
                cells.pop()
            writer.writerow(cells)
    finally:
        workbook.close()
    text = buffer.getvalue()
    if not text.strip():
        raise reader.ImportFileError(_("The workbook's first sheet is empty."))
    return text


class _TooManyRows(Exception):
    pass


def read_upload(data, max_bytes, max_rows):
    """(text, kind) of an uploaded readings file: an XLSX workbook (a zip) is read with
    openpyxl into CSV text; anything else must be CSV text (``reader.decode``: UTF-8 or
    Windows-1252). Raises reader.ImportFileError saying why a file cannot be read."""
    too_many = (_('The file has more than %(max_rows)s rows, the most one upload accepts. Split it into several files, or use flask import readings.', max_rows=format(max_rows, ',')))
    if len(data) > max_bytes:
        raise reader.ImportFileError(
            _('The file is larger than %(max_bytes)s, the most one upload accepts. Split it into several files and upload them one after the other.', max_bytes=reader.human_size(max_bytes))
        )
    if data.startswith(b"PK\x03\x04"):
        try:
            return _xlsx_text(data, max_rows), XLSX
        except _TooManyRows:
            raise reader.ImportFileError(too_many)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise reader.ImportFileError(_('This is an older Excel workbook (.xls). Save it as .xlsx or CSV UTF-8 and upload that.'))
    text, encoding = reader.decode(data)
    if text.count("\n") > max_rows + 1:
        raise reader.ImportFileError(too_many)
    return text, encoding


def limits():
    """(bytes, rows): the most one upload through the web page may hold."""
    config = current_app.config
    return config["READINGS_IMPORT_MAX_BYTES"], config["READINGS_IMPORT_MAX_ROWS"]


def row_count(text):
    """The rows of a file after its header (an upper bound: a quoted line break counts twice)."""
    return max(text.count("\n") - (0 if text.endswith("\n") else -1) - 1, 0)


# --- checking the rows ---------------------------------------------------------------------------


@dataclass
class SheetCheck:
    """Every problem of a file (RowError, by spreadsheet row and the header's column name), or
    what it would write: ``check`` (metrics.bulk.BulkCheck) and each written row's number."""

    errors: list = field(default_factory=list)
    check: bulk.BulkCheck | None = None
    rows: list = field(default_factory=list)  # the dicts given to metrics.bulk, in order
    numbers: list = field(default_factory=list)  # the spreadsheet row of each
    skipped: int = 0  # rows with no value

    @property
    def ok(self):
        return not self.errors

    def number(self, index):
        return self.numbers[index]

    def row_name(self, index):
        return f"row {self.numbers[index]}"


def _header(cells, errors):
    """{cell index: column key} and {key: the header as written}; problems added to errors.
    A group column's key is (GROUPS, group id); its header is "Dimension: Group"."""
    columns, labels, where = {}, {}, {}
    groups = None
    if not any(normalise_header(cell) for cell in cells):
        errors.append(RowError(1, None, _('The first row must be the header row (Metric id, Period start, Value, Note…).')))
        return columns, labels
    for index, cell in enumerate(cells):
        key = normalise_header(cell)
        if not key:
            continue
        letter = column_letter(index)
        if key not in BY_KEY and ":" in cell:
            if groups is None:
                groups = _groups_by_header()
            if key in groups:
                key = (bulk.GROUPS, groups[key])
            else:
                errors.append(RowError(1, cell.strip()[:60], _(
                    'Unknown group column (column %(letter)s): the group columns are named “Dimension: Group”, '
                    'as the Dimensions page lists them.', letter=letter)))
                continue
        if isinstance(key, tuple):
            if key in labels:
                errors.append(RowError(1, cell.strip(), _('This column appears twice (columns %(where)s and %(letter)s); keep one.', where=where[key], letter=letter)))
            else:
                columns[index] = key
                labels[key] = cell.strip()
                where[key] = letter
                labels.setdefault(bulk.GROUPS, _('Group columns'))
        elif key not in BY_KEY:
            errors.append(RowError(1, cell.strip()[:60],
                                   _('Unknown column (column %(letter)s). The columns are those of the downloaded file: ', letter=letter)
                                   + ", ".join(c.label for c in COLUMNS) + "."))
        elif key in labels:
            errors.append(RowError(1, cell.strip(), _('This column appears twice (columns %(where)s and %(letter)s); keep one.', where=where[key], letter=letter)))
        else:
            columns[index] = key
            labels[key] = cell.strip()
            where[key] = letter
    for key in REQUIRED:
        if key not in labels:
            errors.append(RowError(1, BY_KEY[key].label, _('The column %(label)s is missing from the header row.', label=BY_KEY[key].label)))
    return columns, labels


def sheet_rows(text, on_row=None):
    """(header problems, the rows for metrics.bulk, their row numbers, rows skipped, labels).
    ``on_row()`` is called for each row read (the CLI's progress bar)."""
    parsed = reader.parse(text)
    errors = []
    columns, labels = _header(parsed.header, errors)
    rows, numbers, skipped = [], [], 0
    if errors:
        return errors, rows, numbers, skipped, labels
    for number, cells in parsed.rows:
        if on_row is not None:
            on_row()
        values = {key: (cells[index].strip() if index < len(cells) else "") for index, key in columns.items()}
        # Group cells: blank or "—" (the metric does not report by that dimension) are left out.
        groups = {key[1]: text for key, text in values.items() if isinstance(key, tuple) and text and text != "—"}
        values = {key: text for key, text in values.items() if not isinstance(key, tuple)}
        extra = [cell for index, cell in enumerate(cells) if index not in columns and cell.strip()]
        if not any(values.values()) and not extra and not groups:
            continue  # a blank row
        if extra:
            errors.append(RowError(number, None, _('This row has a value in a column with no name in the header row.')))
            continue
        if not values.get("value"):
            if values.get("note"):
                errors.append(RowError(number, labels.get("value", "Value"), NOTE_WITHOUT_VALUE))
            else:
                skipped += 1
            continue
        rows.append({
            bulk.METRIC_ID: values.get("metric_id", ""), bulk.PERIOD_START: values.get("period_start", ""),
            bulk.VALUE: values.get("value", ""), bulk.NOTE: values.get("note", ""),
            bulk.VERSION: values.get("version", ""),
            **({bulk.GROUPS: groups} if groups else {}),
        })
        numbers.append(number)
    if parsed.problem:
        errors.append(RowError(parsed.problem[0], None, parsed.problem[1]))
    return errors, rows, numbers, skipped, labels


def check_sheet(text, actor, now, on_row=None):
    """Check a staged readings file: a SheetCheck with every problem, or what it would write."""
    errors, rows, numbers, skipped, labels = sheet_rows(text, on_row)
    result = SheetCheck(errors=errors, rows=rows, numbers=numbers, skipped=skipped)
    if errors and not rows:
        return result
    if not rows and not errors:
        result.errors.append(RowError(None, None, _('No row has a value: fill in the Value column, then upload the file again.')))
        return result
    result.check = bulk.check_readings(rows, actor, now, result.row_name)
    result.errors.extend(problem_rows(result.check.problems, numbers, labels))
    result.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return result


def problem_rows(problems, numbers, labels):
    """metrics.bulk problems as RowErrors: the spreadsheet row, the column as the header names it."""
    return [
        RowError(numbers[p.index], labels.get(p.column, BY_KEY[p.column].label if p.column in BY_KEY else p.column)
                 if p.column else None, p.message)
        for p in problems
    ]


PREVIEW_ROWS_SHOWN = 500


@dataclass
class Preview:
    """What a checked file will write, for the preview page (the first rows of it listed)."""

    rows: list  # PreviewRow, in file order, at most PREVIEW_ROWS_SHOWN
    recorded: int
    corrected: int
    unchanged: int
    skipped: int

    @property
    def total(self):
        return self.recorded + self.corrected

    @property
    def more(self):
        return max(self.total - len(self.rows), 0)


@dataclass
class PreviewRow:
    number: int
    reference: str
    metric_name: str
    unit: str
    period: str
    value: Decimal
    note: str
    status: str
    previous: Decimal | None  # the value a correction replaces


def preview(checked):
    """The Preview of a SheetCheck without problems (each row judged as it will be stored)."""
    check = checked.check
    explicit = {}
    rows = []
    for row in sorted(check.new + check.corrections, key=lambda r: r.index)[:PREVIEW_ROWS_SHOWN]:
        metric = row.metric
        if metric.id not in explicit:
            explicit[metric.id] = status.explicit_targets(metric)
        judged = status.evaluate(metric, row.period, row.value, explicit[metric.id])[2]
        rows.append(PreviewRow(
            checked.number(row.index), metric.contract.reference, metric.name, metric.unit,
            row.period.label(metric.cadence), row.value, row.note, judged,
            row.reading.value if row.reading is not None else None,
        ))
    return Preview(rows, len(check.new), len(check.corrections), len(check.unchanged), checked.skipped)
