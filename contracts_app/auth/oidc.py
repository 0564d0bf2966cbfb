"""Single sign-on by OpenID Connect (Authlib's Flask client): the protocol half.

``start_sign_in`` sends the browser to the provider with an authorization-code request carrying
a fresh ``state``, ``nonce`` and PKCE code challenge (S256), all three kept in the Flask session;
``finish_sign_in`` takes the provider's answer at the callback, refuses a ``state`` the session
did not issue, exchanges the code (with the PKCE verifier) at the token endpoint, authenticating
this client with its secret (``client_secret_basic`` or ``client_secret_post``) or with an assertion
signed by its private key (``private_key_jwt``, Authlib's RFC 7523 client auth, as Login.gov
requires), and verifies the ID token: its signature against the provider's published keys (JWKS, fetched again once when a
token names an unknown key, as after a key rotation), ``iss`` equal to the configured issuer,
``aud`` naming this client, ``exp``/``iat`` (a minute's leeway for clock skew) and the ``nonce``
sent. What the token says about the person (with the UserInfo endpoint's answer when the token
has no email, as Login.gov's has not) becomes an ``Identity``; whom it signs in, and as what,
is ``auth.services.sign_in_with_identity``'s business.

The provider's settings (endpoints, keys) come from ``<OIDC_ISSUER>/.well-known/openid-configuration``,
read at the first sign-in and kept for the life of the process.
"""
import base64
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from authlib.oidc.core import CodeIDToken
from flask import current_app, session, url_for
from joserfc.errors import ExpiredTokenError, InvalidKeyTypeError, JoseError
from joserfc.jwk import import_key

from contracts_app.auth.models import ROLE_PRECEDENCE, ROLES, VENDOR

_CLIENT_NAME = "oidc"
_LEEWAY_SECONDS = 60
# How long a private_key_jwt client assertion is good for: it is sent at once, and a leaked one
# (from a log, say) should be worthless soon (Authlib's default is an hour).
ASSERTION_LIFETIME_SECONDS = 60

TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
# Where roles come from: the provider's groups claim through OIDC_ROLE_MAP, or the tracker's own
# user admin (for providers with no groups claim: Login.gov, Google Workspace).
ROLE_SOURCES = ("groups", "tracker")
# Authorization request parameters the flow sets itself; OIDC_EXTRA_AUTH_PARAMS may not.
_FLOW_PARAMS = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
                "code_challenge_method", "request", "request_uri"}
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# The signing algorithm for each kind of client key: RS256 (Login.gov's) for RSA, ES* for EC.
_EC_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}


class SignInFailed(Exception):
    """The provider's answer could not be trusted or used (bad state, a token that does not
    verify, an unreachable provider): shown as a page with ``message``, answered ``status``."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Identity:
    """What a verified ID token says about the person signing in."""

    issuer: str
    subject: str
    email: str = None
    email_verified: bool = False
    name: str = None
    groups: list = field(default_factory=list)
    # Google's ``hd``: the Workspace domain of the account (absent for a personal Google account).
    hosted_domain: str = None


# --- settings ---------------------------------------------------------------------------------

def parse_role_map(text):
    """``"group=role,group=role"`` as {group: role}. Staff roles only: a vendor contact belongs to
    a vendor, which no group can say, so single sign-on never makes one (ValueError)."""
    mapping = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        group, sep, role = item.rpartition("=")
        group, role = group.strip(), role.strip()
        if not sep or not group:
            raise ValueError(f"OIDC_ROLE_MAP: {item.strip()!r} is not group=role.")
        if role == VENDOR:
            raise ValueError("OIDC_ROLE_MAP: single sign-on cannot give the vendor role; vendor contacts "
                             "are invited and sign in with a password.")
        if role not in ROLES:
            raise ValueError(f"OIDC_ROLE_MAP: unknown role {role!r} for group {group!r}; "
                             f"use one of {', '.join(ROLES)}.")
        if group in mapping and mapping[group] != role:
            raise ValueError(f"OIDC_ROLE_MAP: group {group!r} is mapped twice.")
        mapping[group] = role
    return mapping


def is_configured(config=None):
    config = config if config is not None else current_app.config
    return bool(config.get("OIDC_ISSUER"))


def role_source(config=None):
    config = config if config is not None else current_app.config
    return (config.get("OIDC_ROLE_SOURCE") or "groups").strip().lower()


def token_auth_method(config=None):
    config = config if config is not None else current_app.config
    return (config.get("OIDC_TOKEN_AUTH_METHOD") or "client_secret_basic").strip().lower()


def parse_extra_auth_params(text):
    """``"acr_values=...&prompt=select_account"`` (a query string, values %-encoded where they hold
    ``&``, ``+`` or ``%``; ``+`` is a space) as {name: value}: extra parameters of the authorization
    request. ValueError for a malformed one, one given twice, or one the flow sets itself."""
    text = (text or "").strip()
    if not text:
        return {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError(f"OIDC_EXTRA_AUTH_PARAMS: {text!r} is not name=value&name=value.")
    params = {}
    for name, value in pairs:
        name = name.strip()
        if not name or not value.strip():
            raise ValueError(f"OIDC_EXTRA_AUTH_PARAMS: {name or '(no name)'!r} needs a name and a value.")
        if name in _FLOW_PARAMS:
            raise ValueError(f"OIDC_EXTRA_AUTH_PARAMS: {name} is set by the sign-in itself and cannot be given here.")
        if name in params:
            raise ValueError(f"OIDC_EXTRA_AUTH_PARAMS: {name} is given twice (join several values with a space, "
                             "written +).")
        params[name] = value
    return params


def parse_domains(text):
    """``"city.gov, police.city.gov"`` as a set of lower-case domains (ValueError for one that is
    not a domain name)."""
    domains = set()
    for item in (text or "").split(","):
        domain = item.strip().lower()
        if not domain:
            continue
        if not _DOMAIN.fullmatch(domain):
            raise ValueError(f"OIDC_ALLOWED_DOMAINS: {item.strip()!r} is not a domain name.")
        domains.add(domain)
    return domains


@dataclass(frozen=True)
class ClientKey:
    """This client's private key for private_key_jwt: the joserfc key, the algorithm it signs
    with and the key id (``kid``) the provider finds its public half by."""

    key: object
    alg: str
    kid: str


def load_client_key(path, key_id=None):
    """The private key in the PEM file at ``path`` (RSA of 2048 bits or more, or EC P-256/384/521),
    its ``kid`` being ``key_id`` (the id the provider gave the uploaded public key) or else its
    RFC 7638 JWK thumbprint (README: Single sign-on shows how to print it). ValueError says what
    is wrong."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ValueError(f"OIDC_CLIENT_PRIVATE_KEY: {path} cannot be read ({error.strerror or error}).")
    key = None
    for key_type in ("RSA", "EC"):
        try:
            key = import_key(data, key_type)
            break
        except InvalidKeyTypeError:
            continue
        except TypeError:
            raise ValueError(f"OIDC_CLIENT_PRIVATE_KEY: {path} is encrypted; give the key without a passphrase "
                             "(and keep the file readable only by the tracker's user).")
        except (ValueError, JoseError):
            break
    if key is None:
        raise ValueError(f"OIDC_CLIENT_PRIVATE_KEY: {path} is not an RSA or EC private key in PEM form.")
    if not key.is_private:
        raise ValueError(f"OIDC_CLIENT_PRIVATE_KEY: {path} holds a public key; give the private key "
                         "(the public one is what the provider is given).")
    if key.key_type == "RSA":
        if key.raw_value.key_size < 2048:
            raise ValueError(f"OIDC_CLIENT_PRIVATE_KEY: {path} is a {key.raw_value.key_size}-bit RSA key; "
                             "use 2048 bits or more.")
        alg = "RS256"
    else:
        alg = _EC_ALGORITHMS.get(key.curve_name)
        if alg is None:
            raise ValueError(f"OIDC_CLIENT_PRIVATE_KEY: {path} is on curve {key.curve_name}; use P-256, P-384 or P-521.")
    kid = (key_id or "").strip() or key.thumbprint()
    return ClientKey(key=key, alg=alg, kid=kid)


def certificate_thumbprints(path, client_key):
    """{"x5t": …, "x5t#S256": …}: the base64url SHA-1 and SHA-256 thumbprints of the DER form of
    the PEM certificate at ``path``, which must be the certificate of ``client_key`` (a
    ``ClientKey``). ValueError says what is wrong."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ValueError(f"OIDC_CLIENT_CERTIFICATE: {path} cannot be read ({error.strerror or error}).")
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise ValueError(f"OIDC_CLIENT_CERTIFICATE: {path} is not an X.509 certificate in PEM form.")
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(*spki) != client_key.key.raw_value.public_key().public_bytes(*spki):
        raise ValueError(f"OIDC_CLIENT_CERTIFICATE: {path} is not the certificate of OIDC_CLIENT_PRIVATE_KEY "
                         "(its public key is another key's).")

    def encoded(algorithm):
        return base64.urlsafe_b64encode(certificate.fingerprint(algorithm)).rstrip(b"=").decode()

    return {"x5t": encoded(hashes.SHA1()), "x5t#S256": encoded(hashes.SHA256())}


def check_settings(config):
    """Refuse to start with single sign-on half configured or contradictory (create_app calls
    this): the messages name the setting to change."""
    if not is_configured(config):
        if not config.get("LOCAL_LOGIN", True):
            raise RuntimeError("LOCAL_LOGIN=false needs single sign-on (OIDC_ISSUER), or no staff could sign in.")
        return
    method = token_auth_method(config)
    if method not in TOKEN_AUTH_METHODS:
        raise RuntimeError(f"OIDC_TOKEN_AUTH_METHOD: {method!r} is not one of {', '.join(TOKEN_AUTH_METHODS)}.")
    secret, key_path = config.get("OIDC_CLIENT_SECRET"), config.get("OIDC_CLIENT_PRIVATE_KEY")
    if secret and key_path:
        raise RuntimeError("OIDC_CLIENT_SECRET and OIDC_CLIENT_PRIVATE_KEY are both set: the client authenticates "
                           "with one or the other. Keep the key (OIDC_TOKEN_AUTH_METHOD=private_key_jwt) or the secret.")
    if method != "private_key_jwt" and (key_path or config.get("OIDC_CLIENT_KEY_ID")
                                        or config.get("OIDC_CLIENT_CERTIFICATE")):
        raise RuntimeError(f"OIDC_CLIENT_PRIVATE_KEY, OIDC_CLIENT_KEY_ID and OIDC_CLIENT_CERTIFICATE are for "
                           f"OIDC_TOKEN_AUTH_METHOD=private_key_jwt, not {method}.")
    missing = [name for name, value in (("OIDC_CLIENT_ID", config.get("OIDC_CLIENT_ID")),
                                        ("OIDC_CLIENT_SECRET", secret if method != "private_key_jwt" else True))
               if not value]
    if missing:
        raise RuntimeError(f"OIDC_ISSUER is set but {' and '.join(missing)} not.")
    if method == "private_key_jwt":
        if not key_path:
            raise RuntimeError("OIDC_TOKEN_AUTH_METHOD=private_key_jwt needs OIDC_CLIENT_PRIVATE_KEY, "
                               "the path of the client's private key (PEM).")
        try:
            client_key = load_client_key(key_path, config.get("OIDC_CLIENT_KEY_ID"))
            if config.get("OIDC_CLIENT_CERTIFICATE"):
                certificate_thumbprints(config["OIDC_CLIENT_CERTIFICATE"], client_key)
        except ValueError as error:
            raise RuntimeError(str(error))
    if "openid" not in (config.get("OIDC_SCOPES") or "").split():
        raise RuntimeError("OIDC_SCOPES must include openid (without it there is no ID token to verify).")
    try:
        parse_extra_auth_params(config.get("OIDC_EXTRA_AUTH_PARAMS"))
        parse_domains(config.get("OIDC_ALLOWED_DOMAINS"))
        mapping = parse_role_map(config.get("OIDC_ROLE_MAP"))
    except ValueError as error:
        raise RuntimeError(str(error))
    source = role_source(config)
    if source not in ROLE_SOURCES:
        raise RuntimeError(f"OIDC_ROLE_SOURCE: {source!r} is not one of {', '.join(ROLE_SOURCES)}.")
    if source == "tracker":
        if mapping:
            raise RuntimeError("OIDC_ROLE_SOURCE=tracker takes roles from the tracker's users page, so OIDC_ROLE_MAP "
                               "would be ignored: leave it unset, or use OIDC_ROLE_SOURCE=groups.")
        if config.get("OIDC_CREATE_USERS"):
            raise RuntimeError("OIDC_CREATE_USERS cannot be on with OIDC_ROLE_SOURCE=tracker: there is no group to "
                               "give a new account its role. An admin creates each account (with its role) first.")
    elif not mapping:
        raise RuntimeError("OIDC_ISSUER is set but OIDC_ROLE_MAP maps no group to a role: nobody could sign in "
                           "(for a provider without a groups claim, set OIDC_ROLE_SOURCE=tracker).")


def allowed_domains(config=None):
    config = config if config is not None else current_app.config
    return parse_domains(config.get("OIDC_ALLOWED_DOMAINS"))


def break_glass_emails(config=None):
    config = config if config is not None else current_app.config
    return {email.strip().lower() for email in (config.get("BREAK_GLASS_ADMINS") or "").split(",") if email.strip()}


def role_for_groups(groups, mapping):
    """The role for someone in ``groups``: the most privileged (``ROLE_PRECEDENCE``) of the roles
    their mapped groups give, or None when no group of theirs is mapped."""
    roles = {mapping[group] for group in groups if group in mapping}
    for role in ROLE_PRECEDENCE:
        if role in roles:
            return role
    return None


# --- the protocol -----------------------------------------------------------------------------

def _issuer():
    return current_app.config["OIDC_ISSUER"].rstrip("/")


class _PrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt client authentication (RFC 7523: an assertion with iss and sub
    this client, aud the token endpoint, a fresh jti) whose assertion lives for
    ``ASSERTION_LIFETIME_SECONDS`` rather than Authlib's hour."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(auth.client_secret, client_id=auth.client_id, token_endpoint=token_endpoint,
                                    alg=self.alg, header=dict(self.headers or {}),
                                    expires_in=ASSERTION_LIFETIME_SECONDS)


def client():
    """This app's Authlib client for the configured provider, made at first use (so that no
    request to the provider happens at start-up) and again if the settings changed. With
    private_key_jwt the key file is read here, once: a new key takes a restart."""
    config = current_app.config
    method = token_auth_method(config)
    key = (_issuer(), config["OIDC_CLIENT_ID"], config.get("OIDC_CLIENT_SECRET"), config["OIDC_SCOPES"],
           config["OIDC_TIMEOUT_SECONDS"], method, config.get("OIDC_CLIENT_PRIVATE_KEY"),
           config.get("OIDC_CLIENT_KEY_ID"), config.get("OIDC_CLIENT_CERTIFICATE"))
    cached = current_app.extensions.get("rdc_oidc")
    if cached is not None and cached[0] == key:
        return cached[1]
    credentials = {"client_secret": key[2]}
    if method == "private_key_jwt":
        # Authlib signs with the client "secret" when it is a key; check_settings read it already.
        client_key = load_client_key(key[6], key[7])
        headers = {"kid": client_key.kid}
        if key[8]:
            headers.update(certificate_thumbprints(key[8], client_key))
        credentials = {"client_secret": client_key.key,
                       "client_auth_methods": [_PrivateKeyJWT(headers=headers, alg=client_key.alg)]}
    oauth = OAuth(current_app)
    registered = oauth.register(
        _CLIENT_NAME,
        client_id=key[1],
        server_metadata_url=f"{key[0]}/.well-known/openid-configuration",
        client_kwargs={"scope": key[3], "code_challenge_method": "S256", "timeout": key[4],
                       "token_endpoint_auth_method": method},
        **credentials,
    )
    current_app.extensions["rdc_oidc"] = (key, registered)
    return registered


def redirect_uri():
    """The callback address registered at the provider: APP_BASE_URL (what the city registered)
    and the callback's path, not the request's host (which a proxy may rewrite)."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + url_for("auth.oidc_callback")


def _metadata(oidc):
    try:
        metadata = oidc.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        oidc.server_metadata.pop("_loaded_at", None)
        current_app.logger.warning("single sign-on: the provider's discovery document could not be read: %s", error)
        raise SignInFailed(f"{provider_name()} could not be reached. Try again in a few minutes.", status=503)
    if (metadata.get("issuer") or "").rstrip("/") != _issuer():
        # A discovery document for another issuer (a wrong OIDC_ISSUER, or a proxy in between).
        oidc.server_metadata.clear()
        current_app.logger.error("single sign-on: the discovery document names issuer %r, not %r",
                                 metadata.get("issuer"), _issuer())
        raise SignInFailed(f"{provider_name()} is not set up as configured; tell an administrator.", status=503)
    return metadata


def provider_name():
    return current_app.config.get("OIDC_PROVIDER_NAME") or "single sign-on"


def start_sign_in():
    """A redirect to the provider's authorization endpoint (authorization code, PKCE S256, a new
    state and nonce remembered in the session)."""
    oidc = client()
    _metadata(oidc)
    # One sign-in in flight per browser: an abandoned one's state would otherwise stay in the
    # session cookie for an hour, and a few dozen clicks would outgrow the cookie.
    for key in [key for key in session if key.startswith(f"_state_{_CLIENT_NAME}_")]:
        session.pop(key)
    # A nonce of our own: Authlib's has 20 characters, and Login.gov refuses fewer than 22.
    return oidc.authorize_redirect(redirect_uri(), nonce=secrets.token_urlsafe(32),
                                   **parse_extra_auth_params(current_app.config.get("OIDC_EXTRA_AUTH_PARAMS")))


def _claims_checked_at(now):
    """ID token claims whose time checks use ``now`` rather than the clock."""
    timestamp = int(now.timestamp())

    class IDTokenAtNow(CodeIDToken):
        def validate(self, now=None, leeway=0):
            return super().validate(now=timestamp, leeway=leeway)

    return IDTokenAtNow


def _userinfo(oidc, token, subject):
    """The UserInfo endpoint's claims, for a provider whose ID token carries no email (Login.gov's
    has only the subject and the assurance level). They must be about the ID token's subject
    (OpenID Connect Core §5.3.2), or a mixed-up answer could sign in someone else."""
    try:
        info = oidc.userinfo(token=token)
    except requests.HTTPError as error:
        current_app.logger.warning("single sign-on: the userinfo endpoint answered %s", error)
        raise SignInFailed(f"{provider_name()} did not complete the sign-in. Start again.")
    except (requests.RequestException, ValueError) as error:
        current_app.logger.warning("single sign-on: the userinfo endpoint could not be read: %s", error)
        raise SignInFailed(f"{provider_name()} could not be reached. Try again in a few minutes.", status=503)
    if str(info.get("sub")) != str(subject):
        current_app.logger.error("single sign-on: the userinfo endpoint answered for subject %r, the ID token "
                                 "names %r", info.get("sub"), subject)
        raise SignInFailed(f"The identity {provider_name()} sent could not be verified. Start again.")
    return info


def finish_sign_in(now):
    """Complete the flow at the callback: returns the ``Identity`` of a verified ID token, or
    raises ``SignInFailed`` (nothing about the person is trusted before every check passed)."""
    oidc = client()
    metadata = _metadata(oidc)
    try:
        token = oidc.authorize_access_token(
            claims_options={
                # The discovery document's issuer exactly (OpenID Connect Discovery §4.3; Login.gov's
                # ends in a slash), which _metadata found to be the configured one.
                "iss": {"essential": True, "values": sorted({_issuer(), metadata["issuer"]})},
                # Authlib checks azp but not aud: an ID token must name this client.
                "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
            },
            claims_cls=_claims_checked_at(now),
            leeway=_LEEWAY_SECONDS,
        )
    except MismatchingStateError:
        raise SignInFailed("This sign-in was not started here, or it was started too long ago "
                           "(its state does not match). Start again.")
    except ExpiredTokenError:
        raise SignInFailed(f"The identity {provider_name()} sent has expired. Start again; if it keeps "
                           "happening, this server's clock may be wrong.")
    except JoseError as error:
        current_app.logger.warning("single sign-on: the ID token did not verify: %r", error)
        raise SignInFailed(f"The identity {provider_name()} sent could not be verified. Start again.")
    except AuthlibBaseError as error:
        # The provider's error (access_denied when the person declined) or the token endpoint's.
        current_app.logger.warning("single sign-on: the provider answered %s: %s", error.error, error.description)
        if error.error == "access_denied":
            raise SignInFailed(f"Sign-in at {provider_name()} was cancelled.")
        raise SignInFailed(f"{provider_name()} did not complete the sign-in. Start again.")
    except requests.RequestException as error:
        current_app.logger.warning("single sign-on: the token endpoint could not be reached: %s", error)
        raise SignInFailed(f"{provider_name()} could not be reached. Try again in a few minutes.", status=503)
    claims = token.get("userinfo")
    if not claims:
        # No ID token (or no nonce to check it by): an OAuth answer, not an OpenID Connect one.
        raise SignInFailed(f"{provider_name()} sent no identity. Tell an administrator.")
    if not claims.get("email") and metadata.get("userinfo_endpoint"):
        # What the ID token says wins over the UserInfo answer.
        claims = {**_userinfo(oidc, token, claims["sub"]), **claims}
    groups = []
    if role_source() == "groups":
        groups = claims.get(current_app.config["OIDC_GROUPS_CLAIM"]) or []
        if isinstance(groups, str):
            groups = [groups]
    email, hosted_domain = claims.get("email"), claims.get("hd")
    return Identity(
        issuer=_issuer(),
        subject=str(claims["sub"]),
        email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
        email_verified=claims.get("email_verified") is True or claims.get("email_verified") == "true",
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        groups=[str(group) for group in groups if isinstance(group, (str, int))],
        hosted_domain=hosted_domain.strip().lower() if isinstance(hosted_domain, str) and hosted_domain.strip() else None,
    )

