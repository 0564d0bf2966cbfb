import pytest
from sqlalchemy import event, func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.priorities.models import Priority


@pytest.fixture
def needs_contract_page(app):
    """Skip while the contracts.detail endpoint (linked from the priority page) is not written yet."""
    if "contracts.detail" not in app.view_functions:
        pytest.skip("contracts.detail does not exist yet")


@pytest.fixture
def count_rows(db):
    def count(model=Priority):
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(model))

    return count


@pytest.fixture
def priority_events(db):
    def events():
        db.session.expire_all()
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "priority").order_by(AuditEvent.id)
        ).all()

    return events


@pytest.fixture
def count_queries(db):
    """count_queries(fn) -> how many SQL statements fn() ran."""

    def run(fn):
        statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len(statements)

    return run
