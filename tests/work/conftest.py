"""Fixtures for the "My work" tests: a fixed instant, and the page fetched at that instant."""
import re
from datetime import datetime, timezone

import pytest

# 20 Jan 2026, 15:00 UTC (09:00 in Chicago): the city's today is 20 Jan 2026.
NOW = datetime(2026, 1, 20, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """The page reads the clock once, in its route: pin it to NOW."""
    monkeypatch.setattr("contracts_app.work.routes.utcnow", lambda: NOW)
    return NOW


def page_of(client):
    response = client.get("/work")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page, section_id):
    """The HTML of one section of the page, by its id."""
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def squash(html):
    """Text with tags removed and whitespace collapsed, for reading sentences."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()
