"""Signing out ends the session on the server: a session or remember-me cookie saved before
logout does not work after it. A new password or a deactivation ends the user's sessions too.
And the cookies' attributes: SameSite=Lax, HttpOnly, the remember-me lifetime from the settings."""
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from config.settings import ProductionConfig
from contracts_app.auth.services import set_password, update_user
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-long-one"


def _signed_in(app, user, remember=False):
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _replay(app, name, value):
    """A fresh browser holding only the saved cookie."""
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def _works(client):
    return client.get("/priorities").status_code == 200


def test_a_session_cookie_saved_before_logout_does_not_work_after_it(app, factory):
    user = factory.make_user("viewer")
    client = _signed_in(app, user)
    saved = client.get_cookie("session").value
    assert _works(_replay(app, "session", saved))

    assert client.post("/logout").status_code == 302

    replayed = _replay(app, "session", saved)
    response = replayed.get("/priorities")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_remember_me_cookie_saved_before_logout_does_not_work_after_it(app, factory):
    user = factory.make_user("viewer")
    client = _signed_in(app, user, remember=True)
    saved = client.get_cookie("remember_token").value
    assert _works(_replay(app, "remember_token", saved))  # it signs a fresh browser in

    client.post("/logout")

    assert not _works(_replay(app, "remember_token", saved))


def test_signing_out_ends_the_users_other_sessions_too(app, factory):
    user = factory.make_user("viewer")
    laptop, phone = _signed_in(app, user), _signed_in(app, user)

    laptop.post("/logout")

    assert not _works(phone)
    assert _works(_signed_in(app, user))  # signing in again works


def test_a_deactivation_ends_the_users_sessions_even_once_reactivated(app, db, factory, users):
    user = factory.make_user("viewer")
    client = _signed_in(app, user, remember=True)
    saved = client.get_cookie("remember_token").value

    update_user(user, users["admin"], user.email, user.name, user.role, active=False)
    update_user(user, users["admin"], user.email, user.name, user.role, active=True)

    assert not _works(client)
    assert not _works(_replay(app, "remember_token", saved))


def test_a_new_password_from_the_admin_ends_the_users_sessions(app, factory, users):
    user = factory.make_user("viewer")
    client = _signed_in(app, user, remember=True)
    saved = client.get_cookie("remember_token").value
    admin = _signed_in(app, users["admin"])

    response = admin.post(f"/users/{user.id}/edit", data={
        "email": user.email, "name": user.name, "role": user.role, "active": "y", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert not _works(client) and not _works(_replay(app, "remember_token", saved))
    assert _works(admin)


def test_an_edit_that_keeps_the_password_keeps_the_sessions(app, factory, users):
    user = factory.make_user("viewer")
    client = _signed_in(app, user)

    update_user(user, users["admin"], user.email, "Renamed", user.role, active=True)

    assert _works(client)


def test_set_password_ends_the_sessions(app, factory):
    user = factory.make_user("viewer")
    client = _signed_in(app, user)

    set_password(user, NEW_PASSWORD)

    assert not _works(client)
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_a_cookie_with_an_id_of_the_old_form_does_not_sign_anyone_in(app, factory):
    user = factory.make_user("viewer")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # as cookies were before session versions
        session["_fresh"] = True

    assert not _works(client)


def _set_cookie(response, name):
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(name + "="))


def test_the_remember_me_cookie_is_lax_http_only_and_lasts_fourteen_days(app, factory):
    user = factory.make_user("viewer")
    client = app.test_client()
    before = datetime.now(timezone.utc)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})

    remember = _set_cookie(response, "remember_token")
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert before + timedelta(days=14) - timedelta(minutes=1) <= expires <= before + timedelta(days=14, minutes=1)
    session = _set_cookie(response, "session")
    assert "SameSite=Lax" in session and "HttpOnly" in session


def test_the_remember_me_lifetime_comes_from_the_settings(app, factory):
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=2)
    user = factory.make_user("viewer")
    before = datetime.now(timezone.utc)

    response = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})

    expires = parsedate_to_datetime(_set_cookie(response, "remember_token").split("Expires=")[1].split(";")[0])
    assert expires <= before + timedelta(days=2, minutes=1)


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax" and ProductionConfig.REMEMBER_COOKIE_HTTPONLY
