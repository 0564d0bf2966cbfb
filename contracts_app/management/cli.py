"""`flask --app contracts_app sweep [--now ISO-8601]`: the sweep, for cron and by hand."""
from datetime import datetime, timezone

import click

from contracts_app.management.sweep import sweep


def parse_now(value):
    """An ISO-8601 instant; a value without a zone is taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use ISO-8601, e.g. 2025-10-14T08:00:00+00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@click.command("sweep")
@click.option("--now", "now_text", default=None, help="Judge as of this instant (ISO-8601; default: now).")
def sweep_command(now_text):
    """Evaluate every metric, open and resolve flags, propose check-ins, queue notifications."""
    result = sweep(parse_now(now_text))
    click.echo(
        f"metrics evaluated: {result.metrics_evaluated}\n"
        f"flags opened: {result.flags_opened}\n"
        f"flags resolved: {result.flags_resolved}\n"
        f"check-ins proposed: {result.checkins_proposed}\n"
        f"notifications queued: {result.notifications_queued}\n"
        f"escalations: {result.escalations}"
    )
