"""Checking a contract import file without writing anything: the plan of what it will create.

``build_plan`` reads a decoded CSV and checks every row with the same forms as the web pages
(ContractForm, MetricForm and the metric rules behind it), against the database as it is
(references, vendors, priorities and users loaded once, not per row), and returns either every
error, by row and column, or what the import will create. ``imports.services`` writes a plan;
``imported_contracts`` finds, from its file, what a committed upload created.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from contracts_app.digits import FOREIGN_DIGITS_MESSAGE, has_foreign_digits
from contracts_app.auth.models import CONTRACT_MANAGER, PROCUREMENT_OFFICER, User
from contracts_app.contracts import services as contract_services
from contracts_app.contracts.forms import ContractForm
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.formatting import with_article
from contracts_app.forms_common import PlainDateField
from contracts_app.imports import reader
from contracts_app.imports.columns import (
    BY_NAME, CONTRACT_COLUMNS, METRIC_COLUMNS, NAMES, NO, REQUIRED_IN_HEADER, YES, choice_code, column_letter,
    normalise_header,
)
from contracts_app.metrics import rules
from contracts_app.metrics import services as metric_services
from contracts_app.metrics.forms import MetricForm
from contracts_app.metrics.models import CADENCES
from contracts_app.metrics.status import today_for
from contracts_app.priorities.models import Priority

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATE_MESSAGE = PlainDateField.parse_error
_CURRENCY_SIGNS = "$€£"

# Form field -> CSV column, for putting a form's error on the column the value came from.
CONTRACT_FIELD_COLUMNS = {
    "reference": "reference", "title": "title", "kind": "kind", "department": "department",
    "vendor_id": "vendor", "new_vendor_name": "vendor", "value": "value", "currency": "currency",
    "start_date": "start_date", "end_date": "end_date", "status": "status", "payment_structure": "payment_structure",
    "payment_terms": "payment_terms", "problem": "problem", "outcomes": "outcomes", "priority_ids": "priorities",
    "procurement_officer_id": "procurement_officer", "contract_manager_id": "contract_manager", "is_public": "public",
    "awarded_on": "awarded_on", "signed_on": "signed_on",
}
METRIC_FIELD_COLUMNS = {name: "metric_" + name for name in metric_services.METRIC_FIELDS}
_TEXT_FIELDS = ("reference", "title", "department", "payment_terms", "problem", "outcomes")
_POSITION = {name: index for index, name in enumerate(NAMES)}


@dataclass
class RowError:
    """One problem: the spreadsheet row (header = 1; None for the file as a whole), the column
    (None for the row as a whole) and what to do about it."""

    row: int | None
    column: str | None
    message: str

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def sort_key(self):
        return (self.row or 0, _POSITION.get(self.column, len(_POSITION)), self.column or "")


@dataclass
class MetricPlan:
    row: int
    name: str
    values: dict  # as metrics.services.create_metric takes them
    targets: dict  # period start -> value, for set_targets (empty: all linear)


@dataclass
class ContractPlan:
    row: int  # the contract's first row
    reference: str
    data: dict  # as contracts.services.create_contract takes it
    vendor_name: str
    vendor_is_new: bool
    priority_names: list
    manager_name: str | None
    metrics: list = field(default_factory=list)


@dataclass
class ImportPlan:
    contracts: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    @property
    def metrics_count(self):
        return sum(len(c.metrics) for c in self.contracts)

    @property
    def new_vendors(self):
        names = {}
        for contract in self.contracts:
            if contract.vendor_is_new:
                names.setdefault(contract.vendor_name.lower(), contract.vendor_name)
        return sorted(names.values(), key=str.lower)


class _Lookups:
    """What the rows are checked against, each loaded in one query."""

    def __init__(self):
        self.references = set(db.session.scalars(select(func.lower(Contract.reference))))
        self.vendors = {name.lower(): (vendor_id, name) for vendor_id, name in db.session.execute(select(Vendor.id, Vendor.name))}
        self.priorities = {
            name.lower(): (priority_id, name) for priority_id, name in db.session.execute(select(Priority.id, Priority.name))
        }
        self.users = {user.email.lower(): user for user in db.session.scalars(select(User))}


def build_plan(text, actor):
    """Check the whole of a decoded CSV; an ImportPlan with every error, or with what to create."""
    parsed = reader.parse(text)
    plan = ImportPlan()
    columns, labels = _read_header(parsed.header, plan.errors)
    if plan.errors:
        # With columns missing or unknown the rows cannot be read reliably: fix the header first.
        return plan
    lookups = _Lookups()
    groups = {}
    seen_rows = 0
    for number, cells in parsed.rows:
        if not any(cell.strip() for cell in cells):
            continue
        seen_rows += 1
        values = _row_values(number, cells, columns, plan.errors)
        _check_row(number, values, groups, actor, lookups, plan.errors)
    if parsed.problem:
        plan.errors.append(RowError(parsed.problem[0], None, parsed.problem[1]))
    elif not seen_rows:
        plan.errors.append(RowError(None, None, "The file has a header row but no rows to import."))
    limit = current_app.config["METRICS_WARN_ABOVE"]
    for group in groups.values():
        if group.plan is not None:
            plan.contracts.append(group.plan)
            if len(group.plan.metrics) > limit:
                plan.warnings.append(
                    f"Contract {group.reference} will have {len(group.plan.metrics)} metrics. The practice is "
                    "three to five key metrics: consider whether every one of them is key."
                )
    plan.errors.sort(key=RowError.sort_key)
    for error in plan.errors:
        # Name the column as the file's header does ("Start date" rather than start_date).
        if error.column in labels:
            error.column = labels[error.column]
    if plan.errors:
        plan.contracts = []
    return plan


def _read_header(header, errors):
    """{cell index: column name} and {column name: the header as written}; header errors added."""
    columns, labels, where = {}, {}, {}
    if len(header) == 1 and "\t" in header[0]:
        errors.append(RowError(1, None, "The columns are separated by tabs. Save the spreadsheet as CSV (comma-separated)."))
        return columns, labels
    if not any(normalise_header(cell) for cell in header):
        errors.append(RowError(1, None, "The first row must be the header row, with the column names of the template."))
        return columns, labels
    for index, cell in enumerate(header):
        name = normalise_header(cell)
        if not name:
            continue
        letter = column_letter(index)
        if name in BY_NAME:
            if name in columns.values():
                errors.append(RowError(1, cell.strip(), f"The column {name} appears twice (columns {where[name]} and {letter}); keep one."))
                continue
            columns[index] = name
            labels[name] = cell.strip()
            where[name] = letter
        else:
            close = _closest_column(name)
            hint = f" Did you mean {close}?" if close else ""
            errors.append(RowError(
                1, cell.strip()[:60],
                f"Unknown column (column {letter}).{hint} The columns are listed on the import page; "
                "remove or rename any other.",
            ))
    for name in REQUIRED_IN_HEADER:
        if name not in labels:
            errors.append(RowError(1, name, f"The required column {name} is missing from the header row."))
    return columns, labels


def _closest_column(name):
    """The column a misspelt or shortened header most likely means, if any is close."""
    def score(candidate):
        # Also against the candidate's start, so that "metric_target" finds metric_target_value.
        return max(SequenceMatcher(None, name, text).ratio() for text in (candidate, candidate[: len(name) + 1]))

    best = max(NAMES, key=score)
    return best if score(best) >= 0.75 else None


def _row_values(number, cells, columns, errors):
    values = {}
    for index, cell in enumerate(cells):
        name = columns.get(index)
        if name is None:
            if cell.strip():
                errors.append(RowError(
                    number, f"column {column_letter(index)}",
                    "This cell has a value but its column has no name in the header row; remove the value or name the column.",
                ))
            continue
        values[name] = cell.strip()
    return values


@dataclass
class _Group:
    """The rows of one contract: its first row's values, checked once, and its metrics."""

    row: int
    reference: str
    values: dict
    plan: ContractPlan | None
    term: tuple | None
    metric_names: dict = field(default_factory=dict)


def _check_row(number, values, groups, actor, lookups, errors):
    reference = values.get("reference", "")
    if not reference:
        errors.append(RowError(number, "reference", "Give the contract's reference: every row needs one."))
        return
    group = groups.get(reference.lower())
    if group is None:
        problems = {}
        plan, term = _contract_plan(number, values, actor, lookups, problems)
        errors.extend(RowError(number, column, message) for column, message in problems.items())
        group = groups[reference.lower()] = _Group(number, reference, values, plan, term)
    else:
        _compare(number, values, group, errors)
    if any(values.get(name) for name in METRIC_COLUMNS):
        problems = {}
        metric = _metric_plan(number, values, group.term, problems)
        errors.extend(RowError(number, column, message) for column, message in problems.items())
        if metric is not None:
            key = metric.name.lower()
            if key in group.metric_names:
                errors.append(RowError(
                    number, "metric_name",
                    f"Contract {group.reference} already has a metric named {metric.name} in row {group.metric_names[key]}.",
                ))
            else:
                group.metric_names[key] = number
                if group.plan is not None:
                    group.plan.metrics.append(metric)


def _required_blank(values, names, problems, message):
    for name in names:
        if not values.get(name):
            problems[name] = message


def _iso_date(values, name, problems):
    text = values.get(name, "")
    if text and not _ISO_DATE.match(text):
        problems[name] = _DATE_MESSAGE
        return ""
    return text


def _coded(values, name, problems, default=None):
    """The code for a choice column given as code or name; the default when blank."""
    text = values.get(name, "")
    if not text:
        return default or ""
    code = choice_code(text, BY_NAME[name].choices)
    if code is None:
        problems[name] = f"Use one of: {', '.join(BY_NAME[name].choices)} (or their names, such as {next(iter(BY_NAME[name].choices.values()))})."
        return ""
    return code


def _yes_no(values, name, problems, default):
    text = values.get(name, "").lower()
    if not text:
        return default
    if text in YES:
        return True
    if text in NO:
        return False
    problems[name] = "Use yes or no."
    return default


def _user(values, name, role, label, lookups, problems):
    """The active user of ``role`` whose email is in the cell (None if blank or not one)."""
    email = values.get(name, "")
    if not email:
        return None
    user = lookups.users.get(email.lower())
    if user is None:
        problems[name] = f"No user has the email {email}."
    elif user.role != role:
        problems[name] = f"{email} is {with_article(user.role_label.lower())}, not {with_article(label)}."
    elif not user.active:
        problems[name] = f"{email} is deactivated; name an active {label}."
    else:
        return user
    return None


def _priorities(text, lookups, problems):
    """[(id, name)] for a ;-separated list of priority names (a name holding ; also matches whole)."""
    whole = lookups.priorities.get(" ".join(text.split()).lower())
    if whole:
        return [whole]
    found, unknown = {}, []
    for item in text.split(";"):
        item = " ".join(item.split())
        if not item:
            continue
        match = lookups.priorities.get(item.lower())
        if match:
            found[match[0]] = match
        else:
            unknown.append(item)
    if unknown:
        problems["priorities"] = (
            f"No priority is named {'; '.join(unknown)}. Use the names listed on the import page, separated by ;."
        )
    elif not found:
        problems["priorities"] = "Name at least one priority this contract serves."
    return list(found.values())


def _contract_plan(number, values, actor, lookups, problems):
    """(ContractPlan or None, (start, end) or None): the first row of a contract, checked with
    the contract form and against the database."""
    _required_blank(values, [c for c in CONTRACT_COLUMNS if BY_NAME[c].required], problems, "Required: this cell is empty.")
    formdata = MultiDict({name: values.get(name, "") for name in _TEXT_FIELDS})
    formdata["kind"] = _coded(values, "kind", problems, "contract")
    formdata["status"] = _coded(values, "status", problems, "active")
    formdata["payment_structure"] = _coded(values, "payment_structure", problems)
    formdata["value"] = values.get("value", "").lstrip(_CURRENCY_SIGNS).strip()
    formdata["currency"] = values.get("currency") or current_app.config["DEFAULT_CURRENCY"]
    formdata["start_date"] = _iso_date(values, "start_date", problems)
    formdata["end_date"] = _iso_date(values, "end_date", problems)
    formdata["awarded_on"] = _iso_date(values, "awarded_on", problems)
    formdata["signed_on"] = _iso_date(values, "signed_on", problems)
    if _yes_no(values, "public", problems, True):
        formdata["is_public"] = "y"

    vendor_name = " ".join(values.get("vendor", "").split())
    vendor = lookups.vendors.get(vendor_name.lower())
    if vendor:
        formdata["vendor_id"] = str(vendor[0])
    else:
        formdata["new_vendor_name"] = vendor_name
    priorities = _priorities(values.get("priorities", ""), lookups, problems) if values.get("priorities") else []
    formdata.setlist("priority_ids", [str(pid) for pid, _ in priorities])
    manager = _user(values, "contract_manager", CONTRACT_MANAGER, "contract manager", lookups, problems)
    officer = _user(values, "procurement_officer", PROCUREMENT_OFFICER, "procurement officer", lookups, problems)
    if not values.get("procurement_officer") and actor is not None and actor.role == PROCUREMENT_OFFICER:
        officer = actor
    manager_id = manager.id if manager else None
    officer_id = officer.id if officer else None
    for name, user_id in (("contract_manager_id", manager_id), ("procurement_officer_id", officer_id)):
        if user_id is not None:
            formdata[name] = str(user_id)

    form = ContractForm(formdata=formdata, meta={"csrf": False})
    form.vendor_id.choices = [("", "")] + ([(vendor[0], vendor[1])] if vendor else [])
    form.priority_ids.choices = priorities
    form.procurement_officer_id.choices = [("", "")] + ([(officer_id, "")] if officer_id else [])
    form.contract_manager_id.choices = [("", "")] + ([(manager_id, "")] if manager_id else [])
    form.validate()
    for field_name, messages in form.errors.items():
        column = CONTRACT_FIELD_COLUMNS.get(field_name)
        if column and column not in problems and messages:
            problems[column] = _plain_message(messages[0])
    reference = values.get("reference", "")
    if "reference" not in problems and reference.lower() in lookups.references:
        problems["reference"] = f"Reference {reference} is already used by another contract."
    if not form.errors:
        try:
            checked = {name: form[name].data for name in contract_services.EDITABLE_FIELDS}
            contract_services.check_values(checked)
            contract_services.check_dates_not_future(checked, today_for(utcnow()))
        except contract_services.ContractError as error:
            problems.setdefault(CONTRACT_FIELD_COLUMNS.get(error.field, error.field), str(error))

    term = None
    if not ({"start_date", "end_date"} & set(problems)) and form.start_date.data and form.end_date.data:
        term = (form.start_date.data, form.end_date.data)
    if problems:
        return None, term
    data = {name: form[name].data for name in contract_services.EDITABLE_FIELDS}
    data.update(vendor_id=vendor[0] if vendor else None, new_vendor_name="" if vendor else vendor_name,
                priority_ids=[pid for pid, _ in priorities])
    plan = ContractPlan(
        row=number, reference=reference, data=data, vendor_name=vendor[1] if vendor else vendor_name,
        vendor_is_new=vendor is None, priority_names=[name for _, name in priorities],
        manager_name=manager.name if manager else None,
    )
    return plan, term


def _plain_message(message):
    """WTForms' few generic messages, said for a spreadsheet cell."""
    return {
        "Not a valid date value.": _DATE_MESSAGE,
        "This field is required.": "Required: this cell is empty.",
        "Not a valid choice.": "Not one of the allowed values.",
    }.get(message, message)


def _canonical(name, text):
    """A contract cell as compared between the rows of one contract."""
    text = " ".join(text.split())
    column = BY_NAME[name]
    if column.choices:
        return choice_code(text, column.choices) or text.lower()
    if name == "priorities":
        return frozenset(item.strip().lower() for item in text.split(";") if item.strip())
    if name == "value":
        try:
            return Decimal(text.lstrip(_CURRENCY_SIGNS).strip().replace(",", ""))
        except InvalidOperation:
            return text
    if name == "public":
        return text.lower() in YES or (text.lower() not in NO and text.lower())
    if name in ("vendor", "currency", "contract_manager", "procurement_officer"):
        return text.lower()
    return text


def _compare(number, values, group, errors):
    """A later row of a contract: its contract cells must be blank or agree with the first row."""
    if values["reference"] != group.reference:
        errors.append(RowError(
            number, "reference",
            f"Written {values['reference']} here but {group.reference} in row {group.row}: write a contract's "
            "reference the same way in every row.",
        ))
    for name in CONTRACT_COLUMNS:
        text = values.get(name, "")
        if name == "reference" or not text:
            continue
        first = group.values.get(name, "")
        if _canonical(name, text) != _canonical(name, first):
            there = f"“{_short(first)}” there" if first else "blank there"
            errors.append(RowError(
                number, name,
                f"Differs from row {group.row}, the first row of contract {group.reference} ({there}). The "
                "contract columns must agree in every row of a contract; later rows may leave them blank.",
            ))


def _short(text, limit=40):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_METRIC_DEFAULTS = {}


def _metric_defaults():
    """Blank cells take the metric form's defaults (due days, thresholds, tolerance, lagging)."""
    if not _METRIC_DEFAULTS:
        form = MetricForm(formdata=None, meta={"csrf": False})
        for name in ("due_days", "on_track_pct", "at_risk_pct", "tolerance_pct", "indicator_type"):
            default = getattr(form, name).default
            _METRIC_DEFAULTS[name] = format(default, "f") if isinstance(default, Decimal) else str(default)
    return _METRIC_DEFAULTS


def _metric_plan(number, values, term, problems):
    """A row's metric, checked with the metric form and its rules; None if it has problems."""
    _required_blank(values, [c for c in METRIC_COLUMNS if BY_NAME[c].required], problems,
                    "Required in a row with a metric: this cell is empty.")
    defaults = _metric_defaults()
    formdata = MultiDict()
    for name in ("name", "definition", "unit", "data_source"):
        formdata[name] = values.get("metric_" + name, "")
    for name in ("baseline_value", "target_value", "range_low", "range_high", "tolerance_pct", "due_days",
                 "on_track_pct", "at_risk_pct"):
        text = values.get("metric_" + name, "")
        formdata[name] = text.rstrip("%").strip() if text else defaults.get(name, "")
    formdata["baseline_date"] = _iso_date(values, "metric_baseline_date", problems)
    for name, default in (("direction", None), ("cadence", None), ("indicator_type", defaults["indicator_type"])):
        text = values.get("metric_" + name, "")
        # Unknown words go to the form as they are: the metric rules name the allowed values.
        formdata[name] = (choice_code(text, BY_NAME["metric_" + name].choices) or text) if text else (default or "")
    if _yes_no(values, "metric_payment_linked", problems, False):
        formdata["payment_linked"] = "y"
    if _yes_no(values, "metric_public", problems, True):
        formdata["is_public"] = "y"

    form = MetricForm(formdata=formdata, meta={"csrf": False})
    form.validate()
    for field_name, messages in form.errors.items():
        column = METRIC_FIELD_COLUMNS.get(field_name)
        if column and column not in problems and messages:
            problems[column] = _plain_message(messages[0])
    starts = None
    if term is not None and form.cadence.data in CADENCES:
        try:
            starts = [p.start for p in rules.periods(term[0], term[1], form.cadence.data)]
        except (OverflowError, ValueError):
            # A term ending near the year 9999: its last period would end past the calendar.
            problems["metric_cadence"] = "The contract's term runs too close to the year 9999 to be divided into reporting periods."
    targets = {}
    if values.get("metric_period_targets") and "metric_cadence" not in problems and "metric_direction" not in problems:
        targets = _period_targets(values["metric_period_targets"], form.direction.data, form.cadence.data, starts, problems)
    if problems:
        return None
    return MetricPlan(row=number, name=form.name.data.strip(), values=form.values(), targets=targets)


def _period_targets(text, direction, cadence, starts, problems):
    """{period start: value} from "YYYY-MM-DD=value; ...", checked as set_targets checks them."""
    column = "metric_period_targets"
    if direction == "range":
        problems[column] = "Range metrics are judged against their range; per-period targets are not used."
        return {}
    targets = {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        day_text, sep, amount = (part.strip() for part in item.partition("="))
        if not sep or not _ISO_DATE.match(day_text):
            problems[column] = f"Write each target as YYYY-MM-DD=value, like 2026-01-01=18 (not “{_short(item)}”)."
            return {}
        if has_foreign_digits(amount):
            problems[column] = f"The target for {day_text}: {FOREIGN_DIGITS_MESSAGE}"
            return {}
        try:
            day = date.fromisoformat(day_text)
            value = Decimal(amount.rstrip("%").strip().replace(",", ""))
        except (ValueError, InvalidOperation):
            problems[column] = f"Write each target as YYYY-MM-DD=value, like 2026-01-01=18 (not “{_short(item)}”)."
            return {}
        if not value.is_finite():
            problems[column] = f"The target for {day_text} must be a number."
        elif value < 0:
            problems[column] = f"The target for {day_text}: {metric_services.NEGATIVE}"
        elif value >= metric_services.MAX_VALUE:
            problems[column] = f"The target for {day_text} is too large to store."
        elif value != value.quantize(Decimal("0.0001")):
            problems[column] = f"The target for {day_text} must have at most 4 decimal places."
        elif day in targets:
            problems[column] = f"{day_text} has two targets."
        if column in problems:
            return {}
        targets[day] = value + 0
    if starts is not None:
        outside = sorted(day for day in targets if day not in set(starts))
        if outside:
            first = ", ".join(d.isoformat() for d in starts[:3])
            problems[column] = (
                f"{outside[0].isoformat()} does not start a reporting period of this contract "
                f"(its {cadence} periods start on {first}{', …' if len(starts) > 3 else ''})."
            )
            return {}
    return targets


def imported_contracts(upload):
    """The contracts a committed upload created, found by the references in its file."""
    references = []
    parsed = reader.parse(upload.content)
    columns, _ = _read_header(parsed.header, [])
    index = next((i for i, name in columns.items() if name == "reference"), None)
    if index is None:
        return []
    for _, cells in parsed.rows:
        if index < len(cells) and cells[index].strip():
            references.append(cells[index].strip().lower())
    if not references:
        return []
    found = db.session.scalars(
        select(Contract).where(func.lower(Contract.reference).in_(set(references))).order_by(Contract.reference)
    ).all()
    return found

