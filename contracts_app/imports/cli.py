"""``flask --app run import contracts FILE.csv --as EMAIL [--dry-run]``,
``flask --app run import ocds FILE --as EMAIL [--dry-run] [--encoding NAME]`` and
``flask --app run import readings FILE --as EMAIL [--dry-run]`` and
``flask --app run import payments FILE --as EMAIL [--dry-run]``."""
import os
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from contracts_app.auth.models import User
from contracts_app.cli_options import now_option
from contracts_app.extensions import db
from contracts_app.formatting import plural, with_article
from contracts_app.imports import reader, services
from contracts_app.imports.plan import build_plan
from contracts_app.permissions import can_create_contracts

import_cli = AppGroup("import", help="Import data from CSV files (and readings from .xlsx workbooks).")


def _report_errors(errors):
    for error in errors:
        click.echo(str(error), err=True)
    click.echo(f"{plural(len(errors), 'error')}; nothing was imported.", err=True)
    raise SystemExit(1)


@import_cli.command("contracts")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "actor_email", required=True, metavar="EMAIL",
              help="An active procurement officer: the import is recorded as theirs, and they are the procurement "
                   "officer of contracts that name none.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would create; write nothing.")
def import_contracts_command(file, actor_email, dry_run):
    """Import contracts and their metrics from FILE, a CSV in the import template's format
    (download it from the import page). Every error is printed by row and column and nothing is
    written unless the whole file is right. FILE may be - for standard input."""
    actor = db.session.scalar(select(User).where(func.lower(User.email) == actor_email.strip().lower()))
    if actor is None or not actor.active:
        raise click.ClickException(f"No active user has the email {actor_email}.")
    if not can_create_contracts(actor):
        raise click.ClickException(
            f"{actor.email} is {with_article(actor.role_label.lower())}; only procurement officers create contracts."
        )
    try:
        text, encoding = reader.decode(file.read())
    except reader.ImportFileError as error:
        raise click.ClickException(f"{file.name}: {error}")
    plan = build_plan(text, actor)
    if not plan.ok:
        _report_errors(plan.errors)
    for warning in plan.warnings:
        click.echo(f"Warning: {warning}", err=True)
    vendors = plan.new_vendors
    if dry_run:
        click.echo(
            f"No errors. The import would create {services.counts_text(len(plan.contracts), plan.metrics_count, len(vendors))}"
            f"{' (' + ', '.join(vendors) + ')' if vendors else ''}. Nothing was written (--dry-run)."
        )
        return
    result = services.import_text(text, encoding, os.path.basename(file.name), actor)
    if not result.ok:
        _report_errors(result.errors)
    click.echo(
        f"Imported {services.counts_text(len(result.contracts), result.metrics_created, result.vendors_created)} "
        f"from {file.name}."
    )


# The CLI has no upload limit of its own (it is for the files too large for a web request);
# this only keeps a runaway file from exhausting memory.
CLI_MAX_BYTES = 512 * 1024 * 1024
CLI_MAX_ROWS = 2_000_000


@import_cli.command("readings")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "actor_email", required=True, metavar="EMAIL",
              help="An active procurement officer or contract manager: the readings are recorded as theirs, and "
                   "each row must be a contract they may enter readings for.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would record; write nothing.")
@now_option
def import_readings_command(file, actor_email, dry_run, now):
    """Record readings from FILE, an .xlsx workbook or a CSV in the format of the downloaded
    readings spreadsheet (Metric id, Period start, Value, Note...). Every problem is printed by
    row and column, and nothing is written unless every row is right. FILE may be - for
    standard input."""
    from contracts_app.db_types import utcnow
    from contracts_app.imports import readings as sheet
    from contracts_app.permissions import can_import_readings

    now = now or utcnow()
    actor = _importer(actor_email, can_import_readings, "enter readings")
    text, encoding = _read_file(file)
    with click.progressbar(length=sheet.row_count(text), label="Reading rows", file=sys.stderr) as bar:
        def step():
            bar.update(1)

        if dry_run:
            checked = sheet.check_sheet(text, actor, now, step)
            result = None
        else:
            result = services.import_readings_text(text, encoding, os.path.basename(file.name), actor, now, step)
    if dry_run:
        if not checked.ok:
            _report_problems(checked.errors)
        check = checked.check
        click.echo(
            f"No problems. This would record {services.readings_text(len(check.new), len(check.corrections))}"
            f"{_left_out(len(check.unchanged), checked.skipped)}. Nothing was written (--dry-run)."
        )
        return
    if not result.ok:
        _report_problems(result.errors)
    click.echo(
        f"Recorded {services.readings_text(result.recorded, result.corrected)} from {file.name}"
        f"{_left_out(result.unchanged, result.skipped)}."
    )


def _importer(email, permitted, what, others="contract managers"):
    """The active user ``email`` if ``permitted`` lets them import, else a ClickException
    saying why ("only procurement officers and contract managers <what>")."""
    actor = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if actor is None or not actor.active:
        raise click.ClickException(f"No active user has the email {email}.")
    if not permitted(actor):
        raise click.ClickException(
            f"{actor.email} is {with_article(actor.role_label.lower())}; only procurement officers and {others} "
            f"{what}."
        )
    return actor


def _read_file(file):
    """(text, encoding) of the readings or payments sheet ``file`` (.xlsx or CSV), or a ClickException."""
    from contracts_app.imports import readings as sheet

    try:
        return sheet.read_upload(file.read(), CLI_MAX_BYTES, CLI_MAX_ROWS)
    except reader.ImportFileError as error:
        raise click.ClickException(f"{file.name}: {error}")


def _left_out(unchanged, skipped):
    parts = []
    if unchanged:
        parts.append(f"{plural(unchanged, 'row')} unchanged")
    if skipped:
        parts.append(f"{plural(skipped, 'row')} without a value skipped")
    return f" ({', '.join(parts)})" if parts else ""


def _report_problems(errors):
    for error in errors:
        click.echo(str(error), err=True)
    click.echo(f"{plural(len(errors), 'problem')}; nothing was recorded.", err=True)
    raise SystemExit(1)


@import_cli.command("payments")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "actor_email", required=True, metavar="EMAIL",
              help="An active procurement officer or contract manager: the payments are recorded as theirs, and "
                   "each row must be a contract they may record payments on.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would record; write nothing.")
@now_option
def import_payments_command(file, actor_email, dry_run, now):
    """Record payments made from FILE, an .xlsx workbook or a CSV with the columns Contract
    reference, Paid on, Amount, Invoice reference (and optionally Period start, Period end,
    Note). Every problem is printed by row and column, and nothing is written unless every row
    is right. FILE may be - for standard input."""
    from contracts_app.db_types import utcnow
    from contracts_app.permissions import can_import_payments
    from contracts_app.spend import sheet

    now = now or utcnow()
    actor = _importer(actor_email, can_import_payments, "record payments")
    text, encoding = _read_file(file)
    if dry_run:
        checked = sheet.check_sheet(text, actor, now)
        if not checked.ok:
            _report_problems(checked.errors)
        click.echo(f"No problems. This would record {plural(len(checked.rows), 'payment')} "
                   f"on {plural(len(checked.by_contract()), 'contract')}. Nothing was written (--dry-run).")
        return
    result = services.import_payments_text(text, encoding, os.path.basename(file.name), actor, now)
    if not result.ok:
        _report_problems(result.errors)
    click.echo(f"Recorded {plural(result.recorded, 'payment')} from {file.name}.")


class _Counted:
    """A binary file whose reads move a progress bar by the bytes read."""

    def __init__(self, file, step):
        self.file, self.step = file, step

    def read(self, size=-1):
        data = self.file.read(size)
        self.step(len(data))
        return data


def _size(file):
    try:
        return os.fstat(file.fileno()).st_size or None
    except (OSError, AttributeError, ValueError):
        return None


@import_cli.command("ocds")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "actor_email", required=True, metavar="EMAIL",
              help="An active procurement officer or administrator: the import is recorded as theirs.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would create and update; write nothing.")
@click.option("--encoding", default=None, metavar="NAME",
              help="The file's encoding when it has no byte-order mark (else UTF-8, or what the start of the file "
                   "shows).")
@now_option
def import_ocds_command(file, actor_email, dry_run, encoding, now):
    """Import open contracting data from FILE: an OCDS release package, record package, or JSON
    lines of either, OCDS 1.0 or 1.1. Each contract becomes a register contract (updated in
    place when it was imported before), with its vendor, department, milestones, payments and
    metrics. Every problem is printed with its JSON path, and nothing is written unless the
    whole file can be read. FILE may be - for standard input."""
    from contracts_app.db_types import utcnow
    from contracts_app.ocds import importer
    from contracts_app.permissions import can_import_ocds

    now = now or utcnow()
    actor = _importer(actor_email, can_import_ocds, "import open contracting data", "administrators")
    size = _size(file)
    with click.progressbar(length=size or 0, label="Reading the file", file=sys.stderr,
                           show_percent=bool(size), show_pos=not size) as bar:
        counted = _Counted(file, bar.update)
        if dry_run:
            result = importer.check(counted, encoding=encoding)
        else:
            result = importer.import_stream(counted, actor, encoding=encoding,
                                            filename=os.path.basename(file.name), now=now)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if not result.ok:
        for error in result.errors:
            click.echo(str(error), err=True)
        click.echo(f"{plural(len(result.errors), 'problem')}; nothing was imported.", err=True)
        raise SystemExit(1)
    for outcome in result.outcomes:
        if outcome.action == "skip":
            click.echo(f"Skipped {outcome.ocid} contract {outcome.contract_id}: {outcome.reason}", err=True)
        elif outcome.action == "update":
            click.echo(f"{'To update' if dry_run else 'Updated'}: {outcome.ocid} contract {outcome.contract_id} "
                       f"({outcome.title}):")
            for change in outcome.changes:
                click.echo(f"  {change}")
    counts = ", ".join(f"{result.count(action)} {word}" for action, word in (
        ("create", "created" if not dry_run else "to create"), ("update", "updated" if not dry_run else "to update"),
        ("unchanged", "unchanged"), ("skip", "skipped")) if result.count(action) or action == "create")
    if dry_run:
        click.echo(f"No problems in {plural(result.releases, 'release')}: contracts {counts}. "
                   f"Nothing was written (--dry-run).")
    elif not (result.count("create") or result.count("update")):
        click.echo(f"Nothing to import in {plural(result.releases, 'release')} from {file.name}: contracts {counts}. "
                   f"Nothing was written.")
    else:
        click.echo(f"Imported {plural(result.releases, 'release')} from {file.name}: contracts {counts}.")
