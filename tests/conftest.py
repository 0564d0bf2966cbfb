"""Shared fixtures: app (on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set), db,
client, runner, a signed-in client per role, factories, and the demo city (``demo_city``)."""
import copy
import os
import re
import shutil
import sqlite3
import tempfile

import pytest
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from werkzeug.routing import Rule

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db as _db
from tests import factories

ROLES = ["admin", "procurement_officer", "contract_manager", "cdo", "viewer"]
# PostgreSQL only when there is one to run on: otherwise every test would add a skipped twin.
BACKENDS = ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


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


def _empty_postgres_tables():
    """Delete every row and restart the sequences (as TRUNCATE ... RESTART IDENTITY would).

    DELETE rather than TRUNCATE: the tables a test leaves are small, and TRUNCATE makes new
    files for every table and index (about 65 ms a test even when idle, 280 ms on a busy
    machine, against 5 ms for these DELETEs). Child tables go first, so no foreign key objects."""
    _db.session.remove()
    deletes = "; ".join(f'DELETE FROM "{table.name}"' for table in reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        conn.exec_driver_sql(deletes)
        conn.exec_driver_sql(
            "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, false) "
            "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, connection_record):
    """Test databases are thrown away, so SQLite need not fsync on every commit: with the app's
    WAL journal and the default synchronous=FULL, the fsyncs were a fifth of a typical test's
    time. (Durability after a power cut is all this gives up; locking and visibility are the
    same.)"""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


_ATTACHMENTS_DIR = {}


def attachments_dir():
    """This process's folder for evidence files (never the worktree's instance folder); the
    attachment tests give each test its own (tests/attachments/conftest.py)."""
    if "path" not in _ATTACHMENTS_DIR:
        _ATTACHMENTS_DIR["path"] = tempfile.mkdtemp(prefix="rdc-attachments-")
    return _ATTACHMENTS_DIR["path"]


def _config_for(url, **extra):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {}
        ATTACHMENTS_DIR = attachments_dir()
        # Never the worktree's instance folder; the publication tests give each test its own.
        PUBLISH_DIR = os.path.join(attachments_dir(), "publish")

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


def _share_compiled_rules():
    """Every test builds its own app, and werkzeug compiles each of the app's URL rules: it
    parses the rule into regular expressions and generates and compiles two URL-building
    functions (Python source) for it, about 40 ms of the 60 ms ``create_app`` took, times some
    2,000 tests. What it computes depends only on the rule's text, its defaults, where it
    matches (subdomain or host) and the map's converter classes, so the tests compile each rule
    once per process; a rule added to a later app with the same inputs gets copies of the
    parts and the same builder functions (they read the rule's converters when called), and
    converters of its own, bound to its own map."""
    compile_rule = Rule.compile
    compiled = {}

    def shared_compile(self):
        key = (
            self.rule, self.subdomain, self.host, self.merge_slashes, self.map.host_matching,
            repr(sorted((self.defaults or {}).items())),
            tuple(sorted((name, id(converter)) for name, converter in self.map.converters.items())),
        )
        entry = compiled.get(key)
        if entry is None:
            arguments_before = set(self.arguments)
            compile_rule(self)
            compiled[key] = (
                list(self._parts), list(self._trace), dict(self._converters), self.arguments - arguments_before,
                self._build.__func__, self._build_unknown.__func__,
            )
            return
        parts, trace, converters, arguments, build, build_unknown = entry
        self._parts, self._trace = list(parts), list(trace)
        self._converters = {}
        for name, converter in converters.items():
            self._converters[name] = own = copy.copy(converter)
            own.map = self.map
        self.arguments.update(arguments)
        self._build = build.__get__(self, None)
        self._build_unknown = build_unknown.__get__(self, None)

    Rule.compile = shared_compile


_share_compiled_rules()


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


_SHARED_ENGINES = {}


def _share_engines():
    """One engine per database URL and process, shared by every test's app.

    SQLAlchemy caches each statement's compiled SQL per engine (its dialect), so an engine per
    test compiled every statement a test ran again, a quarter of a typical test's time. The
    ``app`` fixture therefore gives each test the same database address (a SQLite file per
    process, copied afresh from the schema template; the worker's PostgreSQL database, emptied
    after each test), and this hands every app built for it the same engine. Engines are
    disposed after each test, so no connection outlives it; a test that listens to engine
    events removes its listener (as ``tests/querycount.py`` does)."""
    make_engine = type(_db)._make_engine

    def shared_make_engine(self, bind_key, options, app):
        key = (make_url(options["url"]).render_as_string(hide_password=False),
               tuple(sorted((name, repr(value)) for name, value in options.items() if name != "url")))
        engine = _SHARED_ENGINES.get(key)
        if engine is None:
            engine = _SHARED_ENGINES[key] = make_engine(self, bind_key, options, app)
        return engine

    type(_db)._make_engine = shared_make_engine


_share_engines()
_SQLITE_DATABASE = {}


def _fresh_sqlite_database():
    """This process's test database file, replaced by a copy of the empty schema."""
    if "path" not in _SQLITE_DATABASE:
        _SQLITE_DATABASE["path"] = os.path.join(tempfile.mkdtemp(prefix="rdc-test-"), "test.sqlite3")
    path = _SQLITE_DATABASE["path"]
    for leftover in (path + "-wal", path + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    shutil.copyfile(_sqlite_template(), path)
    return path


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


_SNAPSHOTS = {}


def database_snapshot(key, build):
    """Run ``build()`` in the current app's (empty) database the first time this process meets
    ``key`` on this backend, and save what it left; at every later call, copy that database in
    instead. Returns (a copy of) what ``build`` returned, so it should return plain values
    (ids, summaries), not ORM objects.

    On SQLite the saved file is copied over the test's (as ``_sqlite_template`` does for the
    schema); on PostgreSQL the rows are copied from a schema beside the tables, one INSERT ...
    SELECT per table, with the sequences set where the build left them."""
    backend = _db.engine.dialect.name
    key = (backend, *key)
    if key not in _SNAPSHOTS:
        value = build()
        _SNAPSHOTS[key] = (_save_sqlite_snapshot if backend == "sqlite" else _save_postgres_snapshot)(len(_SNAPSHOTS)), value
    else:
        saved, value = _SNAPSHOTS[key]
        (_copy_sqlite_snapshot if backend == "sqlite" else _copy_postgres_snapshot)(saved)
    return copy.deepcopy(value)


def demo_city(now):
    """The demo city, as ``load_demo_city(now=now)`` leaves it, in the current app's database;
    returns (a copy of) the summary that call returned.

    Loading it takes a second or more (forty contracts, their history, scrypt password hashes),
    so each process loads it once per backend, ``now`` and demo password and copies it into
    each later test's empty database (``database_snapshot``). A database with data is left to
    ``load_demo_city``, which refuses to touch it."""
    from contracts_app.demo.loader import database_has_data, demo_password, load_demo_city

    if database_has_data():
        return load_demo_city(now=now)
    return database_snapshot(("demo city", now, demo_password()), lambda: load_demo_city(now=now))


def _save_sqlite_snapshot(number):
    _db.session.remove()
    _db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    path = os.path.join(tempfile.mkdtemp(prefix="rdc-snapshot-"), f"snapshot{number}.sqlite3")
    shutil.copyfile(_db.engine.url.database, path)
    return path


def _copy_sqlite_snapshot(path):
    _db.session.remove()
    _db.engine.dispose()  # as above: after this no WAL file is left beside the database
    target = _db.engine.url.database
    for leftover in (f"{target}-wal", f"{target}-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    shutil.copyfile(path, target)


def _save_postgres_snapshot(number):
    schema = f"rdc_snapshot_{number}"
    _db.session.remove()
    tables = [table.name for table in _db.metadata.sorted_tables]
    with _db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        conn.exec_driver_sql("; ".join(f'CREATE TABLE {schema}."{name}" AS TABLE "{name}"' for name in tables))
        sequences = conn.exec_driver_sql(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
            "coalesce(last_value, start_value), last_value IS NOT NULL "
            "FROM pg_sequences WHERE schemaname = current_schema()"
        ).all()
    # The rows are copied as they are, with the tables' triggers off: the counters the triggers
    # keep (open flags on contracts, per-priority month counts) are copied too, not added again.
    copy_rows = ["SET LOCAL session_replication_role = replica"]
    copy_rows += [f'INSERT INTO "{name}" SELECT * FROM {schema}."{name}"' for name in tables]
    set_sequences = [f"SELECT setval('{name}', {value}, {str(called).lower()})" for name, value, called in sequences]
    return "; ".join(copy_rows + set_sequences)


def _copy_postgres_snapshot(statements):
    _db.session.remove()
    with _db.engine.begin() as conn:
        conn.exec_driver_sql(statements)


@pytest.fixture
def app(backend, request):
    extra = getattr(request, "param", None) or {}
    if backend == "postgresql":
        url = request.getfixturevalue("_postgres_schema")
        application = _prepare(create_app(_config_for(url, **extra)))
        with application.app_context():
            yield application
            _empty_postgres_tables()
            _db.engine.dispose()
    else:
        path = _fresh_sqlite_database()
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
    return factories.make_users(ROLES)


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
def po(client_as):
    """A client signed in as the procurement officer."""
    return client_as("procurement_officer")


@pytest.fixture
def cm(client_as):
    """A client signed in as the contract manager (``users["contract_manager"]``)."""
    return client_as("contract_manager")


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

