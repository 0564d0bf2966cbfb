"""Command-line entry points: ``flask --app contracts_app GROUP COMMAND``."""
import os

import click
from flask.cli import AppGroup

from contracts_app.auth.models import ROLES
from contracts_app.auth.services import UserError, create_user

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="The user's role.")
@click.option("--name", default=None, help="Display name (defaults to the email).")
def create_user_command(email, role, name):
    """Create a user. The password comes from RDC_PASSWORD, or a prompt."""
    password = os.environ.get("RDC_PASSWORD")
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, name or email, role, password)
    except UserError as error:
        raise click.ClickException(str(error))
    click.echo(f"Created {user.email} ({user.role}).")


def register_cli(app):
    app.cli.add_command(users_cli)
    from contracts_app.demo.cli import demo_cli
    from contracts_app.management.cli import sweep_command
    from contracts_app.metrics.cli import status_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(status_cli)
    from contracts_app.notifications.cli import notifications_cli

    app.cli.add_command(notifications_cli)
    app.cli.add_command(sweep_command)
    from contracts_app.api.cli import tokens_cli

    app.cli.add_command(tokens_cli)
    from contracts_app.imports.cli import import_cli

    app.cli.add_command(import_cli)
    from contracts_app.ocds.cli import export_cli

    app.cli.add_command(export_cli)
