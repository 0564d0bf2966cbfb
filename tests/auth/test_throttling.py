"""Failed sign-ins: the account lock (10 in 15 minutes locks it for 15, kept in the database so
every worker shares it), the per-address slow-down (429), and no account enumeration (the same
message, and one password hash check for an unknown email as for a known one)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from contracts_app.auth import services
from contracts_app.auth.models import SignInFailure, User
from contracts_app.auth.services import WRONG, authenticate
from contracts_app.extensions import db
from tests.concurrency import run_together
from tests.factories import PASSWORD

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)


def _fail(email, times, now=NOW, address="10.0.0.1", step=timedelta(seconds=1)):
    for index in range(times):
        result = authenticate(email, "not-the-password", address=address, now=now + index * step)
        assert result.user is None
    return result


def test_fifty_wrong_passwords_in_a_row_lock_the_account_and_the_right_one_is_refused(client, factory):
    user = factory.make_user("viewer")
    answers = [client.post("/login", data={"email": user.email, "password": f"wrong-{n}"}) for n in range(12)]

    assert all(answer.status_code == 200 for answer in answers)
    assert "Email or password is not right" in answers[8].get_data(as_text=True)
    assert "locked until" in answers[9].get_data(as_text=True)  # the tenth locks it
    right = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert right.status_code == 200
    assert "Too many failed sign-ins for this account: it is locked until" in right.get_data(as_text=True)
    assert client.get("/priorities").status_code == 302


def test_nine_failures_do_not_lock_and_a_sign_in_resets_the_count(db, factory):
    user = factory.make_user("viewer")
    _fail(user.email, 9)

    assert authenticate(user.email, PASSWORD, now=NOW + timedelta(minutes=1)).user == user
    db.session.refresh(user)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)
    _fail(user.email, 9, now=NOW + timedelta(minutes=2))
    assert authenticate(user.email, PASSWORD, now=NOW + timedelta(minutes=3)).user == user


def test_the_lock_lasts_fifteen_minutes(db, factory):
    user = factory.make_user("viewer")
    last = _fail(user.email, 10)  # the tenth at NOW + 9 s

    assert last.retry_at == NOW + timedelta(seconds=9, minutes=15)
    assert "locked until" in last.message
    still = authenticate(user.email, PASSWORD, now=NOW + timedelta(minutes=15))
    assert still.user is None and still.retry_at == last.retry_at and "locked until 2 Dec 2026, 09:15" in still.message
    assert authenticate(user.email, PASSWORD, now=NOW + timedelta(minutes=15, seconds=9)).user == user


def test_failures_spread_over_more_than_the_window_do_not_lock(db, factory):
    user = factory.make_user("viewer")
    _fail(user.email, 9)
    _fail(user.email, 1, now=NOW + timedelta(minutes=15, seconds=1))  # a new window: the count is 1

    db.session.refresh(user)
    assert user.failed_sign_ins == 1 and user.locked_until is None
    assert authenticate(user.email, PASSWORD, now=NOW + timedelta(minutes=16)).user == user


def test_the_thresholds_come_from_the_settings(app, db, factory):
    app.config.update(SIGN_IN_MAX_FAILURES=3, SIGN_IN_LOCK_MINUTES=60)
    user = factory.make_user("viewer")

    assert _fail(user.email, 3).retry_at == NOW + timedelta(seconds=2, minutes=60)


def test_an_unknown_email_is_locked_just_as_an_account_is(db):
    """Otherwise the lock message would tell which emails have accounts."""
    assert _fail("nobody@city.test", 9).message == WRONG
    tenth = authenticate("nobody@city.test", "x", address="10.0.0.1", now=NOW + timedelta(seconds=9))

    assert tenth.retry_at == NOW + timedelta(seconds=9, minutes=15) and "locked until" in tenth.message
    during = authenticate("nobody@city.test", "x", address="10.0.0.2", now=NOW + timedelta(minutes=10))
    assert during.retry_at == tenth.retry_at
    after = authenticate("nobody@city.test", "x", address="10.0.0.2", now=NOW + timedelta(minutes=15, seconds=10))
    assert after.message == WRONG


def test_one_address_failing_too_often_is_answered_429_with_retry_after(app, client, factory):
    app.config["SIGN_IN_MAX_ADDRESS_FAILURES"] = 5
    user = factory.make_user("viewer")
    elsewhere = app.test_client()
    for n in range(5):  # different accounts, so no account lock: only the address counts
        assert client.post("/login", data={"email": f"guess{n}@city.test", "password": "wrong"}).status_code == 200

    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60 + 1
    assert "Too many failed sign-ins from your address" in refused.get_data(as_text=True)
    assert client.get("/priorities").status_code == 302
    other = elsewhere.post("/login", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 302


def test_the_address_may_try_again_once_its_failures_age_out(app, db):
    app.config["SIGN_IN_MAX_ADDRESS_FAILURES"] = 3
    _fail("a@city.test", 1, address="10.0.0.9")
    _fail("b@city.test", 2, address="10.0.0.9", now=NOW + timedelta(minutes=5))

    throttled = authenticate("c@city.test", "x", address="10.0.0.9", now=NOW + timedelta(minutes=6))
    assert throttled.throttled and throttled.retry_at == NOW + timedelta(minutes=15)
    assert not authenticate("c@city.test", "x", address="10.0.0.9", now=NOW + timedelta(minutes=15, seconds=1)).throttled


def test_the_address_limit_can_be_turned_off(app, db):
    app.config["SIGN_IN_MAX_ADDRESS_FAILURES"] = 0
    _fail("a@city.test", 5, address="10.0.0.9")
    _fail("b@city.test", 5, address="10.0.0.9")

    assert not authenticate("c@city.test", "x", address="10.0.0.9", now=NOW + timedelta(minutes=1)).throttled


def test_old_failures_are_forgotten(db):
    _fail("a@city.test", 3)
    _fail("b@city.test", 1, now=NOW + timedelta(hours=1))

    assert db.session.scalars(select(SignInFailure.email)).all() == ["b@city.test"]


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive"])
def test_every_refusal_reads_the_same(client, factory, case):
    user = factory.make_user("viewer", active=case != "inactive")
    email = "nobody@city.test" if case == "unknown" else user.email
    password = "not-the-password" if case == "wrong" else PASSWORD

    response = client.post("/login", data={"email": email, "password": password})

    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)


@pytest.fixture
def hash_checks(monkeypatch):
    """The password hash checks sign-in runs, as (hash, password) pairs."""
    checks = []
    real = services.check_password_hash

    def counting(hashed, password):
        checks.append((hashed, password))
        return real(hashed, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    return checks


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive", "right", "locked"])
def test_each_attempt_runs_one_hash_check_of_the_real_method_and_cost(db, factory, hash_checks, case):
    user = factory.make_user("viewer", active=case != "inactive")
    if case == "locked":
        _fail(user.email, 10)
        hash_checks.clear()
    email = "nobody@city.test" if case == "unknown" else user.email

    authenticate(email, "not-the-password" if case == "wrong" else PASSWORD, now=NOW + timedelta(minutes=1))

    assert len(hash_checks) == 1
    if case in ("unknown", "locked"):
        hashed = hash_checks[0][0]
        assert hashed == services.dummy_hash()
        # werkzeug's default, as generate_password_hash makes real ones (the factory's test
        # users have cheap hashes only to keep the tests fast).
        assert hashed.startswith("scrypt:32768:8:1$")


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")


def test_failures_at_once_from_many_workers_are_all_counted(postgres_only, app, factory):
    user = factory.make_user("viewer")
    email, runs = user.email, 10
    run_together(app, lambda index: authenticate(
        email, "wrong", address=f"10.1.0.{index}", now=NOW + timedelta(milliseconds=index)
    ), runs=runs)
    count, locked_until = db.session.execute(
        select(User.failed_sign_ins, User.locked_until).where(User.id == user.id)
    ).one()
    assert count == runs and locked_until is not None
    assert authenticate(email, PASSWORD, now=NOW + timedelta(minutes=1)).user is None
