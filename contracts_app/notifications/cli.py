"""`flask --app contracts_app notifications send [--now ISO-8601]`: send the outbox once (cron, by hand)."""
from datetime import datetime, timezone

import click
from flask.cli import AppGroup

from contracts_app.notifications.dispatcher import send_notifications

notifications_cli = AppGroup("notifications", help="The notification outbox.")


def parse_now(ctx, param, value):
    """An ISO-8601 moment; without an offset it is read as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 date and time, e.g. 2026-03-01T14:00:00Z.")
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@notifications_cli.command("send")
@click.option("--now", callback=parse_now, help="Act as if it were this moment (ISO-8601, UTC unless an offset is given).")
def send_command(now):
    """Send every due notification: one email digest per recipient, retried with backoff on failure."""
    counts = send_notifications(now=now)
    click.echo(
        f"recipients: {counts['recipients']}, digests sent: {counts['digests_sent']}, "
        f"notifications sent: {counts['notifications_sent']}, failed: {counts['failed']}, "
        f"deferred: {counts['deferred']}, skipped (inactive users): {counts['skipped']}"
    )
