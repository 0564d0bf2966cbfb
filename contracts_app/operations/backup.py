"""Backups of a SQLite database with sqlite3's online backup API: it copies the database page
by page inside SQLite's own locking, so it is consistent and safe while the web workers and the
scheduler keep reading and writing (a plain file copy of a WAL database is neither).

PostgreSQL is backed up with its own tools (pg_dump / pg_restore; see the README)."""
import os
import sqlite3

from contracts_app.operations.queries import known_revisions

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables a database of this app has whatever its revision (the initial schema's).
REQUIRED_TABLES = {"alembic_version", "users", "contracts", "metrics", "readings"}
PG_ADVICE = (
    "This database is PostgreSQL: back it up with pg_dump and restore it with pg_restore, e.g.\n"
    "  pg_dump --format=custom --file=rdc.dump \"$DATABASE_URL\"\n"
    "  pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" rdc.dump\n"
    "(see the README's Production section)."
)


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


def _open_read_only(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def backup_sqlite(database_path, target_path):
    """Copy the live database at ``database_path`` to a new file ``target_path``.

    Written to a temporary name beside the target and renamed when complete, so a backup that
    was interrupted never passes for a whole one. Refuses to overwrite an existing file."""
    if os.path.exists(target_path):
        raise BackupError(f"{target_path} exists already; choose a new file name.")
    directory = os.path.dirname(os.path.abspath(target_path))
    if not os.path.isdir(directory):
        raise BackupError(f"The folder {directory} does not exist.")
    partial = f"{target_path}.partial"
    source = sqlite3.connect(database_path)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            # A self-contained file: no -wal beside it is needed to read it.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    finally:
        source.close()
    os.replace(partial, target_path)
    return table_counts(target_path)


def check_backup(path):
    """The revision of a backup file of this app, or BackupError saying why it is not one."""
    if not os.path.isfile(path):
        raise BackupError(f"{path} is not a file.")
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database.")
    try:
        connection = _open_read_only(path)
        try:
            if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is a damaged SQLite database (quick_check failed).")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = REQUIRED_TABLES - tables
            if missing:
                raise BackupError(f"{path} is not a database of this app (no {', '.join(sorted(missing))} table).")
            revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a SQLite database ({error}).") from error
    if len(revisions) != 1 or revisions[0] not in known_revisions():
        raise BackupError(
            f"{path} is at a schema revision this release does not know ({', '.join(revisions) or 'none'}): "
            "it was made by a newer release, or is not this app's."
        )
    return revisions[0]


def table_counts(path):
    """{table: rows} of the app's tables in the SQLite file at ``path`` (read-only)."""
    connection = _open_read_only(path)
    try:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        connection.close()


def restore_sqlite(backup_path, database_path, busy_timeout=30):
    """Replace the database at ``database_path`` with the backup, through the backup API (one
    write transaction on the live database: the other processes see the old database or the
    restored one, never a mix). Checks the backup first; returns its revision. Waits up to
    ``busy_timeout`` seconds for another writer to finish, then raises sqlite3.OperationalError
    having changed nothing."""
    revision = check_backup(backup_path)
    source = _open_read_only(backup_path)
    try:
        target = sqlite3.connect(database_path, timeout=busy_timeout)
        try:
            # The backup API retries a busy database for ever; take the write lock first (and
            # give it up again) so that a database held by a long writer is an error here.
            target.execute("BEGIN IMMEDIATE")
            target.rollback()
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    return revision
