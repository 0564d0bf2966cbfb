"""Command-line entry points: ``flask --app run GROUP COMMAND``. Each feature keeps its own
group (``<feature>/cli.py``); this module registers them, and holds the commands that span
features: ``users`` and ``sweep``."""
import os

import click
from flask.cli import AppGroup

from contracts_app.api.cli import tokens_cli
from contracts_app.api.idempotency import purge_expired_keys
from contracts_app.auth.models import ROLES
from contracts_app.auth.services import UserError, create_user, find_by_email, set_password, unlock_user
from contracts_app.cli_options import now_option
from contracts_app.db_types import utcnow
from contracts_app.demo.cli import demo_cli
from contracts_app.extensions import db
from contracts_app.designs.cli import templates_cli
from contracts_app.imports.cli import import_cli
from contracts_app.management.sweep import sweep
from contracts_app.metrics.cli import status_cli
from contracts_app.notifications.cli import notifications_cli, reminders_cli
from contracts_app.ocds.cli import export_cli
from contracts_app.operations import cli as operations_cli  # noqa: F401  (adds db backup / db restore)
from contracts_app.portfolio.snapshots import record_current_month
from contracts_app.publish.cli import publish_command

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="The user's role.")
@click.option("--name", default=None, help="Display name (defaults to the email).")
@click.option("--language", default=None,
              help="The language of their pages and emails (e.g. es); default: the city's (BABEL_DEFAULT_LOCALE).")
def create_user_command(email, role, name, language):
    """Create a user. The password comes from RDC_PASSWORD, or a prompt."""
    password = os.environ.get("RDC_PASSWORD")
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, name or email, role, password, language=language)
    except UserError as error:
        raise click.ClickException(str(error))
    click.echo(f"Created {user.email} ({user.role}).")


@users_cli.command("set-password")
@click.argument("email")
def set_password_command(email):
    """Give a user a new password (from RDC_PASSWORD, or a prompt); their sessions end."""
    user = find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user has the email {email}.")
    password = os.environ.get("RDC_PASSWORD")
    if not password:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(user, password)
    except UserError as error:
        raise click.ClickException(str(error))
    click.echo(f"New password set for {user.email}; their sessions have ended.")


@users_cli.command("unlock")
@click.argument("email")
def unlock_command(email):
    """Lift a sign-in lock (too many failed passwords) now, as Unlock on the user's page does: the
    way back in for a locked break-glass admin when no other admin can sign in."""
    user = find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user has the email {email}.")
    try:
        unlock_user(user, None)
    except UserError as error:
        raise click.ClickException(str(error))
    click.echo(f"{user.email} may sign in again.")


@click.command("sweep")
@now_option
def sweep_command(now):
    """Evaluate every metric, open and resolve flags, propose check-ins, queue notifications,
    record this month's health snapshots."""
    # What the scheduler's sweep job does, for cron and by hand: the sweep (management), then
    # this month's health snapshots (portfolio), which the sweep itself does not write.
    now = now or utcnow()
    result = sweep(now)
    # Said before the snapshots: the sweep has committed, whatever happens to them.
    click.echo(
        f"metrics evaluated: {result.metrics_evaluated}\n"
        f"flags opened: {result.flags_opened}\n"
        f"flags resolved: {result.flags_resolved}\n"
        f"check-ins proposed: {result.checkins_proposed}\n"
        f"notifications queued: {result.notifications_queued}\n"
        f"escalations: {result.escalations}\n"
        f"decision tasks opened: {result.decision_tasks_opened}"
    )
    # After the sweep's own commit: the upsert is idempotent, so a separate transaction is safe.
    record_current_month(now)
    db.session.commit()
    # As the scheduler's sweep job does: forget API Idempotency-Keys past their lifetime.
    purge_expired_keys(now)


def register_cli(app):
    for command in (
        users_cli, demo_cli, status_cli, notifications_cli, reminders_cli, sweep_command, tokens_cli, import_cli,
        export_cli, publish_command, templates_cli,
    ):
        app.cli.add_command(command)
