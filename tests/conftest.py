"""Shared fixtures: app (on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set), db,
client, runner, a signed-in client per role, and factories."""
import os
import re
import shutil
import tempfile

import pytest
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db as _db
from tests import factories

ROLES = ["admin", "procurement_officer", "contract_manager", "cdo", "viewer"]
BACKENDS = ["sqlite", "postgresql"]


def postgres_url():
    """TEST_DATABASE_URL; under pytest-xdist each worker gets its own database beside it
    (test_gw0, test_gw1, ...) so workers never truncate each other's rows."""
    from config.settings import normalise_database_url

    url = normalise_database_url(os.environ.get("TEST_DATABASE_URL"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        url = make_url(url)
        url = url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)
    return url


def _ensure_database(url):
    """Create the database named in ``url`` if it does not exist (needs CREATEDB)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_schema():
    """Create the schema once per session on PostgreSQL; tests then truncate after themselves."""
    url = postgres_url()
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    _ensure_database(url)
    app = create_app(_config_for(url))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    return url


def _config_for(url, **extra):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {}

    for key, value in extra.items():
        setattr(Config, key, value)
    return Config


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates shared by every test's app, so each test does not recompile them."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


BYTECODE_CACHE = SharedBytecodeCache()


def _prepare(application):
    application.test_client_class = FreshContextClient
    application.jinja_env.bytecode_cache = BYTECODE_CACHE
    return application


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The ``app`` fixture keeps an app context open so tests can use the database directly;
    without this, requests would reuse it, and ``g`` (where Flask-Login keeps the signed-in
    user) and the SQLAlchemy session would leak from one request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


_SQLITE_TEMPLATE = {}


def _sqlite_template():
    """A SQLite file holding the empty schema, made once per process: each test copies it
    instead of running every CREATE (tables, indexes, triggers) again."""
    if "path" not in _SQLITE_TEMPLATE:
        directory = tempfile.mkdtemp(prefix="rdc-schema-")
        path = os.path.join(directory, "schema.sqlite3")
        application = create_app(_config_for(f"sqlite:///{path}"))
        with application.app_context():
            _db.create_all()
            _db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
        _SQLITE_TEMPLATE["path"] = path
    return _SQLITE_TEMPLATE["path"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app(backend, request, tmp_path):
    extra = getattr(request, "param", None) or {}
    if backend == "postgresql":
        url = request.getfixturevalue("_postgres_schema")
        application = _prepare(create_app(_config_for(url, **extra)))
        with application.app_context():
            yield application
            _db.session.remove()
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            _db.engine.dispose()
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(_sqlite_template(), path)
        application = _prepare(create_app(_config_for(f"sqlite:///{path}", **extra)))
        with application.app_context():
            yield application
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app):
    """The factory functions of tests/factories.py, bound to the test's database."""
    return factories


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=factories.PASSWORD):
        return self.client.post("/login", data={"email": user.email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def users(app):
    """One user per role, keyed by role."""
    return {role: factories.make_user(role) for role in ROLES}


@pytest.fixture
def client_as(app, users):
    """client_as(role) -> a fresh test client signed in as that role's user."""

    def make(role, user=None):
        new_client = app.test_client()
        response = Auth(new_client).login(user or users[role])
        assert response.status_code == 302, "sign-in failed in a fixture"
        return new_client

    return make


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, as in production (TestingConfig turns it off)."""
    application = create_app(_config_for(f"sqlite:///{tmp_path / 'csrf.sqlite3'}", WTF_CSRF_ENABLED=True))
    with application.app_context():
        _db.create_all()
        yield application
        _db.session.remove()
        _db.engine.dispose()


def csrf_token(page):
    """The CSRF token in an HTML page (text), or None."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    return match.group(1) if match else None
