"""Fixtures for the operations tests: a database stamped with a migration revision (the tests'
schema comes from create_all, which writes no alembic_version), and heartbeat rows."""
import pytest
from flask_migrate import stamp
from sqlalchemy import text

from contracts_app.extensions import db as _db
from contracts_app.operations.heartbeat import record_finish, record_start
from contracts_app.operations.queries import migration_heads


def _drop_version_table():
    _db.session.remove()
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def stamp_revision(app):
    """stamp_revision(rev): alembic_version says ``rev`` (dropped again after the test, which on
    PostgreSQL would otherwise outlive it: the table is not one of the models')."""

    def make(revision):
        _db.session.commit()  # no transaction of the test's left open beside alembic's
        stamp(revision=revision)

    yield make
    _drop_version_table()


@pytest.fixture
def at_head(stamp_revision):
    stamp_revision("head")
    return migration_heads()


@pytest.fixture
def beat(app):
    """beat(job, started, seconds=2.0, error=None): one finished run of ``job``."""
    from datetime import timedelta

    def make(job, started, seconds=2.0, error=None, host="sched-1", pid=321):
        record_start(job, started, host=host, pid=pid)
        record_finish(job, started + timedelta(seconds=seconds), seconds, error=error)

    return make
