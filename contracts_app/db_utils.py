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
