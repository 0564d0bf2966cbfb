"""The single sign-on settings: the role map, the role of several groups, and the app refusing to
start half configured."""
import pytest

from contracts_app import create_app
from contracts_app.auth.oidc import load_client_key, parse_domains, parse_extra_auth_params, parse_role_map, role_for_groups
from tests.conftest import _config_for

SSO = {"OIDC_ISSUER": "https://login.city.example", "OIDC_CLIENT_ID": "rdc", "OIDC_CLIENT_SECRET": "secret",
       "OIDC_ROLE_MAP": "rdc-admins=admin"}


def test_it_reads_the_role_map():
    assert parse_role_map(" rdc-admins = admin, procurement=procurement_officer ,, 6f1c0d2e-entra-id=viewer ") == {
        "rdc-admins": "admin", "procurement": "procurement_officer", "6f1c0d2e-entra-id": "viewer",
    }


def test_it_reads_group_names_with_equals_signs():
    # Entra ID and LDAP-style names: the role is after the last "=".
    assert parse_role_map("cn=rdc-admins=admin,procurement=procurement_officer") == {
        "cn=rdc-admins": "admin", "procurement": "procurement_officer",
    }


@pytest.mark.parametrize("text, message", [
    ("rdc-admins", "is not group=role"),
    ("=admin", "is not group=role"),
    ("rdc-admins=superuser", "unknown role 'superuser'"),
    ("vendors=vendor", "cannot give the vendor role"),
    ("a=admin,a=viewer", "mapped twice"),
])
def test_it_refuses_a_bad_role_map(text, message):
    with pytest.raises(ValueError, match=message):
        parse_role_map(text)


@pytest.mark.parametrize("groups, role", [
    (["staff"], "viewer"),
    (["staff", "managers"], "contract_manager"),
    (["managers", "cdo-office"], "cdo"),
    (["cdo-office", "procurement"], "procurement_officer"),
    (["staff", "rdc-admins", "procurement"], "admin"),
    (["parks"], None),
    ([], None),
])
def test_it_gives_the_most_privileged_role_of_the_mapped_groups(groups, role):
    mapping = parse_role_map("rdc-admins=admin,procurement=procurement_officer,cdo-office=cdo,"
                             "managers=contract_manager,staff=viewer")
    assert role_for_groups(groups, mapping) == role


@pytest.mark.parametrize("settings, message", [
    ({**SSO, "OIDC_CLIENT_SECRET": None}, "OIDC_CLIENT_SECRET"),
    ({**SSO, "OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID"),
    ({**SSO, "OIDC_ROLE_MAP": ""}, "maps no group"),
    ({**SSO, "OIDC_ROLE_MAP": "x=vendor"}, "vendor role"),
    ({**SSO, "OIDC_SCOPES": "email profile"}, "must include openid"),
    ({"LOCAL_LOGIN": False}, "LOCAL_LOGIN=false needs single sign-on"),
])
def test_the_app_refuses_to_start_half_configured(settings, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(_config_for("sqlite://", **settings))


def test_the_app_starts_with_single_sign_on_configured_without_asking_the_provider():
    # Nothing listens at the issuer: discovery waits for the first sign-in.
    app = create_app(_config_for("sqlite://", **SSO, LOCAL_LOGIN=False))
    assert app.config["OIDC_ISSUER"] == "https://login.city.example"


# --- client authentication, extra parameters, roles from the tracker, domains ------------------

LOGIN_GOV = {**SSO, "OIDC_CLIENT_SECRET": None, "OIDC_TOKEN_AUTH_METHOD": "private_key_jwt",
             "OIDC_ROLE_SOURCE": "tracker", "OIDC_ROLE_MAP": "",
             "OIDC_EXTRA_AUTH_PARAMS": "acr_values=urn:acr.login.gov:auth-only&prompt=select_account"}


@pytest.fixture(scope="module")
def rsa_key():
    from joserfc.jwk import RSAKey

    return RSAKey.generate_key(2048)


def _pem(tmp_path, data, name="client.pem"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_app_starts_with_login_gov_settings(tmp_path, rsa_key):
    app = create_app(_config_for("sqlite://", **LOGIN_GOV,
                                 OIDC_CLIENT_PRIVATE_KEY=_pem(tmp_path, rsa_key.as_pem(private=True))))
    assert app.config["OIDC_TOKEN_AUTH_METHOD"] == "private_key_jwt"


def test_it_reads_a_client_key_and_names_it_by_its_thumbprint_or_the_key_id_given(tmp_path, rsa_key):
    from joserfc.jwk import ECKey

    path = _pem(tmp_path, rsa_key.as_pem(private=True))
    assert (load_client_key(path).alg, load_client_key(path).kid) == ("RS256", rsa_key.thumbprint())
    assert load_client_key(path, " rdc-2026 ").kid == "rdc-2026"
    ec = ECKey.generate_key("P-256")
    assert load_client_key(_pem(tmp_path, ec.as_pem(private=True), "ec.pem")).alg == "ES256"


def _encrypted(key):
    from cryptography.hazmat.primitives import serialization

    return key.raw_value.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"passphrase"))


@pytest.mark.parametrize("settings, key, message", [
    ({**SSO, "OIDC_TOKEN_AUTH_METHOD": "client_secret_jwt"}, None, "OIDC_TOKEN_AUTH_METHOD: 'client_secret_jwt' is not one of"),
    ({**SSO, "OIDC_TOKEN_AUTH_METHOD": "client_secret_post", "OIDC_CLIENT_SECRET": ""}, None, "OIDC_CLIENT_SECRET not"),
    (LOGIN_GOV, None, "private_key_jwt needs OIDC_CLIENT_PRIVATE_KEY"),
    ({**LOGIN_GOV, "OIDC_CLIENT_PRIVATE_KEY": "/nonexistent/rdc.pem"}, None, r"/nonexistent/rdc.pem cannot be read"),
    ({**LOGIN_GOV, "OIDC_CLIENT_SECRET": "secret"}, "private", "are both set"),
    ({**SSO, "OIDC_CLIENT_SECRET": None}, "private", "are for OIDC_TOKEN_AUTH_METHOD=private_key_jwt, not client_secret_basic"),
    ({**SSO, "OIDC_CLIENT_KEY_ID": "k1"}, None, "are for OIDC_TOKEN_AUTH_METHOD=private_key_jwt"),
    (LOGIN_GOV, "public", "holds a public key"),
    (LOGIN_GOV, "garbage", "is not an RSA or EC private key in PEM form"),
    (LOGIN_GOV, "encrypted", "is encrypted"),
    (LOGIN_GOV, "short", "1024-bit RSA key; use 2048 bits or more"),
    ({**LOGIN_GOV, "OIDC_ROLE_MAP": "staff=viewer"}, "private", "OIDC_ROLE_MAP would be ignored"),
    ({**LOGIN_GOV, "OIDC_CREATE_USERS": True}, "private", "OIDC_CREATE_USERS cannot be on with OIDC_ROLE_SOURCE=tracker"),
    ({**SSO, "OIDC_ROLE_SOURCE": "ldap"}, None, "OIDC_ROLE_SOURCE: 'ldap' is not one of groups, tracker"),
    ({**SSO, "OIDC_ROLE_MAP": ""}, None, "set OIDC_ROLE_SOURCE=tracker"),
    ({**SSO, "OIDC_EXTRA_AUTH_PARAMS": "nonce=abc"}, None, "nonce is set by the sign-in itself"),
    ({**SSO, "OIDC_EXTRA_AUTH_PARAMS": "acr_values=a&acr_values=b"}, None, "acr_values is given twice"),
    ({**SSO, "OIDC_EXTRA_AUTH_PARAMS": "acr_values"}, None, "is not name=value"),
    ({**SSO, "OIDC_EXTRA_AUTH_PARAMS": "prompt="}, None, "needs a name and a value"),
    ({**SSO, "OIDC_ALLOWED_DOMAINS": "city.gov, @city.gov"}, None, "'@city.gov' is not a domain name"),
])
@pytest.mark.filterwarnings("ignore:Key size should be")
def test_the_app_refuses_to_start_with_contradictory_client_or_role_settings(tmp_path, rsa_key, settings, key, message):
    from joserfc.jwk import RSAKey

    if key is not None:
        data = {"private": lambda: rsa_key.as_pem(private=True), "public": lambda: rsa_key.as_pem(private=False),
                "garbage": lambda: b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
                "encrypted": lambda: _encrypted(rsa_key),
                "short": lambda: RSAKey.generate_key(1024, private=True, auto_kid=False).as_pem(private=True)}[key]()
        settings = {**settings, "OIDC_CLIENT_PRIVATE_KEY": _pem(tmp_path, data)}
    with pytest.raises(RuntimeError, match=message):
        create_app(_config_for("sqlite://", **settings))


def test_it_reads_extra_authorization_parameters():
    assert parse_extra_auth_params(
        " acr_values=http%3A%2F%2Fidmanagement.gov%2Fns%2Fassurance%2Fial%2F1+urn:x&prompt=select_account ") == {
        "acr_values": "http://idmanagement.gov/ns/assurance/ial/1 urn:x", "prompt": "select_account",
    }
    assert parse_extra_auth_params("") == {}


def test_it_reads_allowed_domains_in_lower_case():
    assert parse_domains(" City.GOV,,parks.city.gov ") == {"city.gov", "parks.city.gov"}


def self_signed_certificate(key, name="rdc-tracker.city.test"):
    """A PEM certificate of the joserfc ``key``'s public half, as a city would upload to Entra ID."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.raw_value.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
                   .sign(key.raw_value, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM), certificate


def test_it_reads_the_client_certificate_and_gives_its_thumbprints(tmp_path, rsa_key):
    import base64

    from cryptography.hazmat.primitives import hashes

    from contracts_app.auth.oidc import certificate_thumbprints

    pem, certificate = self_signed_certificate(rsa_key)
    key = load_client_key(_pem(tmp_path, rsa_key.as_pem(private=True)))
    thumbprints = certificate_thumbprints(_pem(tmp_path, pem, "client.crt"), key)
    sha1 = base64.urlsafe_b64decode(thumbprints["x5t"] + "=" * (-len(thumbprints["x5t"]) % 4))
    sha256 = base64.urlsafe_b64decode(thumbprints["x5t#S256"] + "=" * (-len(thumbprints["x5t#S256"]) % 4))
    assert (sha1, sha256) == (certificate.fingerprint(hashes.SHA1()), certificate.fingerprint(hashes.SHA256()))
    assert "=" not in thumbprints["x5t"] + thumbprints["x5t#S256"]
    app = create_app(_config_for("sqlite://", **LOGIN_GOV, OIDC_CLIENT_PRIVATE_KEY=key_path(tmp_path, rsa_key),
                                 OIDC_CLIENT_CERTIFICATE=_pem(tmp_path, pem, "client.crt")))
    assert app.config["OIDC_CLIENT_CERTIFICATE"].endswith("client.crt")


def key_path(tmp_path, key):
    return _pem(tmp_path, key.as_pem(private=True), "key.pem")


@pytest.mark.parametrize("certificate, message", [
    ("missing", r"OIDC_CLIENT_CERTIFICATE: .*nothing.crt cannot be read"),
    ("garbage", "is not an X.509 certificate in PEM form"),
    ("private key", "is not an X.509 certificate in PEM form"),
    ("another key", "is not the certificate of OIDC_CLIENT_PRIVATE_KEY"),
])
def test_the_app_refuses_to_start_with_a_certificate_it_cannot_use(tmp_path, rsa_key, certificate, message):
    from joserfc.jwk import RSAKey

    path = {
        "missing": lambda: str(tmp_path / "nothing.crt"),
        "garbage": lambda: _pem(tmp_path, b"-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n", "c.crt"),
        "private key": lambda: _pem(tmp_path, rsa_key.as_pem(private=True), "c.crt"),
        "another key": lambda: _pem(tmp_path, self_signed_certificate(RSAKey.generate_key(2048))[0], "c.crt"),
    }[certificate]()
    with pytest.raises(RuntimeError, match=message):
        create_app(_config_for("sqlite://", **LOGIN_GOV, OIDC_CLIENT_PRIVATE_KEY=key_path(tmp_path, rsa_key),
                               OIDC_CLIENT_CERTIFICATE=path))


def test_a_client_certificate_needs_private_key_jwt(tmp_path, rsa_key):
    pem, _certificate = self_signed_certificate(rsa_key)
    with pytest.raises(RuntimeError, match="are for OIDC_TOKEN_AUTH_METHOD=private_key_jwt, not client_secret_basic"):
        create_app(_config_for("sqlite://", **SSO, OIDC_CLIENT_CERTIFICATE=_pem(tmp_path, pem, "client.crt")))
