"""Single sign-on by OpenID Connect (Authlib's Flask client): the protocol half.

``start_sign_in`` sends the browser to the provider with an authorization-code request carrying
a fresh ``state``, ``nonce`` and PKCE code challenge (S256), all three kept in the Flask session;
``finish_sign_in`` takes the provider's answer at the callback, refuses a ``state`` the session
did not issue, exchanges the code (with the PKCE verifier) at the token endpoint, and verifies the
ID token: its signature against the provider's published keys (JWKS, fetched again once when a
token names an unknown key, as after a key rotation), ``iss`` equal to the configured issuer,
``aud`` naming this client, ``exp``/``iat`` (a minute's leeway for clock skew) and the ``nonce``
sent. What the token says about the person becomes an ``Identity``; whom it signs in, and as what,
is ``auth.services.sign_in_with_identity``'s business.

The provider's settings (endpoints, keys) come from ``<OIDC_ISSUER>/.well-known/openid-configuration``,
read at the first sign-in and kept for the life of the process.
"""
from dataclasses import dataclass, field

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from authlib.oidc.core import CodeIDToken
from flask import current_app, session, url_for
from joserfc.errors import ExpiredTokenError, JoseError

from contracts_app.auth.models import ROLE_PRECEDENCE, ROLES, VENDOR

_CLIENT_NAME = "oidc"
_LEEWAY_SECONDS = 60


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


def check_settings(config):
    """Refuse to start with single sign-on half configured (create_app calls this)."""
    if not is_configured(config):
        if not config.get("LOCAL_LOGIN", True):
            raise RuntimeError("LOCAL_LOGIN=false needs single sign-on (OIDC_ISSUER), or no staff could sign in.")
        return
    missing = [name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not config.get(name)]
    if missing:
        raise RuntimeError(f"OIDC_ISSUER is set but {' and '.join(missing)} not.")
    if "openid" not in (config.get("OIDC_SCOPES") or "").split():
        raise RuntimeError("OIDC_SCOPES must include openid (without it there is no ID token to verify).")
    try:
        mapping = parse_role_map(config.get("OIDC_ROLE_MAP"))
    except ValueError as error:
        raise RuntimeError(str(error))
    if not mapping:
        raise RuntimeError("OIDC_ISSUER is set but OIDC_ROLE_MAP maps no group to a role: nobody could sign in.")


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


def client():
    """This app's Authlib client for the configured provider, made at first use (so that no
    request to the provider happens at start-up) and again if the settings changed."""
    config = current_app.config
    key = (_issuer(), config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"], config["OIDC_SCOPES"],
           config["OIDC_TIMEOUT_SECONDS"])
    cached = current_app.extensions.get("rdc_oidc")
    if cached is not None and cached[0] == key:
        return cached[1]
    oauth = OAuth(current_app)
    registered = oauth.register(
        _CLIENT_NAME,
        client_id=key[1],
        client_secret=key[2],
        server_metadata_url=f"{key[0]}/.well-known/openid-configuration",
        client_kwargs={"scope": key[3], "code_challenge_method": "S256", "timeout": key[4]},
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
    return oidc.authorize_redirect(redirect_uri())


def _claims_checked_at(now):
    """ID token claims whose time checks use ``now`` rather than the clock."""
    timestamp = int(now.timestamp())

    class IDTokenAtNow(CodeIDToken):
        def validate(self, now=None, leeway=0):
            return super().validate(now=timestamp, leeway=leeway)

    return IDTokenAtNow


def finish_sign_in(now):
    """Complete the flow at the callback: returns the ``Identity`` of a verified ID token, or
    raises ``SignInFailed`` (nothing about the person is trusted before every check passed)."""
    oidc = client()
    _metadata(oidc)
    try:
        token = oidc.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "value": _issuer()},
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
    groups = claims.get(current_app.config["OIDC_GROUPS_CLAIM"]) or []
    if isinstance(groups, str):
        groups = [groups]
    email = claims.get("email")
    return Identity(
        issuer=_issuer(),
        subject=str(claims["sub"]),
        email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
        email_verified=claims.get("email_verified") is True or claims.get("email_verified") == "true",
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        groups=[str(group) for group in groups if isinstance(group, (str, int))],
    )

