"""API tokens: the CLI (create prints the secret once, list, revoke) and authentication
(Bearer only; no session cookie; revoked tokens and inactive users get 401)."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts_app.api.models import ApiToken
from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from tests.api.conftest import ApiClient, make_token
from tests.querycount import count_queries


def tokens_of(user):
    db.session.expire_all()
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()


def test_it_creates_a_token_shown_once_and_stored_hashed(app, runner, users):
    officer = users["procurement_officer"]
    result = runner.invoke(args=["tokens", "create", officer.email.upper(), "--name", "finance ETL"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("rdc_") and len(secret) > 40 and "\n" not in secret
    assert "shown only this once" in result.stderr

    (token,) = tokens_of(officer)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.name, token.prefix) == ("finance ETL", secret[:12])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "apitoken"))
    assert secret not in str(event.after) and token.token_hash not in str(event.after)

    response = ApiClient(app, secret).get("/priorities")
    assert response.status_code == 200


def test_it_lists_and_revokes_tokens(app, runner, users):
    officer, viewer = users["procurement_officer"], users["viewer"]
    secret = make_token(officer, "etl")
    make_token(viewer, "notebook")
    (token,) = tokens_of(officer)

    listing = runner.invoke(args=["tokens", "list", officer.email])
    assert listing.exit_code == 0
    assert token.prefix in listing.output and "etl" in listing.output and "active" in listing.output
    assert secret not in listing.output and "notebook" not in listing.output
    assert "notebook" in runner.invoke(args=["tokens", "list"]).output

    revoked = runner.invoke(args=["tokens", "revoke", str(token.id)])
    assert revoked.exit_code == 0 and f"Revoked API token {token.id}." in revoked.output
    assert ApiClient(app, secret).get("/priorities").status_code == 401
    assert "already revoked" in runner.invoke(args=["tokens", "revoke", str(token.id)]).output
    assert "revoked" in runner.invoke(args=["tokens", "list", officer.email]).output


def test_it_refuses_bad_token_commands(runner, users, factory):
    inactive = factory.make_user("viewer", active=False)
    for args in (
        ["tokens", "create", "nobody@city.test"],
        ["tokens", "create", inactive.email],
        ["tokens", "create", users["viewer"].email, "--name", "x" * 121],
        ["tokens", "list", "nobody@city.test"],
        ["tokens", "revoke", "999"],
        ["tokens", "revoke", "abc"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert tokens_of(inactive) == [] and tokens_of(users["viewer"]) == []


def test_it_answers_401_to_anything_but_a_valid_token(app, users, factory):
    viewer = users["viewer"]
    revoked_secret = make_token(viewer)
    db.session.scalar(select(ApiToken).where(ApiToken.user_id == viewer.id)).revoked_at = utcnow()
    db.session.commit()
    leaver = factory.make_user("procurement_officer")
    leaver_secret = make_token(leaver)
    leaver.active = False
    db.session.commit()
    good = make_token(viewer)
    cases = {
        "no header": None,
        "an empty bearer": "Bearer ",
        "another scheme": f"Basic {good}",
        "a wrong token": "Bearer rdc_not-a-real-token",
        "a token too long": "Bearer " + "x" * 5000,
        "a revoked token": f"Bearer {revoked_secret}",
        "an inactive user's token": f"Bearer {leaver_secret}",
    }
    for case, header in cases.items():
        response = ApiClient(app).get("/contracts", headers={"Authorization": header} if header else {})
        assert response.status_code == 401, case
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ApiClient(app).get("/contracts", headers={"Authorization": f"bearer {good}"}).status_code == 200


def test_it_never_takes_the_session_cookie_for_a_token(app, client_as, users):
    browser = client_as("procurement_officer")  # signed in on the web pages
    assert browser.get("/contracts").status_code == 200
    for response in (browser.get("/api/v1/contracts"), browser.post("/api/v1/contracts", json={})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    # With a token, the token's user acts, whoever the cookie names.
    response = browser.get("/api/v1/priorities", headers={"Authorization": f"Bearer {make_token(users['viewer'])}"})
    assert response.status_code == 200


def test_an_api_call_keeps_no_session_and_leaves_the_browsers_alone(app, client_as, users):
    """Under /api/ the session is Flask's null one: nothing is read from the cookie, and no
    cookie is set or cleared, whatever the call's answer; the web pages' session is untouched."""
    from flask import session

    browser = client_as("procurement_officer")
    token = make_token(users["viewer"])
    with app.test_request_context("/api/v1/priorities", headers={"Cookie": "session=anything"}):  # opens the session
        assert app.session_interface.is_null_session(session) and dict(session) == {}
    for response in (
        browser.get("/api/v1/priorities", headers={"Authorization": f"Bearer {token}"}),
        browser.get("/api/v1/contracts"),
        browser.get("/api/v1/no-such-address", headers={"Authorization": f"Bearer {token}"}),
    ):
        assert response.status_code in (200, 401, 404) and "Set-Cookie" not in response.headers
    assert browser.get("/contracts").status_code == 200  # still signed in on the web pages


def test_it_records_last_use_at_most_once_a_minute(app, users):
    client = ApiClient(app, make_token(users["viewer"]))
    (token,) = tokens_of(users["viewer"])
    assert token.last_used_at is None
    client.get("/priorities")
    first = tokens_of(users["viewer"])[0].last_used_at
    assert first is not None
    with count_queries() as counter:
        client.get("/priorities")
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in counter.statements)
    assert tokens_of(users["viewer"])[0].last_used_at == first
    token = tokens_of(users["viewer"])[0]
    token.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get("/priorities")
    assert tokens_of(users["viewer"])[0].last_used_at > first - timedelta(minutes=2)


@pytest.mark.parametrize("app", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_it_needs_no_csrf_token(app, users, factory):
    priority = factory.make_priority()
    response = ApiClient(app, make_token(users["procurement_officer"])).post("/contracts", {
        "reference": "CSRF-1", "title": "Street lighting", "department": "Public Works", "new_vendor_name": "Lumen",
        "value": "1000", "start_date": "2025-01-01", "end_date": "2025-12-31", "payment_structure": "fixed_price",
        "payment_terms": "Monthly", "problem": "Dark streets", "outcomes": "Lit streets", "priority_ids": [priority.id],
    })
    assert response.status_code == 201
    # The web forms still need theirs.
    assert app.test_client().post("/login", data={"email": "x", "password": "y"}).status_code == 400
