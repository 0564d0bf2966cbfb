"""Signing in and out, inactive users, the `next` redirect, anonymous users, password hashing."""
import pytest

from contracts_app.auth.models import User
from contracts_app.auth.services import create_user
from tests.factories import PASSWORD


def test_it_shows_the_sign_in_page_to_anonymous_users(client):
    response = client.get("/login")

    assert response.status_code == 200
    assert 'name="password"' in response.get_data(as_text=True)


def test_it_signs_in_and_goes_home(client, auth, factory):
    user = factory.make_user("viewer")

    response = auth.login(user)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/priorities").status_code == 200


def test_it_signs_in_whatever_the_case_of_the_email(client, factory):
    factory.make_user("viewer", email="ana.ruiz@city.test")

    response = client.post("/login", data={"email": "  Ana.Ruiz@City.TEST ", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/priorities").status_code == 200


def test_it_records_the_sign_in_time(db, auth, factory):
    user = factory.make_user("viewer")

    auth.login(user)

    db.session.refresh(user)
    assert user.last_login_at is not None


def test_it_refuses_a_wrong_password(client, auth, factory):
    user = factory.make_user("viewer")

    response = auth.login(user, password="not-the-password")

    assert response.status_code == 200
    assert "Email or password is not right" in response.get_data(as_text=True)
    assert client.get("/priorities").status_code == 302


def test_it_refuses_an_unknown_email_with_the_same_message(client):
    response = client.post("/login", data={"email": "nobody@city.test", "password": PASSWORD})

    assert response.status_code == 200
    assert "Email or password is not right" in response.get_data(as_text=True)


def test_it_refuses_an_inactive_user(client, auth, factory):
    user = factory.make_user("admin", active=False)

    response = auth.login(user)

    assert response.status_code == 200
    assert "Email or password is not right, or the account is inactive." in response.get_data(as_text=True)
    assert client.get("/priorities").status_code == 302


def test_it_ends_the_session_of_a_user_deactivated_while_signed_in(db, client, auth, factory):
    user = factory.make_user("viewer")
    auth.login(user)

    user.active = False
    db.session.commit()

    response = client.get("/priorities")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("form", [{}, {"email": "a@city.test"}, {"password": "x"}, {"email": "", "password": ""}])
def test_it_asks_for_the_missing_fields(client, form):
    response = client.post("/login", data=form)

    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)


def test_it_redirects_a_signed_in_user_away_from_the_sign_in_page(client, auth, factory):
    auth.login(factory.make_user("viewer"))

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_it_signs_out_on_post(client, auth, factory):
    auth.login(factory.make_user("viewer"))

    response = auth.logout()

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/priorities").status_code == 302


def test_it_does_not_sign_out_on_get(client, auth, factory):
    auth.login(factory.make_user("viewer"))

    response = client.get("/logout")

    assert response.status_code == 405
    assert client.get("/priorities").status_code == 200


def test_it_offers_sign_out_as_a_form(client, auth, factory):
    auth.login(factory.make_user("viewer"))

    page = client.get("/priorities").get_data(as_text=True)

    assert '<form method="post" action="/logout"' in page


@pytest.mark.parametrize("target", ["/priorities", "/audit?type=contract&page=2"])
def test_it_follows_next_to_a_same_site_path(client, factory, target):
    user = factory.make_user("admin")

    response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "http://evil.example",
        "https://evil.example/login",
        "//evil.example",
        "///evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_it_refuses_next_to_another_site(client, factory, target):
    user = factory.make_user("admin")

    response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_it_refuses_next_with_a_backslash(client, factory):
    user = factory.make_user("admin")

    response = client.post(
        "/login", query_string={"next": "/\\evil.example"}, data={"email": user.email, "password": PASSWORD}
    )

    assert response.headers["Location"] == "/"


def test_it_sends_anonymous_users_to_sign_in_with_next(client):
    response = client.get("/priorities?x=1")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "priorities" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    ["/", "/contracts", "/vendors", "/priorities", "/priorities/new", "/priorities/1", "/audit", "/users", "/users/new", "/users/1/edit"],
)
def test_it_sends_anonymous_users_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/priorities/new", "/users/new"])
def test_it_refuses_anonymous_posts(client, db, path):
    response = client.post(path, data={"name": "x", "outcome": "y", "email": "x@city.test", "role": "admin", "password": "long-enough-1"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert db.session.query(User).count() == 0


def test_it_stores_passwords_hashed(db):
    user = create_user("hash@city.test", "Hash", "viewer", "a-clear-password")

    stored = db.session.get(User, user.id).password_hash
    assert "a-clear-password" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password("a-clear-password")
    assert not user.check_password("a-clear-passwore")


def test_it_salts_each_hash(db):
    one = create_user("one@city.test", "One", "viewer", "same-password")
    two = create_user("two@city.test", "Two", "viewer", "same-password")

    assert one.password_hash != two.password_hash
