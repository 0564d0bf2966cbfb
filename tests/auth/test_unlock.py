"""An admin lifts a sign-in lock: the users pages show it, Unlock clears it (audited), others are refused."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from tests.conftest import csrf_token
from tests.factories import PASSWORD

NON_ADMINS = ["procurement_officer", "contract_manager", "cdo", "viewer"]


@pytest.fixture
def locked(db, client, factory):
    """A viewer locked out by ten wrong passwords (through the sign-in page, as it happens)."""
    user = factory.make_user("viewer", email="locked.out@city.test", name="Locked Out")
    for _ in range(10):
        client.post("/login", data={"email": user.email, "password": "wrong-password-here"})
    db.session.refresh(user)
    assert user.locked_until is not None and user.failed_sign_ins == 10
    return user


def test_the_users_list_and_the_user_page_show_the_lock(client_as, locked):
    admin = client_as("admin")

    listing = admin.get("/users").get_data(as_text=True)
    page = admin.get(f"/users/{locked.id}/edit").get_data(as_text=True)

    assert "Locked until" in listing
    assert "Locked until" in page
    assert f'action="/users/{locked.id}/unlock"' in page


def test_an_admin_unlocks_an_account_and_it_is_audited(db, app, client_as, users, locked):
    response = client_as("admin").post(f"/users/{locked.id}/unlock")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{locked.id}/edit"
    db.session.refresh(locked)
    assert (locked.locked_until, locked.failed_sign_ins, locked.failure_window_started_at) == (None, 0, None)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "user", AuditEvent.entity_id == locked.id))
    assert event.actor_id == users["admin"].id
    assert event.summary == "Unlocked sign-in for locked.out@city.test"
    assert event.before["locked_until"] is not None and event.after == {"locked_until": None}
    assert "Unlocked sign-in for locked.out@city.test" in client_as("admin").get("/audit").get_data(as_text=True)
    # The right password works again at once.
    assert app.test_client().post("/login", data={"email": locked.email, "password": PASSWORD}).status_code == 302


def test_the_unlocked_page_no_longer_shows_the_lock(client_as, locked):
    admin = client_as("admin")
    admin.post(f"/users/{locked.id}/unlock")

    page = admin.get(f"/users/{locked.id}/edit", follow_redirects=True).get_data(as_text=True)

    assert "Locked until" not in page


def test_unlocking_an_account_that_is_not_locked_says_so_and_changes_nothing(db, client_as, factory):
    user = factory.make_user("viewer")

    response = client_as("admin").post(f"/users/{user.id}/unlock", follow_redirects=True)

    assert "is not locked" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "user")) is None


def test_a_lock_that_has_run_out_is_not_shown(db, client_as, locked):
    locked.locked_until = utcnow() - timedelta(minutes=1)
    db.session.commit()

    page = client_as("admin").get(f"/users/{locked.id}/edit").get_data(as_text=True)

    assert "Locked until" not in page


@pytest.mark.parametrize("role", NON_ADMINS)
def test_other_roles_cannot_unlock(db, client_as, locked, role):
    response = client_as(role).post(f"/users/{locked.id}/unlock")

    assert response.status_code == 403
    db.session.refresh(locked)
    assert locked.locked_until is not None


def test_signed_out_visitors_cannot_unlock(db, client, locked):
    response = client.post(f"/users/{locked.id}/unlock")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.refresh(locked)
    assert locked.locked_until is not None


def test_unlocking_an_unknown_user_is_a_404(client_as):
    assert client_as("admin").post("/users/999999/unlock").status_code == 404


def test_unlock_needs_the_csrf_token(csrf_app):
    from contracts_app.extensions import db
    from tests import factories

    admin = factories.make_user("admin", email="csrf.admin@city.test")
    target = factories.make_user("viewer", email="csrf.target@city.test")
    target.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}).status_code == 302

    refused = client.post(f"/users/{target.id}/unlock")
    page = client.get(f"/users/{target.id}/edit").get_data(as_text=True)
    accepted = client.post(f"/users/{target.id}/unlock", data={"csrf_token": csrf_token(page)})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    db.session.refresh(target)
    assert target.locked_until is None


def test_flask_users_unlock_lifts_the_lock_and_is_audited(db, runner, locked):
    result = runner.invoke(args=["users", "unlock", "Locked.Out@city.test"])

    assert result.exit_code == 0, result.output
    assert "locked.out@city.test may sign in again." in result.output
    db.session.expire_all()
    assert db.session.get(type(locked), locked.id).locked_until is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == locked.id))
    assert event.actor_id is None and event.summary == "Unlocked sign-in for locked.out@city.test"


def test_flask_users_unlock_refuses_an_unknown_or_unlocked_user(db, runner, factory):
    factory.make_user("viewer", email="free@city.test")

    unknown = runner.invoke(args=["users", "unlock", "nobody@city.test"])
    unlocked = runner.invoke(args=["users", "unlock", "free@city.test"])

    assert unknown.exit_code != 0 and "No user has the email nobody@city.test" in unknown.output
    assert unlocked.exit_code != 0 and "free@city.test is not locked" in unlocked.output
