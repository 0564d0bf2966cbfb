"""Single sign-on as Login.gov and Google Workspace need it, end to end against the provider
process (tests/oidc_provider.py, whose ProviderChecks verify PKCE and private_key_jwt): PKCE
checked for real, the client authentication methods, extra authorization parameters, roles kept
in the tracker for providers without a groups claim, and Google's hosted domain."""
import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from tests.auth.test_oidc_settings import self_signed_certificate
from tests.auth.test_single_sign_on import configure, signed_in_user, user
from tests.oidc_provider import login_gov_like_provider, oidc_provider, s256  # noqa: F401  (fixtures)

LOGIN_GOV_CLIENT = "urn:gov:gsa:openidconnect.profiles:sp:sso:city:rdc_tracker"
ACR = "urn:acr.login.gov:auth-only"


@pytest.fixture
def sso(app, oidc_provider):
    oidc_provider.forget_requests()
    return configure(app, oidc_provider)


@pytest.fixture(scope="module")
def client_key():
    return RSAKey.generate_key(2048)


def _write_key(tmp_path, key, name="rdc-client.pem"):
    path = tmp_path / name
    path.write_bytes(key.as_pem(private=True))
    return str(path)


def _public_jwks(key, kid):
    return KeySet([RSAKey.import_key(key.as_dict(private=False), parameters={"kid": kid})]).as_dict(private=False)


@pytest.fixture
def login_gov(app, login_gov_like_provider, tmp_path, client_key):
    """The app set up as for Login.gov: private_key_jwt, acr_values and prompt, roles from the
    tracker, against a provider that, like Login.gov, names itself with a trailing slash, keeps
    the email out of its ID tokens, and requires this client's assertions signed with ``client_key``."""
    login_gov_like_provider.forget_requests()
    sso = configure(app, login_gov_like_provider)
    sso.provider.require_private_key_jwt(LOGIN_GOV_CLIENT, _public_jwks(client_key, client_key.thumbprint()))
    app.config.update(
        OIDC_CLIENT_ID=LOGIN_GOV_CLIENT, OIDC_CLIENT_SECRET=None, OIDC_TOKEN_AUTH_METHOD="private_key_jwt",
        OIDC_CLIENT_PRIVATE_KEY=_write_key(tmp_path, client_key), OIDC_PROVIDER_NAME="Login.gov",
        OIDC_EXTRA_AUTH_PARAMS=f"acr_values={ACR}&prompt=select_account", OIDC_SCOPES="openid email",
        OIDC_ROLE_SOURCE="tracker", OIDC_ROLE_MAP="",
    )
    return sso


def _tamper_session(client, authorize, name, value):
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    with client.session_transaction() as session:
        entry = session[f"_state_oidc_{state}"]
        entry["data"][name] = value
        session[f"_state_oidc_{state}"] = entry


# --- PKCE ---------------------------------------------------------------------------------------

def test_the_token_request_carries_the_verifier_of_the_challenge_and_each_sign_in_a_fresh_one(app, sso, factory):
    factory.make_user("viewer", email="pia.pkce@city.test")
    sub = sso.person("pia.pkce@city.test", groups=["staff"])

    for _ in range(2):
        assert sso.sign_in(app.test_client(), sub).status_code == 302

    approvals = [r["params"] for r in sso.provider.received("authorize") if r["method"] == "POST"]
    tokens = [r["form"] for r in sso.provider.received("token")]
    assert len(approvals) == len(tokens) == 2
    for params, form in zip(approvals, tokens):
        assert params["code_challenge_method"] == "S256"
        assert s256(form["code_verifier"]) == params["code_challenge"]
        assert 43 <= len(form["code_verifier"]) <= 128
        # Login.gov refuses a state or nonce under 22 characters.
        assert len(params["state"]) >= 22 and len(params["nonce"]) >= 22
    assert tokens[0]["code_verifier"] != tokens[1]["code_verifier"]
    assert approvals[0]["code_challenge"] != approvals[1]["code_challenge"]
    assert approvals[0]["nonce"] != approvals[1]["nonce"]


def test_the_provider_refuses_a_code_with_the_wrong_verifier_and_nobody_is_signed_in(db, client, sso, factory):
    # The provider's PKCE check is live (so the test above means something): a verifier other
    # than the challenge's, as an attacker holding a stolen code would send, is refused.
    factory.make_user("viewer", email="vic.verifier@city.test")
    sub = sso.person("vic.verifier@city.test", groups=["staff"])
    authorize = sso.start(client)
    _tamper_session(client, authorize, "code_verifier", "x" * 43)

    response = client.get(sso.provider.approve(authorize, sub))

    assert response.status_code == 400
    assert "City ID did not complete the sign-in" in response.get_data(as_text=True)
    assert sso.provider.received("token")[-1]["refused"] == "code_verifier does not match the code_challenge"
    assert not signed_in_user(client)
    assert user(db, "vic.verifier@city.test").last_login_at is None


@pytest.mark.parametrize("configured", ["without", "with"])
def test_it_takes_an_issuer_named_with_a_trailing_slash_and_the_email_from_userinfo_as_login_gov_sends_them(
        db, app, client, login_gov_like_provider, factory, configured):
    sso = configure(app, login_gov_like_provider)
    app.config["OIDC_ISSUER"] = login_gov_like_provider.url + ("/" if configured == "with" else "")
    factory.make_user("viewer", email="sally.slash@city.test")
    sub = sso.person("sally.slash@city.test", groups=["procurement"])

    assert sso.sign_in(client, sub).status_code == 302
    sally = user(db, "sally.slash@city.test")
    # The email (and the groups) came from the UserInfo endpoint: the ID token had the subject only.
    assert (sally.oidc_subject, sally.role) == (sub, "procurement_officer")
    # One spelling of the issuer in the pin, whichever the settings use.
    assert sally.oidc_issuer == login_gov_like_provider.url


# --- client authentication ----------------------------------------------------------------------

@pytest.mark.parametrize("method", [None, "client_secret_basic", "client_secret_post"])
def test_it_sends_the_client_secret_as_configured(app, client, sso, factory, method):
    import base64

    if method:
        app.config["OIDC_TOKEN_AUTH_METHOD"] = method
    factory.make_user("viewer", email="sue.secret@city.test")
    sub = sso.person("sue.secret@city.test", groups=["staff"])

    assert sso.sign_in(client, sub).status_code == 302

    token = sso.provider.received("token")[-1]
    assert token["client_auth"] == (method or "client_secret_basic")
    if token["client_auth"] == "client_secret_basic":
        assert base64.b64decode(token["authorization"].split()[1]) == b"rdc-tracker:client-secret"
        assert "client_secret" not in token["form"]
    else:
        assert token["authorization"] is None
        assert (token["form"]["client_id"], token["form"]["client_secret"]) == ("rdc-tracker", "client-secret")


def test_it_signs_in_with_login_gov_settings_a_private_key_jwt_acr_values_and_the_tracker_role(
        db, app, login_gov, factory, client_key):
    factory.make_user("cdo", email="lou.gov@city.test")
    sub = login_gov.person("lou.gov@city.test", groups=["rdc-admins"])  # no groups at Login.gov: ignored

    for _ in range(2):
        client = app.test_client()
        assert login_gov.sign_in(client, sub).status_code == 302
        assert signed_in_user(client)

    lou = user(db, "lou.gov@city.test")
    assert (lou.role, lou.oidc_subject) == ("cdo", sub)  # the role an admin gave, not a group's
    authorization = [r["params"] for r in login_gov.provider.received("authorize")][-1]
    assert (authorization["acr_values"], authorization["prompt"]) == (ACR, "select_account")
    assert authorization["client_id"] == LOGIN_GOV_CLIENT
    token_endpoint = f"{login_gov.provider.url}/oauth2/token"
    tokens = login_gov.provider.received("token")
    assert len(tokens) == 2 and all("refused" not in t for t in tokens)
    for token in tokens:
        assert token["client_auth"] == "private_key_jwt"
        assert token["authorization"] is None and "client_secret" not in token["form"]
        assert token["form"]["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        # The signature, checked here too with the public key alone.
        verified = jwt.decode(token["form"]["client_assertion"], RSAKey.import_key(client_key.as_dict(private=False)))
        claims = verified.claims
        assert verified.header["alg"] == "RS256" and verified.header["kid"] == client_key.thumbprint()
        assert claims["iss"] == claims["sub"] == LOGIN_GOV_CLIENT
        assert claims["aud"] == token_endpoint
        assert 0 < claims["exp"] - claims["iat"] <= 60
    assert tokens[0]["assertion"]["claims"]["jti"] != tokens[1]["assertion"]["claims"]["jti"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "user")).all()
    assert [e.summary for e in events] == ["Single sign-on for lou.gov@city.test: linked to their Login.gov identity"]


def test_the_assertion_names_the_configured_key_id(app, login_gov, factory, client_key):
    login_gov.provider.require_private_key_jwt(LOGIN_GOV_CLIENT, _public_jwks(client_key, "rdc-2026-01"))
    app.config["OIDC_CLIENT_KEY_ID"] = "rdc-2026-01"
    factory.make_user("viewer", email="kay.kid@city.test")
    sub = login_gov.person("kay.kid@city.test")

    assert login_gov.sign_in(app.test_client(), sub).status_code == 302
    assert login_gov.provider.received("token")[-1]["assertion"]["header"]["kid"] == "rdc-2026-01"


def test_with_a_client_certificate_the_assertion_carries_its_thumbprints_as_entra_id_needs(
        app, login_gov, factory, client_key, tmp_path):
    # Entra ID knows an app's key by the certificate uploaded to its registration and finds it by
    # the assertion's x5t (SHA-1 thumbprint of the certificate's DER), x5t#S256 in newer clients.
    pem, certificate = self_signed_certificate(client_key)
    path = tmp_path / "rdc-client.crt"
    path.write_bytes(pem)
    app.config["OIDC_CLIENT_CERTIFICATE"] = str(path)
    factory.make_user("viewer", email="ezra.entra@city.test")
    sub = login_gov.person("ezra.entra@city.test")

    assert login_gov.sign_in(app.test_client(), sub).status_code == 302

    header = login_gov.provider.received("token")[-1]["assertion"]["header"]  # verified by the provider
    b64 = lambda digest: base64.urlsafe_b64encode(digest).rstrip(b"=").decode()  # noqa: E731
    assert header["x5t"] == b64(certificate.fingerprint(hashes.SHA1()))
    assert header["x5t#S256"] == b64(certificate.fingerprint(hashes.SHA256()))
    assert header["kid"] == client_key.thumbprint()


def test_a_private_key_the_provider_does_not_hold_is_refused_there(db, app, client, login_gov, factory, tmp_path):
    # The key the provider holds is client_key's; the app signs with another.
    app.config["OIDC_CLIENT_PRIVATE_KEY"] = _write_key(tmp_path, RSAKey.generate_key(2048), "other.pem")
    factory.make_user("viewer", email="olga.other@city.test")
    sub = login_gov.person("olga.other@city.test")

    response = login_gov.sign_in(client, sub)

    assert response.status_code == 400
    assert "Login.gov did not complete the sign-in" in response.get_data(as_text=True)
    assert "does not verify" in login_gov.provider.received("token")[-1]["refused"]
    assert not signed_in_user(client)
    assert user(db, "olga.other@city.test").oidc_subject is None


# --- roles kept in the tracker ------------------------------------------------------------------

def test_with_roles_from_the_tracker_an_unknown_person_is_refused_with_a_page_saying_whom_to_ask(db, client, login_gov):
    sub = login_gov.person("new.person@city.test")

    response = login_gov.sign_in(client, sub)

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You cannot sign in to the tracker" in page
    assert "There is no account here for new.person@city.test" in page
    assert "Ask the IT service desk to create one with this email and the role you need" in page
    assert not signed_in_user(client)
    assert user(db, "new.person@city.test") is None


def test_with_roles_from_the_tracker_a_deactivated_user_is_refused(db, client, login_gov, factory):
    factory.make_user("admin", email="former@city.test", active=False)
    sub = login_gov.person("former@city.test")

    response = login_gov.sign_in(client, sub)

    assert response.status_code == 403
    assert "The account for former@city.test is deactivated" in response.get_data(as_text=True)
    assert not signed_in_user(client)
    assert user(db, "former@city.test").oidc_subject is None


def test_with_roles_from_the_tracker_a_user_is_found_by_their_pinned_subject_and_keeps_an_admins_change(
        db, app, login_gov, factory):
    factory.make_user("viewer", email="pinned@city.test")
    sub = login_gov.person("pinned@city.test")
    assert login_gov.sign_in(app.test_client(), sub).status_code == 302
    pinned = user(db, "pinned@city.test")
    pinned.role = "contract_manager"  # an admin's change on the users page
    db.session.commit()
    # A new address at the provider, not (yet) verified: the pin, not the email, finds the account.
    login_gov.provider.set_user(sub, email="renamed@city.test", email_verified=False)

    assert login_gov.sign_in(app.test_client(), sub).status_code == 302
    assert user(db, "pinned@city.test").role == "contract_manager"


def test_with_roles_from_the_tracker_a_vendor_contact_is_still_refused(db, client, login_gov, factory):
    vendor = factory.make_vendor()
    factory.make_user("vendor", email="contact@vendor.test", vendor_id=vendor.id)
    sub = login_gov.person("contact@vendor.test")

    response = login_gov.sign_in(client, sub)

    assert response.status_code == 403
    assert "vendor contact" in response.get_data(as_text=True)


# --- Google Workspace: the hosted domain ----------------------------------------------------------

@pytest.fixture
def google(app, sso):
    """As for Google Workspace: the secret in the form, no groups, the Workspace domain checked."""
    app.config.update(OIDC_TOKEN_AUTH_METHOD="client_secret_post", OIDC_PROVIDER_NAME="Google",
                      OIDC_ROLE_SOURCE="tracker", OIDC_ROLE_MAP="", OIDC_ALLOWED_DOMAINS="city.test, parks.city.test")
    return sso


@pytest.mark.parametrize("hosted_domain", ["city.test", "Parks.City.test"])
def test_an_account_of_an_allowed_workspace_domain_signs_in(db, client, google, factory, hosted_domain):
    factory.make_user("procurement_officer", email="gail@city.test")
    sub = google.person("gail@city.test", groups=(), hd=hosted_domain)

    assert google.sign_in(client, sub).status_code == 302
    assert user(db, "gail@city.test").role == "procurement_officer"


@pytest.mark.parametrize("claims, message", [
    ({}, "belongs to no organisation (a personal account)"),
    ({"hd": "elsewhere.test"}, "belongs to elsewhere.test"),
    ({"hd": ["city.test"]}, "belongs to no organisation"),  # not a string: no domain
])
def test_an_account_outside_the_allowed_domains_is_refused_even_with_a_city_address(db, client, google, factory,
                                                                                    claims, message):
    factory.make_user("admin", email="gail@city.test")
    sub = google.person("gail@city.test", groups=(), **claims)

    response = google.sign_in(client, sub)

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert message in page and "only accounts in city.test, parks.city.test sign in here" in page
    assert not signed_in_user(client)
    assert user(db, "gail@city.test").oidc_subject is None
