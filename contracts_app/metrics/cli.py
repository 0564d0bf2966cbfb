import click
from flask.cli import AppGroup

from contracts_app.metrics.services import refresh_statuses

status_cli = AppGroup("statuses", help="Stored metric statuses and contract health.")


@status_cli.command("refresh")
def refresh_command():
    """Recompute every metric's status and every contract's health for the current time."""
    counts = refresh_statuses()
    click.echo(f"metrics changed: {counts['metrics_changed']}, contracts changed: {counts['contracts_changed']}")
