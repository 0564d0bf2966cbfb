"""Count the SQL statements a block of code runs (for 'bounded queries per page' tests)."""
from contextlib import contextmanager

from sqlalchemy import event

from contracts_app.extensions import db


class QueryCounter:
    def __init__(self):
        self.statements = []

    @property
    def count(self):
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@contextmanager
def count_queries():
    """with count_queries() as counter: ...; counter.count is the number of statements run."""
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
