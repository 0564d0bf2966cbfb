"""`flask db backup FILE` / `flask db restore FILE`: SQLite's online backup API; a file that is
not a backup of this app is refused and nothing changes; PostgreSQL is pointed to pg_dump."""
import shutil
import sqlite3

import pytest

from contracts_app.extensions import db
from contracts_app.operations.backup import table_counts


@pytest.fixture
def sqlite_path(app, at_head):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's backup commands (PostgreSQL: test_it_points_postgresql_to_pg_dump)")
    db.session.commit()
    return db.engine.url.database


@pytest.fixture
def city(factory):
    contract = factory.make_contract()
    metric = factory.make_metric(contract)
    from datetime import date

    factory.make_reading(metric, date(2025, 8, 1), 20)
    factory.make_user("viewer")
    return contract


def _counts(path):
    db.session.remove()
    db.engine.dispose()  # the WAL checkpointed, so the file's own reader sees every commit
    return table_counts(path)


def test_it_backs_up_and_restores_the_same_rows(runner, sqlite_path, city, factory, tmp_path):
    backup = tmp_path / "rdc-backup.sqlite3"
    at_backup = _counts(sqlite_path)
    assert at_backup["contracts"] == 1 and at_backup["readings"] == 1

    result = runner.invoke(args=["db", "backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert table_counts(str(backup)) == at_backup

    factory.make_contract()  # written after the backup
    factory.make_user("cdo")
    assert _counts(sqlite_path)["contracts"] == 2

    restored = runner.invoke(args=["db", "restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "1 contracts, 1 readings" in restored.output
    assert _counts(sqlite_path) == at_backup


def test_a_backup_is_consistent_while_another_connection_writes(runner, sqlite_path, city, tmp_path):
    at_start = _counts(sqlite_path)
    writer = sqlite3.connect(sqlite_path)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM readings")  # not committed while the backup runs
        result = runner.invoke(args=["db", "backup", str(tmp_path / "during.sqlite3")])
        writer.commit()
    finally:
        writer.close()
    assert result.exit_code == 0, result.output
    assert table_counts(str(tmp_path / "during.sqlite3"))["readings"] == at_start["readings"] == 1


def test_it_asks_before_restoring(runner, sqlite_path, city, factory, tmp_path):
    backup = tmp_path / "b.sqlite3"
    runner.invoke(args=["db", "backup", str(backup)])
    factory.make_contract()
    before = _counts(sqlite_path)

    declined = runner.invoke(args=["db", "restore", str(backup)], input="n\n")

    assert declined.exit_code != 0 and "Replace every row of" in declined.output
    assert _counts(sqlite_path) == before

    accepted = runner.invoke(args=["db", "restore", str(backup)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert _counts(sqlite_path)["contracts"] == 1


def test_it_will_not_overwrite_a_file(runner, sqlite_path, tmp_path):
    existing = tmp_path / "exists.sqlite3"
    existing.write_bytes(b"keep me")
    result = runner.invoke(args=["db", "backup", str(existing)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert existing.read_bytes() == b"keep me"


def _not_this_apps_database(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    connection.commit()
    connection.close()


def _unknown_revision(runner, tmp_path):
    path = tmp_path / "newer.sqlite3"
    runner.invoke(args=["db", "backup", str(path)])
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    connection.commit()
    connection.close()
    return path


@pytest.mark.parametrize("kind, message", [
    ("missing", "is not a file"),
    ("text", "is not a SQLite database"),
    ("truncated", "cannot be read as a SQLite database"),
    ("other app", "is not a database of this app"),
    ("newer", "at a schema revision this release does not know"),
])
def test_it_refuses_a_file_that_is_not_a_backup_of_this_app(runner, sqlite_path, city, tmp_path, kind, message):
    path = tmp_path / f"{kind.replace(' ', '-')}.sqlite3"
    if kind == "text":
        path.write_text("reference,title\nC-1,Not a database\n")
    elif kind == "truncated":
        good = tmp_path / "good.sqlite3"
        runner.invoke(args=["db", "backup", str(good)])
        path.write_bytes(good.read_bytes()[:4096 + 100])
    elif kind == "other app":
        _not_this_apps_database(path)
    elif kind == "newer":
        path = _unknown_revision(runner, tmp_path)
    before = _counts(sqlite_path)
    saved = tmp_path / "before.sqlite3"
    shutil.copyfile(sqlite_path, saved)

    result = runner.invoke(args=["db", "restore", str(path), "--yes"])

    assert result.exit_code != 0
    assert message in result.output and "Nothing was changed" in result.output
    assert _counts(sqlite_path) == before
    assert open(sqlite_path, "rb").read() == saved.read_bytes()


def test_it_points_postgresql_to_pg_dump(app, runner, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    for args in (["db", "backup", str(tmp_path / "x")], ["db", "restore", str(tmp_path / "x"), "--yes"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "pg_dump" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "x").exists()


def test_a_restore_that_cannot_get_the_database_changes_nothing(runner, sqlite_path, city, factory, tmp_path):
    from contracts_app.operations.backup import restore_sqlite

    backup = tmp_path / "b.sqlite3"
    runner.invoke(args=["db", "backup", str(backup)])
    factory.make_contract()
    before = _counts(sqlite_path)
    writer = sqlite3.connect(sqlite_path)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        with pytest.raises(sqlite3.OperationalError):
            restore_sqlite(str(backup), sqlite_path, busy_timeout=0.2)
    finally:
        writer.rollback()
        writer.close()
    assert _counts(sqlite_path) == before
