"""`flask --app run notifications send [--now ISO-8601]`: send the outbox once (cron, by hand)."""
import click
from flask.cli import AppGroup

from contracts_app.cli_options import now_option
from contracts_app.notifications.dispatcher import send_notifications

notifications_cli = AppGroup("notifications", help="The notification outbox.")


@notifications_cli.command("send")
@now_option
def send_command(now):
    """Send every due notification: one email digest per recipient, retried with backoff on failure."""
    counts = send_notifications(now=now)
    click.echo(
        f"recipients: {counts['recipients']}, digests sent: {counts['digests_sent']}, "
        f"notifications sent: {counts['notifications_sent']}, failed: {counts['failed']}, "
        f"deferred: {counts['deferred']}, skipped (inactive users): {counts['skipped']}"
    )
