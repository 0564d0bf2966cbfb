"""The schema changes only through migrations: from empty they must build the models' schema."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from contracts_app import create_app
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from tests.conftest import BACKENDS, postgres_url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    base = postgres_url()
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    name = f"rdc_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _app(url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {}

    return create_app(Config)


def test_it_builds_the_models_schema_from_an_empty_database(empty_database_url):
    app = _app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_it_downgrades_back_to_empty(empty_database_url):
    app = _app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def _row_counts(tables):
    return {table: db.session.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar() for table in tables}


def test_the_latest_migrations_keep_every_row_of_a_city_both_ways(empty_database_url):
    """The departments and open-data columns rebuild the contracts and vendors tables on SQLite:
    down and up again on a city with data, nothing is lost (no cascade, no broken key)."""
    from tests import factories

    app = _app(empty_database_url)
    with app.app_context():
        upgrade()
        for department in ("Human Services", "Public Works", "Human Services"):
            contract = factories.make_contract(department=department, priorities=[factories.make_priority()])
            metric = factories.make_metric(contract)
            factories.make_reading(metric, contract.start_date, 21)
            factories.make_milestone(contract)
            factories.make_flag(contract, metric=metric, period_start=contract.start_date)
        db.session.commit()
        before = _row_counts(set(inspect(db.engine).get_table_names()) - {"alembic_version"})
        open_counts = db.session.execute(text("SELECT SUM(open_flags_high + open_flags_medium + open_flags_low) FROM contracts")).scalar()
        db.session.remove()

        downgrade(revision="0a2901dfe4be")
        # The tables that were there before the departments (later migrations' tables go too).
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert "contracts" in tables and "departments" not in tables
        before = {table: count for table, count in before.items() if table in tables}
        assert _row_counts(tables) == before
        db.session.remove()
        upgrade()
        assert _row_counts(tables) == before
        names = db.session.execute(text(
            "SELECT d.name, COUNT(*) FROM contracts c JOIN departments d ON d.id = c.department_id GROUP BY d.name ORDER BY d.name"
        )).all()
        assert [tuple(row) for row in names] == [("Human Services", 2), ("Public Works", 1)]
        counted = text("SELECT SUM(open_flags_high + open_flags_medium + open_flags_low) FROM contracts")
        assert db.session.execute(counted).scalar() == open_counts == 3
        # The flag-count triggers are back: a new flag is counted.
        contract = db.session.scalars(select(Contract).order_by(Contract.id)).first()
        factories.make_flag(contract, kind="overdue", period_start=contract.start_date)
        assert db.session.execute(counted).scalar() == 4
        db.session.remove()
        db.engine.dispose()
