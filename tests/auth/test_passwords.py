"""The password rules (auth.passwords): at least 12 characters, not whitespace only, not a common
password; the same rules in the user admin forms, the services, and `flask users ...`."""
import pytest
from sqlalchemy import select

from contracts_app.auth.models import User
from contracts_app.auth.passwords import common_passwords, password_problem
from contracts_app.auth.services import UserError, create_user
from contracts_app.demo.loader import DEFAULT_PASSWORD
from tests.factories import PASSWORD

COMMON = "This password is too common"


@pytest.mark.parametrize("password, message", [
    ("", "at least 12 characters"),
    ("elevenchars", "at least 12 characters"),
    ("x" * 201, "at most 200 characters"),
    (" " * 12, "only spaces"),
    ("\t \n" * 5, "only spaces"),
    ("password1234", COMMON),
    ("PassWord1234", COMMON),  # case does not matter
    ("  password1234  ", COMMON),
    ("passwordpassword", COMMON),
    ("iloveyou2026!", COMMON),
    ("qwertyuiop12", COMMON),
    ("123456789012", COMMON),
    ("aaaaaaaaaaaa", COMMON),
    ("abcdefghijklmn", COMMON),
    ("1q2w3e4r5t6y", COMMON),
    ("correcthorsebatterystaple", COMMON),
])
def test_it_refuses(password, message):
    assert message in password_problem(password)


@pytest.mark.parametrize("password", [DEFAULT_PASSWORD, PASSWORD, "twelve chars", "a long enough password", "Tq8#mZ2!vR9p"])
def test_it_accepts(password):
    assert password_problem(password) is None


def test_the_demo_password_is_valid():
    assert DEFAULT_PASSWORD == "rdc-demo-2026" and password_problem(DEFAULT_PASSWORD) is None


def test_the_shipped_list_is_read_lower_cased():
    passwords = common_passwords()
    assert len(passwords) >= 500
    assert "password" in passwords and "iloveyou" in passwords
    assert all(entry == entry.lower() and not entry.startswith("#") for entry in passwords)


def test_the_service_refuses_a_common_password(db):
    with pytest.raises(UserError, match=COMMON) as error:
        create_user("ops@city.test", "Ops", "viewer", "Password123456")
    assert error.value.field == "password"
    assert db.session.scalar(select(User).where(User.email == "ops@city.test")) is None


@pytest.fixture
def admin_client(app, users):
    client = app.test_client()
    client.post("/login", data={"email": users["admin"].email, "password": PASSWORD})
    return client


@pytest.mark.parametrize("password, message", [("password1234", COMMON), (" " * 14, "only spaces"), ("short", "at least 12")])
def test_the_new_user_form_applies_the_rules(db, admin_client, password, message):
    response = admin_client.post("/users/new", data={
        "email": "new@city.test", "name": "New", "role": "viewer", "active": "y", "password": password})

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "new@city.test")) is None


@pytest.mark.parametrize("password, message", [("qwerty123456", COMMON), (" " * 14, "only spaces")])
def test_the_edit_form_applies_the_rules(db, admin_client, factory, password, message):
    user = factory.make_user("viewer")

    response = admin_client.post(f"/users/{user.id}/edit", data={
        "email": user.email, "name": user.name, "role": user.role, "active": "y", "password": password})

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_the_cli_create_applies_the_rules(runner, db):
    result = runner.invoke(args=["users", "create", "ops@city.test", "--role", "viewer"],
                           env={"RDC_PASSWORD": "letmein12345"})

    assert result.exit_code != 0 and COMMON in result.output
    assert db.session.scalar(select(User).where(User.email == "ops@city.test")) is None


def test_the_cli_sets_a_new_password_with_the_rules(runner, db, factory):
    user = factory.make_user("viewer", email="ops@city.test")

    refused = runner.invoke(args=["users", "set-password", "OPS@city.test"], env={"RDC_PASSWORD": "welcome12345"})
    assert refused.exit_code != 0 and COMMON in refused.output

    done = runner.invoke(args=["users", "set-password", "ops@city.test"], env={"RDC_PASSWORD": "a-brand-new-long-one"})
    assert done.exit_code == 0, done.output
    assert "sessions have ended" in done.output
    db.session.refresh(user)
    assert user.check_password("a-brand-new-long-one")

    unknown = runner.invoke(args=["users", "set-password", "nobody@city.test"], env={"RDC_PASSWORD": "a-brand-new-long-one"})
    assert unknown.exit_code != 0 and "No user has the email nobody@city.test" in unknown.output
