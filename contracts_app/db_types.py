"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy.types import DateTime, TypeDecorator


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones, so values are stored as naive UTC and given their zone back on
    the way out; PostgreSQL stores ``timestamptz``. Naive values are refused on the way in,
    because a naive datetime in this codebase is always a bug (whose clock was it?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Text columns have no length; forms and the API cap free text (problems, notes) at this.
LONG_TEXT = 5000


def max_length(column):
    """The length a String column holds (``max_length(Metric.name)`` is 200): forms, services
    and API schemas take their limits from the model, so the three never disagree with it."""
    return column.type.length
