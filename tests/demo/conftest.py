from datetime import datetime, timezone

import pytest

from tests.conftest import demo_city

# A fixed instant: the demo city is laid out relative to it.
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo(app):
    """The demo city as load_demo_city(now=NOW) leaves it in the test's empty database; returns
    the summary. Loaded once per worker process and copied into each test's database."""
    return demo_city(NOW)
