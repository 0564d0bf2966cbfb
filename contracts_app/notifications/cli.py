"""`flask --app run notifications send [--now ISO-8601]`: send the outbox once (cron, by hand);
`flask --app run reminders queue [--now ISO-8601]`: queue today's reading reminders."""
import click
from flask.cli import AppGroup

from contracts_app.cli_options import now_option
from contracts_app.notifications.dispatcher import send_notifications
from contracts_app.notifications.reminders import days_before, queue_reminders

notifications_cli = AppGroup("notifications", help="The notification outbox.")


@notifications_cli.command("send")
@now_option
def send_command(now):
    """Send every due notification: one email digest per recipient, retried with backoff on failure."""
    counts = send_notifications(now=now)
    click.echo(
        f"recipients: {counts['recipients']}, digests sent: {counts['digests_sent']}, "
        f"notifications sent: {counts['notifications_sent']}, failed: {counts['failed']}, "
        f"deferred: {counts['deferred']}, skipped (inactive users): {counts['skipped']}, "
        f"cancelled (reminders answered): {counts['cancelled']}, "
        f"given up (refused permanently): {counts['given_up']}"
    )


reminders_cli = AppGroup("reminders", help="Reminders before a reading's due date.")


@reminders_cli.command("queue")
@now_option
def queue_command(now):
    """Queue today's reminders (REMINDER_DAYS_BEFORE days before a reading's due date, and on
    the day), once per person, metric and period; `notifications send` emails them."""
    result = queue_reminders(now=now)
    click.echo(
        f"periods due within {days_before()} days: {result.periods_due}, "
        f"reminders queued: {result.reminders_queued}"
    )
