"""Helpers shared by the metric and milestone tests."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, func, select

from contracts_app.db_types import utcnow
from contracts_app.extensions import db as _db
from contracts_app.metrics import rules
from contracts_app.metrics.status import today_for


def recent_term():
    """A two-year term that began a year before the city's today, so route tests (which run at
    the real time) always have past periods to record and future ones to refuse."""
    today = today_for(utcnow())
    start = rules.add_months(today.replace(day=1), -12)
    end = rules.add_months(start, 24) - timedelta(days=1)
    return start, end


def count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def metric_form(**overrides):
    data = {
        "name": "Placements into shelter or housing",
        "definition": "People placed from the street into shelter or housing in the month.",
        "unit": "count",
        "direction": "increase",
        "baseline_value": "18",
        "baseline_date": "2025-06-30",
        "target_value": "30",
        "range_low": "",
        "range_high": "",
        "tolerance_pct": "5",
        "cadence": "monthly",
        "due_days": "10",
        "on_track_pct": "100",
        "at_risk_pct": "90",
        "data_source": "HMIS monthly extract",
        "indicator_type": "lagging",
        "payment_linked": "y",
        "is_public": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _listen(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._listen)

    @property
    def count(self):
        return len(self.statements)


def at(year, month, day, hour=12):
    """An aware UTC instant at midday, well inside the city's date of the same day."""
    return datetime(year, month, day, hour + 6, tzinfo=timezone.utc)
