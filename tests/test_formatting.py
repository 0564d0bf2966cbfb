"""The one date style: pages, messages and emails say "1 Dec 2026" and "1 Dec 2026, 14:30 EST"."""
from datetime import date, datetime, timezone

from contracts_app.formatting import local_datetime, long_date


def test_a_date_is_day_month_year_without_a_leading_zero():
    assert long_date(date(2026, 12, 1)) == "1 Dec 2026"
    assert long_date(date(2025, 7, 14)) == "14 Jul 2025"
    assert long_date(None) == "—"


def test_a_timestamp_is_the_same_date_style_with_the_city_time(app):
    app.config["CITY_TIMEZONE"] = "America/New_York"
    assert local_datetime(datetime(2026, 12, 1, 19, 30, tzinfo=timezone.utc)) == "1 Dec 2026, 14:30 EST"
    # Past midnight in UTC is still the evening before in the city.
    assert local_datetime(datetime(2026, 7, 2, 2, 5, tzinfo=timezone.utc)) == "1 Jul 2026, 22:05 EDT"
    assert local_datetime(None) == "—"


def test_no_template_shows_an_iso_date_to_a_person(app):
    """Dates reach people through long_date / local_datetime: a template that prints
    ``isoformat()`` does so only into an attribute (a link's period, a form value)."""
    import os
    import re

    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")
    shown = []
    for directory, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    for match in re.finditer(r"\{\{[^}]*isoformat\(\)[^}]*\}\}", line):
                        before = line[: match.start()]
                        in_attribute = before.count('"') % 2 == 1 or "period=" in match.group(0)
                        if not in_attribute:
                            shown.append(f"{name}:{number}: {match.group(0)}")
    assert not shown, shown
