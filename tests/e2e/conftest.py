"""A live server (real HTTP, CSRF on, schema from migrations) and Debian's Chromium via Playwright."""
import os
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from contracts_app import create_app
from tests.conftest import BYTECODE_CACHE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _browser_missing_reason():
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (make test installs the dev extras)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("RDC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _migrated_app(directory):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'e2e.sqlite3'}"
        WTF_CSRF_ENABLED = True

    app = create_app(Config)
    app.jinja_env.bytecode_cache = BYTECODE_CACHE  # templates compiled once per process, as for the other tests
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@contextmanager
def _serving(app):
    """The app on a free port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_app(tmp_path):
    return _migrated_app(tmp_path)


@pytest.fixture
def live_server(live_app):
    with _serving(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def demo_live_app(tmp_path_factory):
    """A migrated database holding the demo city after one sweep (so flags, proposed check-ins
    and inbox items exist), loaded once per module: loading takes seconds."""
    from contracts_app.db_types import utcnow
    from contracts_app.demo.loader import load_demo_city
    from contracts_app.management.sweep import sweep

    app = _migrated_app(tmp_path_factory.mktemp("demo-e2e"))
    now = utcnow()
    with app.app_context():
        assert load_demo_city(now=now).loaded
        sweep(now)
    return app


@pytest.fixture(scope="module")
def demo_live_server(demo_live_app):
    with _serving(demo_live_app) as url:
        yield url


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    new_page = context.new_page()
    yield new_page
    context.close()

