"""Options that several command groups share."""
from datetime import datetime, timezone

import click


def _parse_now(ctx, param, value):
    """An ISO-8601 moment; without an offset it is read as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 date and time, e.g. 2026-03-01T14:00:00Z.")
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


# ``--now``: act as if it were this moment (for cron catching up, and for trying things out).
now_option = click.option(
    "--now", callback=_parse_now, help="Act as if it were this moment (ISO-8601, UTC unless an offset is given)."
)
