"""`flask --app run db backup FILE` and `flask --app run db restore FILE [--yes]`, added to
Flask-Migrate's `db` group: SQLite through the online backup API; on PostgreSQL they point to
pg_dump / pg_restore."""
import sqlite3

import click
from flask_migrate.cli import db as db_group

from contracts_app.extensions import db
from contracts_app.operations.backup import PG_ADVICE, BackupError, backup_sqlite, check_backup, restore_sqlite, table_counts
from contracts_app.operations.queries import migration_heads


def _sqlite_path():
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(PG_ADVICE)
    if not url.database or url.database == ":memory:":
        raise click.ClickException("The database is in memory: there is nothing to back up or restore.")
    return url.database


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file):
    """Copy the SQLite database to FILE, safely while the app runs."""
    path = _sqlite_path()
    try:
        counts = backup_sqlite(path, file)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Backed up {path} to {file}: {sum(counts.values())} rows in {len(counts)} tables.")


@db_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file, yes):
    """Replace the SQLite database with the backup FILE (a backup of this app)."""
    path = _sqlite_path()
    try:
        revision = check_backup(file)
    except BackupError as error:
        raise click.ClickException(f"{error} Nothing was changed.")
    counts = table_counts(file)
    summary = ", ".join(f"{counts.get(name, 0)} {name}" for name in ("contracts", "readings", "users"))
    if not yes:
        click.confirm(f"Replace every row of {path} with {file} ({summary})?", abort=True)
    db.session.remove()
    db.engine.dispose()  # this process's connections: the restore is then the only writer here
    try:
        restore_sqlite(file, path)
    except (BackupError, sqlite3.Error) as error:
        # The copy is one transaction on the live database: it failed as a whole.
        raise click.ClickException(f"Could not restore ({error}); the database was not changed. "
                                   "Stop the web app and the scheduler, then try again.")
    click.echo(f"Restored {file} into {path} ({summary}).")
    if revision not in migration_heads():
        click.echo(f"The backup's schema is at revision {revision}: run `flask --app run db upgrade` before starting the app.")
