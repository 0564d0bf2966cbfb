"""`flask users create EMAIL --role ROLE`, with the password from RDC_PASSWORD."""
from sqlalchemy import func, select

from contracts_app.auth.models import User


def _create(runner, *args, password="a-long-password"):
    env = {"RDC_PASSWORD": password} if password is not None else {}
    return runner.invoke(args=["users", "create", *args], env=env)


def _user(db, email):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


def test_it_creates_a_user_with_the_password_from_the_environment(runner, db):
    result = _create(runner, "ops@city.test", "--role", "procurement_officer")

    user = _user(db, "ops@city.test")
    assert result.exit_code == 0, result.output
    assert "Created ops@city.test (procurement_officer)." in result.output
    assert user.role == "procurement_officer"
    assert user.active is True
    assert user.check_password("a-long-password")
    assert "a-long-password" not in user.password_hash


def test_it_lets_the_new_user_sign_in(runner, client):
    _create(runner, "ops@city.test", "--role", "viewer")

    response = client.post("/login", data={"email": "ops@city.test", "password": "a-long-password"})

    assert response.status_code == 302


def test_it_sets_the_name_when_given(runner, db):
    _create(runner, "ana@city.test", "--role", "cdo", "--name", "Ana Ruiz")

    assert _user(db, "ana@city.test").name == "Ana Ruiz"


def test_it_prompts_for_the_password_without_the_environment_variable(runner, db):
    result = runner.invoke(args=["users", "create", "typed@city.test", "--role", "viewer"],
                           input="typed-password\ntyped-password\n", env={"RDC_PASSWORD": ""})

    assert result.exit_code == 0, result.output
    assert _user(db, "typed@city.test").check_password("typed-password")


def test_it_refuses_a_duplicate_email(runner, db, factory):
    factory.make_user("viewer", email="taken@city.test")
    before = _count(db)

    result = _create(runner, "Taken@City.test", "--role", "admin")

    assert result.exit_code != 0
    assert "A user with this email already exists." in result.output
    assert _count(db) == before
    assert _user(db, "taken@city.test").role == "viewer"


def test_it_refuses_an_unknown_role(runner, db):
    result = _create(runner, "who@city.test", "--role", "superuser")

    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output
    assert _count(db) == 0


def test_it_refuses_a_short_password(runner, db):
    result = _create(runner, "short@city.test", "--role", "viewer", password="short")

    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert _count(db) == 0


def test_it_refuses_a_malformed_email(runner, db):
    result = _create(runner, "not-an-email", "--role", "viewer")

    assert result.exit_code != 0
    assert "valid email" in result.output
    assert _count(db) == 0
