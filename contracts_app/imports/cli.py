"""``flask --app run import contracts FILE.csv --as EMAIL [--dry-run]``."""
import os

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from contracts_app.auth.models import User
from contracts_app.extensions import db
from contracts_app.formatting import plural, with_article
from contracts_app.imports import reader, services
from contracts_app.imports.plan import build_plan
from contracts_app.permissions import can_create_contracts

import_cli = AppGroup("import", help="Import data from CSV files.")


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
