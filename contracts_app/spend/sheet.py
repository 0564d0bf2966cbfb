"""The payments spreadsheet: payments made, one a row, checked all together before any is written.

The file is read like the readings spreadsheet (``imports.readings.read_upload``: an .xlsx
workbook's first sheet, or CSV text in UTF-8 or Windows-1252), staged as an ImportUpload of kind
"payments" between its preview and its commit, and claimed once when committed
(``imports.services``). ``check_sheet`` returns every problem by the row people see (the header
is row 1) and the column as their header names it, with the same rules and messages as the
payment form (``spend.services.payment_problems``); ``write_payments`` writes a checked file in
the caller's transaction, every row or none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from contracts_app.audit.services import record_many, snapshot_values
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.i18n import lazy_gettext as _l
from contracts_app.imports import reader
from contracts_app.imports.columns import column_letter, normalise_header
from contracts_app.imports.plan import RowError
from contracts_app.metrics.status import today_for
from contracts_app.permissions import can_record_payments
from contracts_app.spend import services
from contracts_app.spend.forms import PaymentForm
from contracts_app.spend.models import Payment


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    help: str


COLUMNS = (
    Column("contract_reference", "Contract reference", True, _l("The contract's reference, as on its page (HS-2025-014).")),
    Column("paid_on", "Paid on", True, _l("The date of the payment (an ISO date, 2026-03-15).")),
    Column("amount", "Amount", True, _l("The amount paid, in the contract's currency (120000 or 120,000.00).")),
    Column("invoice_reference", "Invoice reference", True, _l("The vendor's invoice number: once per contract.")),
    Column("period_start", "Period start", False, _l("Optional: the first day of the billing period.")),
    Column("period_end", "Period end", False, _l("Optional: its last day (give both, or neither).")),
    Column("note", "Note", False, _l("Optional.")),
)
BY_KEY = {column.key: column for column in COLUMNS}
_FIELDS = ("paid_on", "amount", "invoice_reference", "period_start", "period_end", "note")
_CURRENCY_SIGNS = "$€£"


@dataclass
class PaymentRow:
    number: int
    contract: Contract
    values: dict


@dataclass
class SheetCheck:
    errors: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # PaymentRow, in file order

    @property
    def ok(self):
        return not self.errors

    @property
    def total(self):
        return sum((row.values["amount"] for row in self.rows), Decimal(0))

    def by_contract(self):
        """[(contract, count, total)] of what the file records, by contract reference."""
        groups = {}
        for row in self.rows:
            count, total = groups.get(row.contract.id, (0, Decimal(0)))
            groups[row.contract.id] = (count + 1, total + row.values["amount"])
        contracts = {row.contract.id: row.contract for row in self.rows}
        return sorted(((contracts[i], n, t) for i, (n, t) in groups.items()), key=lambda g: g[0].reference)


def csv_template():
    """An empty payments sheet (the header row), with a byte-order mark for Excel."""
    return "\ufeff" + ",".join(column.label for column in COLUMNS) + "\r\n"


def _header(cells, errors):
    columns, labels, where = {}, {}, {}
    if not any(normalise_header(cell) for cell in cells):
        errors.append(RowError(1, None, "The first row must be the header row: "
                               + ", ".join(c.label for c in COLUMNS) + "."))
        return columns, labels
    for index, cell in enumerate(cells):
        key = normalise_header(cell)
        if not key:
            continue
        letter = column_letter(index)
        if key not in BY_KEY:
            errors.append(RowError(1, cell.strip()[:60], f"Unknown column (column {letter}). The columns are: "
                                   + ", ".join(c.label for c in COLUMNS) + "."))
        elif key in labels:
            errors.append(RowError(1, cell.strip(), f"This column appears twice (columns {where[key]} and {letter}); keep one."))
        else:
            columns[index], labels[key], where[key] = key, cell.strip(), letter
    for column in COLUMNS:
        if column.required and column.key not in labels:
            errors.append(RowError(1, column.label, f"The column {column.label} is missing from the header row."))
    return columns, labels


class _Lookups:
    """What the rows are checked against, each read once: the contracts named in the file, and
    the invoice references already recorded on them."""

    def __init__(self, references):
        lowered = sorted({ref.lower() for ref in references if ref})
        self.contracts = {}
        self.invoices = set()
        if not lowered:
            return
        for contract in db.session.scalars(select(Contract).where(func.lower(Contract.reference).in_(lowered))):
            self.contracts[contract.reference.lower()] = contract
        ids = [c.id for c in self.contracts.values()]
        if ids:
            self.invoices = {
                (contract_id, reference.lower()) for contract_id, reference in db.session.execute(
                    select(Payment.contract_id, Payment.invoice_reference).where(Payment.contract_id.in_(ids)))
            }


def check_sheet(text, actor, now):
    """Every problem of a payments file (RowError), or the rows it would record."""
    parsed = reader.parse(text)
    result = SheetCheck()
    columns, labels = _header(parsed.header, result.errors)
    if result.errors:
        return result
    today = today_for(now)
    raw = []
    for number, cells in parsed.rows:
        values = {key: (cells[index].strip() if index < len(cells) else "") for index, key in columns.items()}
        extra = [cell for index, cell in enumerate(cells) if index not in columns and cell.strip()]
        if not any(values.values()) and not extra:
            continue
        if extra:
            result.errors.append(RowError(number, None, "This row has a value in a column with no name in the header row."))
            continue
        raw.append((number, values))
    if parsed.problem:
        result.errors.append(RowError(parsed.problem[0], None, parsed.problem[1]))
    if not raw and not result.errors:
        result.errors.append(RowError(None, None, "The file has a header row but no payments: add a row per payment."))
    lookups = _Lookups(values.get("contract_reference", "") for _, values in raw)
    seen = {}
    for number, values in raw:
        problems = {}
        reference = values.get("contract_reference", "")
        contract = lookups.contracts.get(reference.lower()) if reference else None
        if not reference:
            problems["contract_reference"] = "Give the contract's reference: every row needs one."
        elif contract is None:
            problems["contract_reference"] = f"No contract has the reference {reference}."
        elif not can_record_payments(actor, contract):
            problems["contract_reference"] = f"You may not record payments on {contract.reference}."
        elif services.contract_problem(contract):
            problems["contract_reference"] = services.contract_problem(contract)
        form = PaymentForm(formdata=MultiDict({
            name: values.get(name, "").lstrip(_CURRENCY_SIGNS).strip() if name == "amount" else values.get(name, "")
            for name in _FIELDS
        }), meta={"csrf": False})
        form.validate()
        for name, messages in form.errors.items():
            if messages:
                problems.setdefault(name, _plain(messages[0]))
        parsed_values = {name: form[name].data for name in _FIELDS}
        parsed_values["invoice_reference"] = (parsed_values["invoice_reference"] or "").strip()
        parsed_values["note"] = (parsed_values["note"] or "").strip()
        # The form's messages first (a cell that does not parse); then the payment rules on the rest.
        for name, message in services.payment_problems(parsed_values, today).items():
            problems.setdefault(name, message)
        invoice = parsed_values["invoice_reference"]
        if contract is not None and invoice and "invoice_reference" not in problems:
            key = (contract.id, invoice.lower())
            if key in lookups.invoices:
                problems["invoice_reference"] = (f"Invoice {invoice} is already recorded on {contract.reference}; "
                                                 "correct that payment on the contract page instead.")
            elif key in seen:
                problems["invoice_reference"] = f"Invoice {invoice} of {contract.reference} is also in row {seen[key]}."
            else:
                seen[key] = number
        for name, message in problems.items():
            result.errors.append(RowError(number, labels.get(name, BY_KEY[name].label), message))
        if not problems:
            result.rows.append(PaymentRow(number, contract, parsed_values))
    if result.errors:
        result.rows = []
    return result


def _plain(message):
    return {"This field is required.": "Required: this cell is empty."}.get(str(message), str(message))


def write_payments(checked, actor, now):
    """Add every checked row's Payment and its audit event to the current transaction (the
    caller commits, or rolls back on any problem)."""
    payments = [services.new_payment(row.contract, dict(row.values), actor, now) for row in checked.rows]
    db.session.add_all(payments)
    db.session.flush()
    record_many(actor, [
        {"action": "create", "entity_type": "payment", "entity_id": payment.id, "contract_id": row.contract.id,
         "summary": services.payment_summary("Recorded", row.contract, payment)[:255], "before": None,
         "after": snapshot_values(Payment, {c.key: getattr(payment, c.key) for c in Payment.__table__.columns})}
        for payment, row in zip(payments, checked.rows)
    ], now)
    return payments
