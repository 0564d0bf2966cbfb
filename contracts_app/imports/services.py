"""CSV import of contracts and their metrics: check a whole file, then write it in one transaction.

``imports.plan.build_plan`` checks the file (every error, by row and column, or what the import
will create). ``commit_upload`` (the web flow, from a staged upload) and ``import_text`` (the CLI)
check again and then write through the contract and metric services, all in one transaction: one
bad row and nothing is written.
"""
from __future__ import annotations

from flask_babel import gettext as _
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, OperationalError

from contracts_app.audit.services import record
from contracts_app.contracts import services as contract_services
from contracts_app.db_types import max_length, utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import local_datetime, plural
from contracts_app.imports.models import CONTRACTS, OCDS, PAYMENTS, READINGS, ImportUpload
from contracts_app.imports.plan import CONTRACT_FIELD_COLUMNS, METRIC_FIELD_COLUMNS, RowError, build_plan
from contracts_app.metrics import services as metric_services

# A staged upload nobody imported is deleted when its uploader stages another one this much later.
STALE_AFTER = timedelta(days=1)


class ImportRefused(ServiceError):
    """A staged upload that cannot be imported now (someone else's, or imported already)."""


@dataclass
class ImportResult:
    """What an import did: ``errors`` (nothing written) or the contracts and metrics created."""

    errors: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    metrics_created: int = 0
    vendors_created: int = 0
    upload: ImportUpload | None = None

    @property
    def ok(self):
        return not self.errors


# --- writing ---------------------------------------------------------------------------------


class _WriteFailed(Exception):
    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _write(plan, actor, now):
    """Create every planned contract and metric through the services, without committing.

    Vendors new to the city are created by the first contract that names them; later contracts
    of the file get that vendor by id (matching case-insensitively the same way on every database).
    """
    created_vendors = {}
    contracts, metrics = [], 0
    for item in plan.contracts:
        data = dict(item.data)
        key = item.vendor_name.lower()
        if item.vendor_is_new and key in created_vendors:
            data.update(vendor_id=created_vendors[key], new_vendor_name="")
        try:
            contract = contract_services.create_contract(data, actor, now=now, commit=False)
        except contract_services.ContractError as error:
            column = CONTRACT_FIELD_COLUMNS.get(error.field) if isinstance(error.field, str) else None
            raise _WriteFailed(RowError(item.row, column, str(error)))
        if item.vendor_is_new:
            created_vendors[key] = contract.vendor_id
        contracts.append(contract)
        for metric_plan in item.metrics:
            try:
                metric, _ = metric_services.create_metric(contract, actor, metric_plan.values, now=now, commit=False)
                if metric_plan.targets:
                    metric_services.set_targets(metric, actor, metric_plan.targets, now=now, commit=False)
            except metric_services.MetricError as error:
                column = METRIC_FIELD_COLUMNS.get(error.field) if isinstance(error.field, str) else "metric_period_targets"
                raise _WriteFailed(RowError(metric_plan.row, column, str(error)))
            metrics += 1
    return contracts, metrics, len(created_vendors)


def _write_all(text, filename, actor, now, upload):
    """Check ``text`` and write it, in the caller's transaction; rolls back on any problem.

    Returns an ImportResult; with errors, nothing was written (and the session was rolled back).
    """
    plan = build_plan(text, actor)
    if not plan.ok:
        db.session.rollback()
        return ImportResult(errors=plan.errors)
    try:
        contracts, metrics, vendors = _write(plan, actor, now)
        upload.committed_at = now
        upload.contracts_created = len(contracts)
        upload.metrics_created = metrics
        db.session.add(upload)
        record(
            actor, "import", upload,
            after={"filename": filename, "contracts": [c.reference for c in contracts], "metrics": metrics},
            summary=f"Imported {counts_text(len(contracts), metrics, vendors)} from {filename or 'a CSV file'}",
        )
        db.session.commit()
    except _WriteFailed as failure:
        db.session.rollback()
        return ImportResult(errors=[failure.error])
    except IntegrityError:
        # Someone saved a clashing reference or vendor between the check and the write; the
        # unique constraints refused ours. Check again to say where.
        db.session.rollback()
        errors = build_plan(text, actor).errors or [
            RowError(None, None, "A contract or vendor in this file was saved by someone else meanwhile. Nothing was "
                                 "imported; try again.")
        ]
        return ImportResult(errors=errors)
    return ImportResult(contracts=contracts, metrics_created=metrics, vendors_created=vendors, upload=upload)


# --- the two ways in -----------------------------------------------------------------------


def stage_upload(text, encoding, filename, actor, now=None, kind=CONTRACTS):
    """Keep a checked upload until its uploader imports it; returns the ImportUpload."""
    now = now or utcnow()
    db.session.execute(
        delete(ImportUpload).where(
            ImportUpload.uploaded_by_id == actor.id,
            ImportUpload.committed_at.is_(None),
            ImportUpload.created_at < now - STALE_AFTER,
        )
    )
    upload = ImportUpload(uploaded_by_id=actor.id, filename=clean_filename(filename), encoding=encoding, content=text,
                          created_at=now, kind=kind)
    db.session.add(upload)
    db.session.commit()
    return upload


@command
def commit_upload(upload, actor, now=None):
    """Import a staged upload, once, by its uploader: all of it or, on any error, nothing.

    The upload is claimed first with a conditional UPDATE (committed_at still empty) in the
    import's own transaction: a second commit at the same time waits for the first one's row
    lock and then finds it imported (or, if the first rolled back, imports it itself). So a file
    is never imported twice, whatever the number of clicks, tabs or web workers.
    """
    now = now or utcnow()
    _claim(upload, actor, now)
    return _write_all(upload.content, upload.filename, actor, now, upload)


def _claim(upload, actor, now):
    """Mark a staged upload imported, in the import's transaction, or raise ImportRefused."""
    if upload.uploaded_by_id != actor.id:
        raise ImportRefused(_('Only the person who uploaded this file can import it.'))
    try:
        claimed = db.session.execute(
            update(ImportUpload)
            .where(ImportUpload.id == upload.id, ImportUpload.committed_at.is_(None))
            .values(committed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    except OperationalError:
        # SQLite: another import held the write lock for longer than the busy timeout.
        db.session.rollback()
        raise ImportRefused(_('Another import is being written just now; try again in a moment.'))
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(upload)
        raise ImportRefused(already_imported_message(upload))


@command
def import_text(text, encoding, filename, actor, now=None):
    """Check and import a decoded CSV in one go (the CLI); the import is recorded as an upload."""
    now = now or utcnow()
    upload = ImportUpload(uploaded_by_id=actor.id, filename=clean_filename(filename), encoding=encoding, content=text,
                          created_at=now)
    return _write_all(text, filename, actor, now, upload)


def counts_text(contracts, metrics, vendors=0):
    """ "2 contracts, 5 metrics and 1 new vendor" (vendors left out when none)."""
    parts = [plural(contracts, "contract"), plural(metrics, "metric")]
    if vendors:
        parts.append(plural(vendors, "new vendor"))
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def already_imported_message(upload):
    if upload.kind == OCDS:
        return (
            f"This file was already imported on {local_datetime(upload.committed_at)} "
            f"({plural(upload.contracts_created or 0, 'contract')} created); it was not imported again."
        )
    if upload.kind == PAYMENTS:
        return (
            f"This file was already imported on {local_datetime(upload.committed_at)} "
            f"({plural(upload.payments_recorded or 0, 'payment')}); it was not imported again."
        )
    if upload.kind == READINGS:
        return (
            f"This file was already imported on {local_datetime(upload.committed_at)} "
            f"({readings_text(upload.readings_recorded or 0, upload.readings_corrected or 0)}); it was not imported again."
        )
    return (
        f"This file was already imported on {local_datetime(upload.committed_at)} "
        f"({counts_text(upload.contracts_created or 0, upload.metrics_created or 0)}); it was not imported again."
    )


def clean_filename(filename):
    """The file's own name (browsers may send a path), printable, at most what its column holds."""
    name = re.split(r"[\\/]", filename or "")[-1]
    return "".join(ch for ch in name if ch.isprintable())[: max_length(ImportUpload.filename)]


# --- readings ----------------------------------------------------------------------------------


@dataclass
class ReadingsImportResult:
    """What a readings import did: ``errors`` (RowError; nothing written), or the counts."""

    errors: list = field(default_factory=list)
    recorded: int = 0
    corrected: int = 0
    unchanged: int = 0
    skipped: int = 0
    upload: ImportUpload | None = None

    @property
    def ok(self):
        return not self.errors


def readings_text(recorded, corrected):
    """ "12 readings (2 corrections)": how many rows a readings import writes, corrections included."""
    text = plural(recorded + corrected, "reading")
    return f"{text} ({plural(corrected, 'correction')})" if corrected else text


def _write_readings(upload, actor, now, on_row=None):
    """Check the upload's rows and write them with ``metrics.bulk`` in the caller's transaction
    (the upload claimed or added), then commit; on any problem roll back and return them."""
    from contracts_app.imports import readings as sheet
    from contracts_app.metrics import bulk

    checked = sheet.check_sheet(upload.content, actor, now, on_row)
    if not checked.ok:
        db.session.rollback()
        return ReadingsImportResult(errors=checked.errors, skipped=checked.skipped)
    try:
        check, ids = bulk.write_readings(checked.rows, actor, now, commit=False, row_name=checked.row_name)
    except bulk.BulkReadingsError as error:
        # Someone recorded or corrected one of the periods between the check and the write.
        return ReadingsImportResult(errors=sheet.problem_rows(error.problems, checked.numbers, {}))
    upload.committed_at = now
    upload.readings_recorded = len(check.new)
    upload.readings_corrected = len(check.corrections)
    db.session.add(upload)
    record(
        actor, "import", upload,
        after={"filename": upload.filename, "kind": READINGS, "recorded": len(check.new),
               "corrected": len(check.corrections), "unchanged": len(check.unchanged)},
        summary=f"Imported {readings_text(len(check.new), len(check.corrections))} from {upload.filename or 'a spreadsheet'}",
    )
    db.session.commit()
    return ReadingsImportResult(recorded=len(check.new), corrected=len(check.corrections),
                                unchanged=len(check.unchanged), skipped=checked.skipped, upload=upload)


@command
def commit_readings_upload(upload, actor, now=None):
    """Record a staged readings upload, once, by its uploader: every row or, on any problem,
    none (claimed as ``commit_upload`` claims, so a second commit is refused)."""
    now = now or utcnow()
    _claim(upload, actor, now)
    return _write_readings(upload, actor, now)


@command
def import_readings_text(text, encoding, filename, actor, now=None, on_row=None):
    """Check and record a readings file in one go (the CLI); recorded as an upload too.
    ``on_row()`` is called as each row is read (a progress bar)."""
    now = now or utcnow()
    upload = ImportUpload(uploaded_by_id=actor.id, filename=clean_filename(filename), encoding=encoding, content=text,
                          created_at=now, kind=READINGS)
    db.session.add(upload)
    return _write_readings(upload, actor, now, on_row)


# --- payments ----------------------------------------------------------------------------------


@dataclass
class PaymentsImportResult:
    """What a payments import did: ``errors`` (RowError; nothing written), or what it recorded."""

    errors: list = field(default_factory=list)
    recorded: int = 0
    total: object = None
    upload: ImportUpload | None = None

    @property
    def ok(self):
        return not self.errors


def _write_payments(upload, actor, now):
    """Check the upload's rows and write every payment in the caller's transaction (the upload
    claimed or added), then commit; on any problem roll back and return them all."""
    from contracts_app.spend import sheet

    checked = sheet.check_sheet(upload.content, actor, now)
    if not checked.ok:
        db.session.rollback()
        return PaymentsImportResult(errors=checked.errors)
    try:
        payments = sheet.write_payments(checked, actor, now)
        upload.committed_at = now
        upload.payments_recorded = len(payments)
        db.session.add(upload)
        record(
            actor, "import", upload,
            after={"filename": upload.filename, "kind": PAYMENTS, "recorded": len(payments)},
            summary=f"Imported {plural(len(payments), 'payment')} from {upload.filename or 'a spreadsheet'}",
        )
        db.session.commit()
    except IntegrityError:
        # Someone recorded one of the invoices between the check and the write: check again to say where.
        db.session.rollback()
        errors = sheet.check_sheet(upload.content, actor, now).errors or [
            RowError(None, None, "A payment in this file was recorded by someone else meanwhile. Nothing was "
                                 "imported; try again.")
        ]
        return PaymentsImportResult(errors=errors)
    return PaymentsImportResult(recorded=len(payments), total=checked.total, upload=upload)


@command
def commit_payments_upload(upload, actor, now=None):
    """Record a staged payments upload, once, by its uploader: every row or, on any problem,
    none (claimed as ``commit_upload`` claims, so a second commit is refused)."""
    now = now or utcnow()
    _claim(upload, actor, now)
    return _write_payments(upload, actor, now)


@command
def import_payments_text(text, encoding, filename, actor, now=None):
    """Check and record a payments file in one go (the CLI); recorded as an upload too."""
    now = now or utcnow()
    upload = ImportUpload(uploaded_by_id=actor.id, filename=clean_filename(filename), encoding=encoding, content=text,
                          created_at=now, kind=PAYMENTS)
    db.session.add(upload)
    return _write_payments(upload, actor, now)


@command
def commit_ocds_upload(upload, actor, now=None):
    """Import a staged OCDS upload, once, by its uploader (claimed as ``commit_upload`` claims):
    everything or, on any problem, nothing. Returns the importer's ImportCheck."""
    import io

    from contracts_app.ocds import importer

    now = now or utcnow()
    _claim(upload, actor, now)
    return importer.import_stream(io.BytesIO(upload.content.encode("utf-8")), actor, encoding="utf-8",
                                  filename=upload.filename, now=now, upload=upload)
