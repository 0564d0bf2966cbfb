"""A live server (real HTTP, CSRF on, schema from migrations) and Debian's Chromium via Playwright."""
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db
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


def screenshot(page, name):
    """A full-page screenshot NAME.png into RDC_E2E_SCREENSHOTS, when that names a folder."""
    directory = os.environ.get("RDC_E2E_SCREENSHOTS")
    if directory:
        os.makedirs(directory, exist_ok=True)
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


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


_MIGRATED = {}


def _migrated_app(directory):
    """An app on a new SQLite file in ``directory`` holding the schema the migrations build
    (run once per process, then copied: an upgrade takes a second or two)."""
    if "path" not in _MIGRATED:
        template = os.path.join(tempfile.mkdtemp(prefix="rdc-migrated-"), "migrated.sqlite3")
        app = _app_on(template)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
        _MIGRATED["path"] = template
    path = directory / "e2e.sqlite3"
    shutil.copyfile(_MIGRATED["path"], path)
    return _app_on(path)


def _app_on(path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        WTF_CSRF_ENABLED = True
        ATTACHMENTS_DIR = os.path.join(os.path.dirname(str(path)), "attachments")

    app = create_app(Config)
    app.jinja_env.bytecode_cache = BYTECODE_CACHE  # templates compiled once per process, as for the other tests
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

