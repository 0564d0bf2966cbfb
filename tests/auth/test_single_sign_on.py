"""Single sign-on end to end against a real OpenID Connect provider process (tests/oidc_provider.py):
the app's button, the provider's approval, the callback; who is signed in, as what, who is refused."""
import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from tests.factories import PASSWORD
from tests.oidc_provider import expired_oidc_provider, oidc_provider  # noqa: F401  (fixtures)

ROLE_MAP = ("rdc-admins=admin,procurement=procurement_officer,contract-managers=contract_manager,"
            "cdo-office=cdo,staff=viewer")
_subjects = itertools.count(1)


@pytest.fixture
def sso(app, oidc_provider):
    """The app set up for the provider process, and helpers to sign in through it."""
    return configure(app, oidc_provider)


def configure(app, provider, **overrides):
    app.config.update(
        OIDC_ISSUER=provider.url, OIDC_CLIENT_ID="rdc-tracker", OIDC_CLIENT_SECRET="client-secret",
        OIDC_PROVIDER_NAME="City ID", OIDC_ROLE_MAP=ROLE_MAP, OIDC_SUPPORT_CONTACT="the IT service desk",
        **overrides,
    )
    return SSO(app, provider)


class SSO:
    def __init__(self, app, provider):
        self.app = app
        self.provider = provider

    def person(self, email, groups=("procurement",), **claims):
        """A user at the provider, with a subject of its own (not the email: pinning is by subject)."""
        sub = f"subject-{next(_subjects)}"
        self.provider.set_user(sub, email=email, groups=groups, **claims)
        return sub

    def start(self, client, next_url=None, remember=False):
        """Click the app's button; returns the provider's authorization address."""
        url = "/auth/oidc/login" + (f"?next={next_url}" if next_url else "")
        response = client.post(url, data={"sso-remember": "y"} if remember else {})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"].startswith(f"{self.provider.url}/oauth2/authorize?")
        return response.headers["Location"]

    def sign_in(self, client, sub, **start):
        """The whole round trip: button, approval at the provider as ``sub``, the app's callback."""
        callback = self.provider.approve(self.start(client, **start), sub)
        return client.get(callback)


def signed_in_user(client):
    """Who the client's session belongs to, by asking a page that needs sign-in."""
    response = client.get("/priorities")
    return response.status_code == 200


def user(db, email):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


# --- the done-when ------------------------------------------------------------------------------

def test_it_signs_in_a_procurement_user_with_one_click_who_can_then_register_a_contract(db, client, sso, factory):
    officer = factory.make_user("viewer", email="pat.officer@city.test", name="Pat Officer")
    sub = sso.person("pat.officer@city.test", groups=["procurement"])
    vendor = factory.make_vendor(name="Harbor Light Services")
    priority = factory.make_priority(name="Reduce unsheltered homelessness")

    response = sso.sign_in(client, sub)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert user(db, "pat.officer@city.test").role == "procurement_officer"
    response = client.post("/contracts/new", data={
        "reference": "HS-2026-001", "title": "Street outreach", "kind": "contract", "department": "Human Services",
        "vendor_id": str(vendor.id), "value": "120000", "currency": "USD", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "status": "active", "payment_structure": "fixed_price",
        "problem": "People living outside are not connected to shelter",
        "outcomes": "More people move into shelter", "procurement_officer_id": str(officer.id),
        "payment_terms": "Paid monthly", "priority_ids": [str(priority.id)],
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalar(select(Contract.reference)) == "HS-2026-001"


def test_it_refuses_a_user_in_no_mapped_group_with_a_page_that_says_why_and_whom_to_ask(db, client, sso, factory):
    factory.make_user("viewer", email="sam.other@city.test")
    sub = sso.person("sam.other@city.test", groups=["parks-department"])

    response = sso.sign_in(client, sub)

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "not in any group that gives access" in page
    assert "procurement" in page and "rdc-admins" in page
    assert "Ask the IT service desk" in page
    assert not signed_in_user(client)
    assert user(db, "sam.other@city.test").role == "viewer"  # nothing changed


def test_it_sends_pkce_state_and_nonce_with_the_authorization_request(client, sso):
    query = parse_qs(urlsplit(sso.start(client)).query)

    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://127.0.0.1:5000/auth/oidc/callback"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


# --- roles --------------------------------------------------------------------------------------

def test_it_applies_a_role_change_at_the_provider_at_the_next_sign_in_and_audits_it(db, app, sso, factory):
    factory.make_user("viewer", email="kim.staff@city.test")
    sub = sso.person("kim.staff@city.test", groups=["procurement"])
    first = app.test_client()
    assert sso.sign_in(first, sub).status_code == 302
    assert user(db, "kim.staff@city.test").role == "procurement_officer"

    sso.provider.set_user(sub, email="kim.staff@city.test", groups=["contract-managers"])
    second = app.test_client()
    assert sso.sign_in(second, sub).status_code == 302

    kim = user(db, "kim.staff@city.test")
    assert kim.role == "contract_manager"
    assert second.get("/contracts/new").status_code == 403  # no longer a procurement officer
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "user", AuditEvent.entity_id == kim.id)
                                .order_by(AuditEvent.id)).all()
    assert [(e.before["role"], e.after["role"]) for e in events] == [("viewer", "procurement_officer"),
                                                                     ("procurement_officer", "contract_manager")]
    assert "from their City ID groups" in events[-1].summary
    admin = app.test_client()
    admin.post("/login", data={"email": factory.make_user("admin").email, "password": PASSWORD})
    assert "role procurement_officer to contract_manager" in admin.get("/audit").get_data(as_text=True)


def test_it_gives_the_most_privileged_role_of_several_mapped_groups(db, client, sso, factory):
    factory.make_user("viewer", email="lee.both@city.test")
    sub = sso.person("lee.both@city.test", groups=["staff", "rdc-admins", "contract-managers", "unmapped"])

    sso.sign_in(client, sub)

    assert user(db, "lee.both@city.test").role == "admin"


def test_it_does_not_audit_a_sign_in_that_changes_nothing(db, app, sso, factory):
    factory.make_user("procurement_officer", email="same.role@city.test")
    sub = sso.person("same.role@city.test", groups=["procurement"])
    sso.sign_in(app.test_client(), sub)  # pins the identity: one event
    sso.sign_in(app.test_client(), sub)

    db.session.expire_all()
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "user")).all()) == 1


# --- the protocol's checks ----------------------------------------------------------------------

def test_it_refuses_an_id_token_with_a_wrong_nonce(db, client, sso, factory):
    factory.make_user("viewer", email="nina.nonce@city.test")
    sub = sso.person("nina.nonce@city.test")
    authorize = sso.start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    # The provider puts the nonce it was sent into the token; the app must compare it with the
    # one it remembered for this state, so make them differ.
    with client.session_transaction() as session:
        key = f"_state_oidc_{state}"
        entry = session[key]
        entry["data"]["nonce"] = "not-the-nonce-that-was-sent"
        session[key] = entry

    response = client.get(sso.provider.approve(authorize, sub))

    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True)
    assert not signed_in_user(client)
    assert user(db, "nina.nonce@city.test").last_login_at is None


def _client_keys(app, keys):
    """Make the app's provider client hold ``keys`` as the provider's JWKS (as if it had fetched
    them earlier)."""
    client = app.extensions["rdc_oidc"][1]
    client.server_metadata["jwks"] = {"keys": keys}


def test_it_refuses_an_id_token_not_signed_with_the_keys_it_holds(db, app, client, sso, factory):
    from joserfc.jwk import KeySet, RSAKey

    factory.make_user("viewer", email="forge@city.test")
    sub = sso.person("forge@city.test")
    authorize = sso.start(client)
    # A key with the provider's key id but other material: the provider's signature cannot verify
    # with it, as a token signed with someone else's key would not verify with the real one.
    kid = requests.get(f"{sso.provider.url}/jwks", timeout=10).json()["keys"][0]["kid"]
    _client_keys(app, KeySet([RSAKey.generate_key(2048, parameters={"kid": kid})]).as_dict(private=False)["keys"])

    response = client.get(sso.provider.approve(authorize, sub))

    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True)
    assert not signed_in_user(client)


def test_it_fetches_the_keys_again_when_a_token_names_a_key_it_does_not_hold(app, client, sso, factory):
    from joserfc.jwk import KeySet, RSAKey

    factory.make_user("viewer", email="rotate@city.test")
    sub = sso.person("rotate@city.test", groups=["staff"])
    authorize = sso.start(client)
    # Keys from before a rotation at the provider, none of them the token's. (This provider puts
    # no key id in its tokens, so the set holds two keys: with one, it would be tried as the only
    # candidate and fail the signature, not the key lookup.)
    retired = [RSAKey.generate_key(2048, parameters={"kid": f"retired-{n}"}) for n in (1, 2)]
    _client_keys(app, KeySet(retired).as_dict(private=False)["keys"])

    response = client.get(sso.provider.approve(authorize, sub))

    assert response.status_code == 302
    assert signed_in_user(client)


def test_it_refuses_an_expired_id_token(db, app, client, expired_oidc_provider, factory):
    sso = configure(app, expired_oidc_provider)
    factory.make_user("viewer", email="eve.expired@city.test")
    sub = sso.person("eve.expired@city.test")

    response = sso.sign_in(client, sub)

    assert response.status_code == 400
    assert "has expired" in response.get_data(as_text=True)
    assert not signed_in_user(client)


def test_it_refuses_a_callback_whose_state_it_did_not_issue(client, sso, factory):
    factory.make_user("viewer", email="bo.state@city.test")
    sub = sso.person("bo.state@city.test")
    authorize = sso.start(client)
    callback = sso.provider.approve(authorize, sub)
    path, query = callback.split("?", 1)
    params = parse_qs(query)

    response = client.get(path, query_string={"code": params["code"][0], "state": "forged-state"})

    assert response.status_code == 400
    assert "state does not match" in response.get_data(as_text=True)
    assert not signed_in_user(client)


@pytest.mark.parametrize("query", [
    # A long state, under MAX_REQUEST_LINE_BYTES (a longer address is a 414 before any view: tests/test_security_headers.py).
    "", "code=abc", "state=", "code=&state=", "state=" + "x" * 3900, "error=server_error", "error=access_denied&state=x",
    "code=abc&state=%E2%80%AE", "code[]=1&state[]=2",
])
def test_it_answers_a_malformed_callback_with_a_page_and_signs_nobody_in(db, client, sso, query):
    sso.start(client)  # a sign-in in flight, whose state none of these carry

    response = client.get(f"/auth/oidc/callback?{query}")

    assert response.status_code == 400
    assert "Single sign-on did not work" in response.get_data(as_text=True)
    assert not signed_in_user(client)
    assert db.session.scalar(select(AuditEvent)) is None


def test_it_refuses_a_callback_replayed_in_another_browser(app, client, sso, factory):
    factory.make_user("viewer", email="rae.replay@city.test")
    sub = sso.person("rae.replay@city.test")
    callback = sso.provider.approve(sso.start(client), sub)

    other = app.test_client()
    response = other.get(callback)

    assert response.status_code == 400
    assert not signed_in_user(other)


def test_it_refuses_a_state_used_twice(client, sso, factory):
    factory.make_user("viewer", email="twice@city.test")
    sub = sso.person("twice@city.test", groups=["staff"])
    callback = sso.provider.approve(sso.start(client), sub)
    assert client.get(callback).status_code == 302
    client.post("/logout")

    response = client.get(callback)

    assert response.status_code == 400
    assert not signed_in_user(client)


def test_it_refuses_a_code_the_provider_did_not_issue(client, sso, factory):
    factory.make_user("viewer", email="cody.code@city.test")
    sub = sso.person("cody.code@city.test")
    path, query = sso.provider.approve(sso.start(client), sub).split("?", 1)

    response = client.get(path, query_string={"code": "made-up-code", "state": parse_qs(query)["state"][0]})

    assert response.status_code == 400
    assert "City ID did not complete the sign-in" in response.get_data(as_text=True)
    assert not signed_in_user(client)


def test_it_says_so_when_the_person_declines_at_the_provider(client, sso):
    authorize = sso.start(client)
    response = requests.post(authorize, data={"action": "deny"}, allow_redirects=False, timeout=10)
    callback = urlsplit(response.headers["Location"])

    page = client.get(f"{callback.path}?{callback.query}")

    assert page.status_code == 400
    assert "cancelled" in page.get_data(as_text=True)


def test_it_answers_503_when_the_provider_cannot_be_reached(app, client, sso):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # the discard port: nothing listens

    response = client.post("/auth/oidc/login", data={})

    assert response.status_code == 503
    assert "City ID could not be reached" in response.get_data(as_text=True)


# --- who may sign in ----------------------------------------------------------------------------

def test_it_refuses_an_unknown_email_when_accounts_are_not_created(db, client, sso):
    sub = sso.person("new.face@city.test", groups=["staff"])

    response = sso.sign_in(client, sub)

    assert response.status_code == 403
    assert "There is no account here for new.face@city.test" in response.get_data(as_text=True)
    assert user(db, "new.face@city.test") is None


def test_it_creates_an_unknown_user_with_the_mapped_role_when_asked_to(db, app, client, sso):
    app.config["OIDC_CREATE_USERS"] = True
    sub = sso.person("new.face@city.test", groups=["cdo-office"], name="New Face")

    response = sso.sign_in(client, sub)

    assert response.status_code == 302
    created = user(db, "new.face@city.test")
    assert (created.role, created.name, created.oidc_subject) == ("cdo", "New Face", sub)
    assert created.oidc_issuer == sso.provider.url
    assert signed_in_user(client)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == created.id, AuditEvent.entity_type == "user"))
    assert event.action == "create" and "first sign-in with City ID" in event.summary
    # The account has no usable password.
    assert app.test_client().post("/login", data={"email": "new.face@city.test", "password": PASSWORD}).status_code == 200


def test_it_does_not_create_a_user_in_no_mapped_group(db, app, client, sso):
    app.config["OIDC_CREATE_USERS"] = True
    sub = sso.person("outsider@city.test", groups=[])

    assert sso.sign_in(client, sub).status_code == 403
    assert user(db, "outsider@city.test") is None


def test_it_refuses_an_email_the_provider_does_not_say_is_verified(db, client, sso, factory):
    factory.make_user("admin", email="boss@city.test")
    for verified in (False, None):  # false, and the claim absent
        sub = sso.person("boss@city.test", groups=["rdc-admins"], email_verified=verified)

        response = sso.sign_in(client, sub)

        assert response.status_code == 403
        assert "does not confirm that boss@city.test is verified" in response.get_data(as_text=True)
        assert user(db, "boss@city.test").oidc_subject is None


def test_it_accepts_an_unverified_email_from_a_provider_trusted_to_verify_them(db, app, client, sso, factory):
    app.config["OIDC_TRUST_EMAIL"] = True
    factory.make_user("viewer", email="trusted@city.test")
    sub = sso.person("trusted@city.test", groups=["staff"], email_verified=None)

    assert sso.sign_in(client, sub).status_code == 302


def test_it_refuses_a_deactivated_user(db, client, sso, factory):
    factory.make_user("viewer", email="gone@city.test", active=False)
    sub = sso.person("gone@city.test", groups=["staff"])

    response = sso.sign_in(client, sub)

    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert not signed_in_user(client)


def test_it_never_signs_in_or_re_roles_a_vendor_contact(db, client, sso, factory):
    vendor = factory.make_vendor()
    factory.make_user("vendor", email="contact@vendor.test", vendor_id=vendor.id)
    sub = sso.person("contact@vendor.test", groups=["rdc-admins"])

    response = sso.sign_in(client, sub)

    assert response.status_code == 403
    assert "vendor contact" in response.get_data(as_text=True)
    contact = user(db, "contact@vendor.test")
    assert (contact.role, contact.oidc_subject) == ("vendor", None)


def test_it_matches_by_the_pinned_subject_after_the_email_changes_at_the_provider(db, app, sso, factory):
    factory.make_user("viewer", email="old.name@city.test")
    sub = sso.person("old.name@city.test", groups=["staff"])
    assert sso.sign_in(app.test_client(), sub).status_code == 302

    sso.provider.set_user(sub, email="new.name@city.test", groups=["staff"], email_verified=False)
    response = sso.sign_in(app.test_client(), sub)

    assert response.status_code == 302
    assert user(db, "old.name@city.test").oidc_subject == sub


def test_it_refuses_an_email_already_linked_to_another_identity(db, app, sso, factory):
    factory.make_user("viewer", email="shared@city.test")
    first = sso.person("shared@city.test", groups=["staff"])
    assert sso.sign_in(app.test_client(), first).status_code == 302
    second = sso.person("shared@city.test", groups=["rdc-admins"])  # a new person given the address

    response = sso.sign_in(app.test_client(), second)

    assert response.status_code == 403
    assert "linked to a different City ID identity" in response.get_data(as_text=True)
    assert user(db, "shared@city.test").role == "viewer"


def test_an_admin_unlinks_an_identity_and_the_next_sign_in_is_matched_by_email_again(db, app, client_as, sso, factory):
    shared = factory.make_user("viewer", email="relinked@city.test")
    old = sso.person("relinked@city.test", groups=["staff"])
    assert sso.sign_in(app.test_client(), old).status_code == 302
    new = sso.person("relinked@city.test", groups=["staff"])  # the provider recreated the person
    assert sso.sign_in(app.test_client(), new).status_code == 403
    admin = client_as("admin")
    assert "Unlink single sign-on" in admin.get(f"/users/{shared.id}/edit").get_data(as_text=True)

    response = admin.post(f"/users/{shared.id}/unlink-sso")

    assert response.status_code == 302
    assert user(db, "relinked@city.test").oidc_subject is None
    assert sso.sign_in(app.test_client(), new).status_code == 302
    assert user(db, "relinked@city.test").oidc_subject == new
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.summary.like("Unlinked%")))
    assert event.before["oidc_subject"] == old and event.actor_id is not None


@pytest.mark.parametrize("role", ["procurement_officer", "contract_manager", "cdo", "viewer"])
def test_only_admins_unlink_an_identity(db, app, client_as, sso, factory, role):
    linked = factory.make_user("viewer", email="keep.link@city.test")
    sub = sso.person("keep.link@city.test", groups=["staff"])
    sso.sign_in(app.test_client(), sub)

    assert client_as(role).post(f"/users/{linked.id}/unlink-sso").status_code == 403
    assert user(db, "keep.link@city.test").oidc_subject == sub


def test_unlinking_an_account_that_is_not_linked_says_so(db, client_as, factory):
    plain = factory.make_user("viewer")

    response = client_as("admin").post(f"/users/{plain.id}/unlink-sso", follow_redirects=True)

    assert "is not linked to a single sign-on identity" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent)) is None


# --- sessions, remember-me, next ----------------------------------------------------------------

def test_it_goes_to_a_safe_next_page_and_ignores_an_unsafe_one(app, sso, factory):
    factory.make_user("viewer", email="nick.next@city.test")
    sub = sso.person("nick.next@city.test", groups=["staff"])

    assert sso.sign_in(app.test_client(), sub, next_url="/portfolio").headers["Location"] == "/portfolio"
    for unsafe in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        assert sso.sign_in(app.test_client(), sub, next_url=unsafe).headers["Location"] == "/"


def test_it_keeps_a_single_sign_on_signed_in_with_remember_me_until_sign_out(db, app, sso, factory):
    factory.make_user("viewer", email="rem@city.test")
    sub = sso.person("rem@city.test", groups=["staff"])
    client = app.test_client()
    sso.sign_in(client, sub, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None

    # A browser that kept only the remember-me cookie is signed in again by it ...
    returning = app.test_client()
    returning.set_cookie("remember_token", remember.value)
    assert signed_in_user(returning)
    # ... until the user signs out anywhere: the session version moves on.
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", remember.value)
    assert not signed_in_user(replay)


def test_it_sets_no_remember_me_cookie_unless_asked(app, sso, factory):
    factory.make_user("viewer", email="norem@city.test")
    sub = sso.person("norem@city.test", groups=["staff"])
    client = app.test_client()

    sso.sign_in(client, sub)

    assert client.get_cookie("remember_token") is None
    assert signed_in_user(client)


def test_a_single_sign_on_works_while_the_password_is_locked_and_leaves_the_lock(db, client, sso, factory):
    locked = factory.make_user("viewer", email="locked@city.test")
    for _ in range(10):
        client.post("/login", data={"email": "locked@city.test", "password": "wrong-password-here"})
    assert user(db, "locked@city.test").locked_until is not None
    sub = sso.person("locked@city.test", groups=["staff"])

    assert sso.sign_in(client, sub).status_code == 302
    assert user(db, "locked@city.test").locked_until is not None
    assert locked.id == user(db, "locked@city.test").id


# --- the sign-in page and LOCAL_LOGIN -----------------------------------------------------------

def test_the_sign_in_page_shows_the_provider_button_beside_the_password_form(client, sso):
    page = client.get("/login").get_data(as_text=True)

    assert "Sign in with City ID" in page
    assert 'name="password"' in page


def test_the_button_needs_the_csrf_token(csrf_app, oidc_provider):
    from tests.conftest import csrf_token

    configure(csrf_app, oidc_provider)
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))

    assert client.post("/auth/oidc/login").status_code == 400
    response = client.post("/auth/oidc/login", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{oidc_provider.url}/oauth2/authorize?")


def test_the_sign_in_page_has_no_button_without_single_sign_on(client):
    page = client.get("/login").get_data(as_text=True)

    assert "Sign in with" not in page
    assert client.post("/auth/oidc/login").status_code == 404
    assert client.get("/auth/oidc/callback?code=x&state=y").status_code == 404


@pytest.fixture
def passwords_off(app, sso):
    app.config.update(LOCAL_LOGIN=False, BREAK_GLASS_ADMINS="Glass@City.test, other@city.test")
    return sso


def test_with_local_login_off_the_page_hides_the_password_form_but_links_to_it(client, passwords_off):
    page = client.get("/login?next=/portfolio").get_data(as_text=True)

    assert "Sign in with City ID" in page
    assert 'name="password"' not in page
    assert "/login?local=1&amp;next=/portfolio" in page
    assert 'name="password"' in client.get("/login?local=1").get_data(as_text=True)


def test_with_local_login_off_a_staff_password_is_refused(db, client, passwords_off, factory):
    factory.make_user("procurement_officer", email="staff@city.test")

    right = client.post("/login?local=1", data={"email": "staff@city.test", "password": PASSWORD})
    wrong = client.post("/login?local=1", data={"email": "staff@city.test", "password": "not-the-password"})

    assert right.status_code == 200
    assert "Staff sign in with City ID" in right.get_data(as_text=True)
    assert "Email or password is not right" in wrong.get_data(as_text=True)  # no hint without the password
    assert not signed_in_user(client)
    assert user(db, "staff@city.test").failed_sign_ins == 1  # the right password was no failure


def test_with_local_login_off_the_break_glass_admin_signs_in_with_a_password_and_it_is_audited(db, client, passwords_off, factory):
    glass = factory.make_user("admin", email="glass@city.test")
    other_admin = factory.make_user("admin", email="plain.admin@city.test")

    response = client.post("/login?local=1", data={"email": "glass@city.test", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user(client)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in"))
    assert (event.actor_id, event.entity_id) == (glass.id, glass.id)
    refused = passwords_off.app.test_client().post("/login?local=1", data={"email": other_admin.email, "password": PASSWORD})
    assert "Staff sign in with City ID" in refused.get_data(as_text=True)


def test_with_local_login_off_a_break_glass_email_without_the_admin_role_is_refused(client, passwords_off, factory):
    factory.make_user("viewer", email="other@city.test")

    response = client.post("/login?local=1", data={"email": "other@city.test", "password": PASSWORD})

    assert "Staff sign in with City ID" in response.get_data(as_text=True)


def test_with_local_login_off_vendor_contacts_keep_their_password(client, passwords_off, factory):
    vendor = factory.make_vendor()
    factory.make_user("vendor", email="contact@vendor.test", vendor_id=vendor.id)

    response = client.post("/login?local=1", data={"email": "contact@vendor.test", "password": PASSWORD})

    assert response.status_code == 302


def test_with_local_login_off_single_sign_on_still_signs_staff_in(db, client, passwords_off, factory):
    factory.make_user("viewer", email="sso.only@city.test")
    sub = passwords_off.person("sso.only@city.test", groups=["staff"])

    assert passwords_off.sign_in(client, sub).status_code == 302
    assert signed_in_user(client)


def test_both_keep_me_signed_in_boxes_have_their_own_label(client, sso):
    """With the provider's button and the password form on one page, each label names its own box."""
    import re

    html = client.get("/login").get_data(as_text=True)
    assert "Sign in with" in html and 'name="password"' in html
    ids = re.findall(r'<input[^>]*type="checkbox"[^>]*id="([^"]+)"', html) + re.findall(
        r'<input[^>]*id="([^"]+)"[^>]*type="checkbox"', html)
    assert sorted(set(ids)) == sorted(ids) and len(set(ids)) == 2
    for box in set(ids):
        assert f'for="{box}"' in html
