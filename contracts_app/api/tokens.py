"""API tokens: create (the secret is shown once), list, revoke, and authenticate a request.

Only a SHA-256 digest of each token is stored. A token acts as its user, with the user's role;
a revoked token, or one whose user is inactive, authenticates nothing.
"""
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import contains_eager

from contracts_app.audit.services import record
from contracts_app.api.models import ApiToken
from contracts_app.auth.models import VENDOR, User
from contracts_app.db_types import utcnow
from contracts_app.db_utils import RowLookup, columns_of, loaded_keys
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db

TOKEN_PREFIX = "rdc_"
PREFIX_LENGTH = 12  # "rdc_" and 8 characters of the secret: enough to tell tokens apart
MAX_TOKEN_LENGTH = 200
MAX_NAME_LENGTH = 120
# last_used_at is a hint for people ("is this token still in use?"), not an access log: it is
# written at most once per this interval per token, so most API requests write nothing.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ServiceError):
    """A token change that cannot be made."""


def hash_token(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user_by_email(email):
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if user is None:
        raise TokenError(f"No user with the email {email or '(empty)'}.")
    return user


@command
def create_token(email, name="", actor=None, now=None):
    """A new token for the user with ``email``; returns (ApiToken, secret). The secret is not
    stored and cannot be shown again."""
    now = now or utcnow()
    user = _user_by_email(email)
    if not user.active:
        raise TokenError(f"{user.email} is inactive; activate the account before giving it a token.")
    if user.role == VENDOR:
        raise TokenError(f"{user.email} is a vendor contact: the API is for staff; vendors report through their pages.")
    name = (name or "").strip()
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise TokenError(f"Use a name of at most {MAX_NAME_LENGTH} characters.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=secret[:PREFIX_LENGTH], token_hash=hash_token(secret), created_at=now)
    db.session.add(token)
    db.session.flush()
    record(
        actor, "create", token, after={"user_id": user.id, "name": name, "prefix": token.prefix},
        summary=f"Created API token {token.prefix}… for {user.email}",
    )
    db.session.commit()
    return token, secret


def list_tokens(email=None):
    """Tokens (newest first) with their users, all of them or one user's."""
    query = (
        select(ApiToken)
        .join(ApiToken.user)
        .options(contains_eager(ApiToken.user))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if email:
        query = query.where(ApiToken.user_id == _user_by_email(email).id)
    return db.session.scalars(query).all()


@command
def revoke_token(token_id, actor=None, now=None):
    """Revoke a token; False when it was revoked already. TokenError when there is no such token."""
    now = now or utcnow()
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"No API token with id {token_id}.")
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    record(
        actor, "update", token, before={"revoked_at": None}, after={"revoked_at": now.isoformat()},
        summary=f"Revoked API token {token.prefix}… of {token.user.email}",
    )
    db.session.commit()
    return True


def bearer_secret(header):
    """The token in an ``Authorization: Bearer TOKEN`` header, or None."""
    scheme, _, secret = (header or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    return secret


class AuthenticatedToken(NamedTuple):
    """What ``authenticate`` finds: the token's id and times, and its user (an ORM object)."""

    id: int
    user: User
    revoked_at: datetime | None
    last_used_at: datetime | None


# Built once: a statement object memoizes its cache key. The user as an object (the request
# acts as it), built from the row (db_utils.RowLookup: no ORM loading per request), the token
# as the three columns needed: no ApiToken object to build and keep in the session.
_USER_KEYS = loaded_keys(User)
_BY_DIGEST = RowLookup(
    select(*columns_of(User, _USER_KEYS), ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash")),
    [(User, _USER_KEYS)],
)


def authenticate(header, now=None):
    """The active token (an ``AuthenticatedToken``, with its active user) named by an
    Authorization header, or None.

    One indexed lookup by digest; the secret itself is never compared, so there is nothing
    to time. Records last_used_at at most once per LAST_USED_RESOLUTION.
    """
    secret = bearer_secret(header)
    if secret is None:
        return None
    found = _BY_DIGEST.first({"token_hash": hash_token(secret)})
    token = None
    if found is not None:
        (user,), (token_id, revoked_at, last_used_at) = found
        token = AuthenticatedToken(token_id, user, revoked_at, last_used_at)
    # A vendor contact's token is never honoured (none can be made; this covers one made before).
    if token is None or token.revoked_at is not None or not token.user.active or token.user.role == VENDOR:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests write it once; committed on its own, before the
        # request does anything else.
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return token
