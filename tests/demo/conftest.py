from datetime import datetime, timezone

import pytest

from contracts_app.demo.loader import load_demo_city

# A fixed instant: the demo city is laid out relative to it.
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo(app):
    """The demo city loaded into the test's empty database at NOW; returns the summary."""
    return load_demo_city(now=NOW)
