"""Small database helpers that differ by dialect."""
from sqlalchemy.dialects import postgresql, sqlite

from contracts_app.extensions import db


def insert_ignoring_conflicts(model, values, conflict_columns):
    """INSERT ... ON CONFLICT (conflict_columns) DO NOTHING RETURNING id.

    Returns the new row's id, or None when a row with the same unique key already exists
    (inserted by this or another process). This is how the sweep *claims* a flag or a
    notification: only the caller that gets an id goes on, so concurrent runs act once.
    On PostgreSQL a concurrent insert of the same key waits for the other transaction and
    then does nothing, so there is no race window.
    """
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(model.id)
    )
    return db.session.execute(statement).scalar_one_or_none()


def max_parameters():
    """Bound parameters one statement may carry on this database (with some headroom).

    SQLite allows 32,766 since 3.32 (the app needs >= 3.35 anyway, for RETURNING); PostgreSQL's
    wire protocol allows 65,535.
    """
    return 32000 if db.session.get_bind().dialect.name == "sqlite" else 60000


def rows_per_statement(columns, cap=1000):
    """How many rows of ``columns`` values fit in one statement's parameters."""
    return max(1, min(cap, max_parameters() // max(1, columns)))


def insert_many_ignoring_conflicts(model, rows, conflict_columns, returning):
    """Multi-row INSERT ... ON CONFLICT (conflict_columns) DO NOTHING RETURNING returning.

    The batch form of ``insert_ignoring_conflicts``: returns the ``returning`` values of the
    rows this call inserted (a row whose key already exists, or arrives twice, is skipped and
    not returned), so the caller can act only on what it claimed. Rows go in the order given
    (two concurrent callers inserting sorted keys wait for each other instead of deadlocking:
    on PostgreSQL a conflicting insert waits for the other transaction, then does nothing).
    Every row must carry the same keys. Sent in batches that stay under the parameter limit.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    statement = (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(*(table.c[name] for name in returning))
    )
    # An executemany with RETURNING: SQLAlchemy compiles the one-row statement once and sends
    # the rows as multi-row VALUES batches ("insertmanyvalues"), sized here to the limit.
    return db.session.execute(
        statement.execution_options(insertmanyvalues_page_size=rows_per_statement(len(rows[0]))),
        rows,
    ).all()
