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


class RowId(click.ParamType):
    """A row id on the command line: ASCII digits from 1 to 2**31 - 1 (click.INT, like int(),
    would take full-width digits, "1_000" and ids no column holds)."""

    name = "id"

    def convert(self, value, param, ctx):
        from contracts_app.digits import FOREIGN_DIGITS_MESSAGE, has_foreign_digits, whole_number

        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = whole_number(value)
            except ValueError:
                self.fail(FOREIGN_DIGITS_MESSAGE if has_foreign_digits(value) else f"{value!r} is not an id (a whole number).",
                          param, ctx)
        if not 1 <= number <= 2**31 - 1:
            self.fail(f"{number} is not an id: ids run from 1 to {2**31 - 1}.", param, ctx)
        return number


ROW_ID = RowId()
