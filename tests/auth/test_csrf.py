"""CSRF protection, as configured in production (it is off in TestingConfig for convenience)."""
import pytest

from contracts_app.auth.models import User
from contracts_app.extensions import db as _db
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def csrf_user(csrf_app):
    return factories.make_user("admin")


def test_it_puts_a_csrf_token_in_the_sign_in_form(csrf_app):
    page = csrf_app.test_client().get("/login").get_data(as_text=True)

    assert csrf_token(page)


def test_it_refuses_a_sign_in_without_thecsrf_token(csrf_app, csrf_user):
    client = csrf_app.test_client()

    response = client.post("/login", data={"email": csrf_user.email, "password": factories.PASSWORD})

    _db.session.expire_all()
    assert response.status_code == 400
    assert _db.session.get(User, csrf_user.id).last_login_at is None
    assert client.get("/priorities").status_code == 302


def test_it_refuses_a_sign_in_with_a_forgedcsrf_token(csrf_app, csrf_user):
    client = csrf_app.test_client()
    client.get("/login")

    response = client.post(
        "/login", data={"email": csrf_user.email, "password": factories.PASSWORD, "csrf_token": "forged"}
    )

    assert response.status_code == 400


def test_it_signs_in_with_thecsrf_token(csrf_app, csrf_user):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))

    response = client.post(
        "/login", data={"email": csrf_user.email, "password": factories.PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 302
    assert client.get("/priorities").status_code == 200


def test_it_refuses_a_sign_out_without_thecsrf_token(csrf_app, csrf_user):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": csrf_user.email, "password": factories.PASSWORD, "csrf_token": token})

    response = client.post("/logout")

    assert response.status_code == 400
    assert client.get("/priorities").status_code == 200


def test_it_refuses_a_form_post_without_thecsrf_token(csrf_app, csrf_user):
    from contracts_app.priorities.models import Priority

    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": csrf_user.email, "password": factories.PASSWORD, "csrf_token": token})

    response = client.post("/priorities/new", data={"name": "Forged", "outcome": "x", "owner_id": "0"})

    assert response.status_code == 400
    assert _db.session.query(Priority).count() == 0
