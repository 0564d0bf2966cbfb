"""The end of a request's transaction: a read-only one is committed on PostgreSQL (so that the
driver keeps its prepared statements), one that wrote is still rolled back."""
import pytest
from sqlalchemy import select, text, update

from contracts_app.auth.models import User
from contracts_app.db_utils import end_read_only_transaction


def test_a_transaction_that_wrote_is_not_committed_at_the_end(db, factory):
    user = factory.make_user("viewer", name="Before")
    db.session.execute(update(User).where(User.id == user.id).values(name="Written, not committed"))
    end_read_only_transaction()
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Before"

    user.name = "Pending"  # unflushed
    end_read_only_transaction()
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Before"


def test_a_read_only_request_keeps_the_connections_prepared_statements(app, db, backend, factory, users):
    if backend != "postgresql":
        pytest.skip("prepared statements are psycopg's")
    from tests.api.conftest import ApiClient, make_token

    contract_id = factory.make_contract().id
    client = ApiClient(app, make_token(users["viewer"]))
    db.session.remove()
    for _ in range(8):  # psycopg prepares a statement on its fifth execution
        assert client.get(f"/contracts/{contract_id}").status_code == 200
    prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared > 0
