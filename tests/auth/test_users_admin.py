"""The users admin pages: admin only; create, edit, and the mistakes they refuse."""
import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import User
from tests.factories import PASSWORD

NON_ADMINS = ["procurement_officer", "contract_manager", "cdo", "viewer"]
# The form validates addresses with email_validator, which refuses reserved names such as
# ".test" (the factories' default), so users edited through the form get a real-looking domain.
DOMAIN = "demo.city"


@pytest.fixture
def admin(factory):
    return factory.make_user("admin", email=f"the.admin@{DOMAIN}")


@pytest.fixture
def admin_client(client_as, admin):
    return client_as("admin", user=admin)


@pytest.fixture
def target(factory):
    return factory.make_user("viewer", email=f"target@{DOMAIN}", name="Target Person")


def _count(db, model=User):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _new_user(**overrides):
    data = {"email": f"new.person@{DOMAIN}", "name": "New Person", "role": "contract_manager",
            "active": "y", "password": "long-enough-pw"}
    data.update(overrides)
    return data


def test_it_lists_users_for_admins(client_as, users):
    response = client_as("admin").get("/users")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for user in users.values():
        assert user.email in page


@pytest.mark.parametrize("role", NON_ADMINS)
@pytest.mark.parametrize("path", ["/users", "/users/new", "/users/{id}/edit"])
def test_it_forbids_the_users_pages_to_other_roles(client_as, users, role, path):
    response = client_as(role).get(path.format(id=users["viewer"].id))

    assert response.status_code == 403


@pytest.mark.parametrize("role", NON_ADMINS)
def test_it_forbids_other_roles_to_create_users(db, client_as, role):
    before = _count(db)

    response = client_as(role).post("/users/new", data=_new_user(role="admin"))

    assert response.status_code == 403
    assert _count(db) == before


@pytest.mark.parametrize("role", NON_ADMINS)
def test_it_forbids_other_roles_to_promote_themselves(db, client_as, users, role):
    me = users[role]

    response = client_as(role).post(f"/users/{me.id}/edit", data=_new_user(email=me.email, role="admin"))

    db.session.refresh(me)
    assert response.status_code == 403
    assert me.role == role


def test_it_creates_a_user(db, admin_client):
    response = admin_client.post("/users/new", data=_new_user(email="New.Person@Demo.City"))

    user = db.session.scalar(select(User).where(User.email == f"new.person@{DOMAIN}"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/users"
    assert (user.name, user.role, user.active) == ("New Person", "contract_manager", True)
    assert user.check_password("long-enough-pw")


def test_it_lets_a_new_user_sign_in(admin_client, client):
    admin_client.post("/users/new", data=_new_user())

    response = client.post("/login", data={"email": f"new.person@{DOMAIN}", "password": "long-enough-pw"})

    assert response.status_code == 302


def test_it_audits_a_new_user_without_the_password(db, admin_client, admin):
    admin_client.post("/users/new", data=_new_user())

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "user"))
    assert (event.action, event.actor_id) == ("create", admin.id)
    assert event.after["email"] == f"new.person@{DOMAIN}"
    assert "password_hash" not in event.after
    assert "long-enough-pw" not in str(event.after)


@pytest.mark.parametrize("email", ["target@demo.city", "TARGET@Demo.City"])
def test_it_refuses_a_duplicate_email(db, admin_client, target, email):
    client = admin_client
    before = _count(db), _count(db, AuditEvent)

    response = client.post("/users/new", data=_new_user(email=email))

    assert response.status_code == 200
    assert "A user with this email already exists." in response.get_data(as_text=True)
    assert (_count(db), _count(db, AuditEvent)) == before


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"password": "short"}, "Use a password of at least 12 characters."),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"email": ""}, "This field is required."),
        ({"name": ""}, "This field is required."),
        ({"role": "superuser"}, "Not a valid choice."),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(db, admin_client, overrides, message):
    client = admin_client
    before = _count(db), _count(db, AuditEvent)

    response = client.post("/users/new", data=_new_user(**overrides))

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (_count(db), _count(db, AuditEvent)) == before


def test_it_refuses_a_new_user_without_a_password(db, admin_client):
    before = _count(db), _count(db, AuditEvent)

    response = admin_client.post("/users/new", data=_new_user(password=""))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A new user needs a password." in page
    assert (_count(db), _count(db, AuditEvent)) == before


def test_it_edits_a_user_and_keeps_the_password_when_left_empty(db, admin_client, target):
    response = admin_client.post(
        f"/users/{target.id}/edit", data=_new_user(email=target.email, name="Renamed", role="cdo", password="")
    )

    db.session.refresh(target)
    assert response.status_code == 302
    assert (target.name, target.role) == ("Renamed", "cdo")
    assert target.check_password(PASSWORD)


def test_it_deactivates_a_user(db, admin_client, target):
    data = _new_user(email=target.email, name=target.name, role=target.role, password="")
    del data["active"]  # an unchecked box is not sent

    admin_client.post(f"/users/{target.id}/edit", data=data)

    db.session.refresh(target)
    assert target.active is False


def test_it_refuses_a_duplicate_email_on_edit(db, admin_client, admin, target):
    response = admin_client.post(f"/users/{target.id}/edit", data=_new_user(email=admin.email, password=""))

    db.session.refresh(target)
    assert response.status_code == 200
    assert "A user with this email already exists." in response.get_data(as_text=True)
    assert target.email == f"target@{DOMAIN}"


def test_it_refuses_to_let_an_admin_deactivate_themselves(db, admin_client, admin):
    me = admin
    data = _new_user(email=me.email, name=me.name, role="admin", password="")
    del data["active"]

    response = admin_client.post(f"/users/{me.id}/edit", data=data)

    db.session.refresh(me)
    assert response.status_code == 200
    assert "You cannot deactivate yourself" in response.get_data(as_text=True)
    assert me.active is True


def test_it_refuses_to_let_an_admin_change_their_own_role(db, admin_client, admin):
    response = admin_client.post(
        f"/users/{admin.id}/edit", data=_new_user(email=admin.email, name=admin.name, role="viewer", password="")
    )

    db.session.refresh(admin)
    assert response.status_code == 200
    assert "change your own role" in response.get_data(as_text=True)
    assert admin.role == "admin"


def test_it_returns_404_for_an_unknown_user(admin_client):
    assert admin_client.get("/users/999999/edit").status_code == 404


def test_it_accepts_intranet_email_domains_like_the_cli_does(db, admin_client):
    response = admin_client.post("/users/new", data=_new_user(email="clerk@cityhall.local"))
    assert response.status_code == 302
    assert db.session.scalar(db.select(User).where(User.email == "clerk@cityhall.local")) is not None
