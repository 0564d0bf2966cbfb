"""``Idempotency-Key`` for API writes: a retried request never records twice.

A client that did not hear the answer to a write (a timeout, a dropped connection) sends it
again with the same ``Idempotency-Key`` header and gets the first answer back, with
``Idempotent-Replayed: true``, instead of a second write. Put ``@idempotent`` between a view's
``@bp.route`` and its ``@bp.arguments``::

    @bp.route("/readings/batch", methods=["POST"])
    @idempotent
    @bp.arguments(BatchSchema)
    @bp.response(201, BatchResultSchema)
    def record_batch(body): ...

The rules (README, "Corrections and retries"):

- A key belongs to the token's user, is 1 to 255 visible ASCII characters (a UUID is usual),
  and is remembered for ``API_IDEMPOTENCY_HOURS`` (24); after that it may be used again.
- The key is *claimed* before the view runs, as the sweep claims flags: an INSERT under the
  unique (user, key) constraint, committed at once. Only the request whose INSERT made the row
  runs the view; one that finds the row answers from it:
  the stored response (replayed), 409 ``idempotency_in_progress`` while the first request still
  runs, or 409 ``idempotency_key_reused`` when the row was made by a different request (another
  method, path, query, If-Match or body). The IETF draft (draft-ietf-httpapi-idempotency-key-header)
  suggests 422 for the latter; the API answers 409 as for every refusal by stored data (the key's
  first request): the request itself is valid, and is accepted with a new key.
- Only successful (2xx) answers are stored. A refused request (4xx) or a failure (5xx) wrote
  nothing (services roll back what they refuse), so its claim is released and the same key may
  be sent again, corrected or not.
- A request interrupted after its write and before its answer was stored (the worker killed)
  leaves its key "in progress" until it expires: send the retry with a new key; the write's own
  rules (one reading per period, a correction's version) refuse a repetition.
"""
import functools
import hashlib
import json
import re
from copy import deepcopy
from datetime import timedelta
from decimal import Decimal

from flask import Response, current_app, request
from sqlalchemy import delete, select, update

from contracts_app.api.base import api_user
from contracts_app.api.errors import ApiError
from contracts_app.api.models import IdempotencyKey
from contracts_app.db_types import utcnow
from contracts_app.db_utils import dialect_insert
from contracts_app.extensions import db

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII, with spaces only inside: what a header carries without encoding trouble.
_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?", re.ASCII)
# The response headers replayed with the stored body.
_KEPT_HEADERS = ("ETag", "Location")
# What the OpenAPI document says (setup._complete adds it to every operation marked idempotent).
DOC_MARK = "x-idempotent"
PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
               "example": "7c4e9f0e-3b1a-4d2e-9a53-1f0b6c2d8e11"},
    "description": (
        "Makes a retry safe: a request repeated with the same key (and the same method, path, If-Match and body) "
        "within 24 hours gets the first response again, with `Idempotent-Replayed: true`, and records nothing more. "
        "The same key with a different request is a 409 (`idempotency_key_reused`); while the first request runs, "
        "a second answers 409 (`idempotency_in_progress`). Refused requests (4xx) are not remembered: fix the "
        "request and send it again with the same key. 1 to 255 visible ASCII characters; keys are per user."
    ),
}
REPLAYED_RESPONSE_HEADER = {
    "description": "`true` when this is the stored response to an earlier request with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def idempotent(view):
    """Make an API write view honour ``Idempotency-Key`` (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        sent = request.headers.get(HEADER)
        if sent is None:
            return current_app.ensure_sync(view)(*args, **kwargs)
        key = checked_key(sent)
        now = utcnow()
        claim = claim_key(api_user(), key, request.method, request.path, request_fingerprint(), now)
        if not isinstance(claim, int):
            return replay(claim)
        try:
            response = current_app.make_response(current_app.ensure_sync(view)(*args, **kwargs))
        except BaseException:
            release(claim)
            raise
        if 200 <= response.status_code < 300:
            store(claim, response, utcnow())
        else:
            release(claim)
        return response

    # The OpenAPI document: flask-smorest keeps what the decorators below noted in _apidoc.
    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {})[DOC_MARK] = True
    return wrapper


def checked_key(text):
    """The key as sent, or 400 ``invalid_idempotency_key`` saying what is wrong with it."""
    if len(text) > MAX_KEY_LENGTH:
        problem = f"is {len(text)} characters long; use at most {MAX_KEY_LENGTH} (a UUID is usual)."
    elif not _KEY.fullmatch(text):
        problem = "must be 1 to 255 visible ASCII characters (letters, digits, punctuation), such as a UUID."
    else:
        return text
    raise ApiError(400, f"The Idempotency-Key header {problem}", code="invalid_idempotency_key", fields={HEADER: problem})


def request_fingerprint():
    """SHA-256 of what makes two requests the same: method, path, query, If-Match and the body
    (as canonical JSON, so key order and spacing do not matter; raw bytes if it is not JSON)."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal) if raw else None
        body_text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    except (ValueError, RecursionError):
        body_text = raw.hex()
    parts = {
        "method": request.method, "path": request.path, "query": request.query_string.decode("latin-1"),
        "if_match": request.headers.get("If-Match"), "body": body_text,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def _lifetime():
    return timedelta(hours=current_app.config["API_IDEMPOTENCY_HOURS"])


def claim_key(user, key, method, path, fingerprint, now):
    """Claim ``key`` for this request: its row id when this request may run (the caller then
    ``store``s or ``release``s it), else the stored IdempotencyKey to replay; ApiError 409 while
    another request holds it, 422 when it was used for a different request.

    The claim is an INSERT ... ON CONFLICT DO NOTHING committed at once, so of two requests
    sent together exactly one inserts: on PostgreSQL the second INSERT waits for the first's
    commit and then does nothing; on SQLite writers take turns. A key past its lifetime is
    deleted first, so it can be claimed again.
    """
    for _attempt in range(3):
        db.session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key, IdempotencyKey.created_at < now - _lifetime())
            .execution_options(synchronize_session=False)
        )
        claimed = db.session.execute(
            dialect_insert(IdempotencyKey)
            .values(user_id=user.id, key=key, method=method, path=path[:255], request_hash=fingerprint, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotencyKey.id)
        ).scalar()
        db.session.commit()
        if claimed is not None:
            return claimed
        row = db.session.execute(
            select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        ).scalar()
        if row is None:
            continue  # released (its request was refused) since our INSERT: claim it again
        if (row.method, row.path, row.request_hash) != (method, path[:255], fingerprint):
            raise ApiError(
                409,
                f"This Idempotency-Key was already used for a different request ({row.method} {row.path}, or another "
                "body or If-Match): use a new key for a new request.",
                code="idempotency_key_reused", fields={HEADER: "Already used for a different request."},
            )
        if row.in_progress:
            raise ApiError(
                409, "A request with this Idempotency-Key is still being processed: wait a moment and send it again.",
                code="idempotency_in_progress", headers={"Retry-After": "1"},
            )
        return row
    raise ApiError(409, "This Idempotency-Key is in use by other requests right now: send it again.",
                   code="idempotency_in_progress", headers={"Retry-After": "1"})


def store(claim_id, response, now):
    """Keep a successful response for the claimed key, for retries to replay."""
    db.session.execute(
        update(IdempotencyKey).where(IdempotencyKey.id == claim_id)
        .values(
            response_status=response.status_code, response_body=response.get_data(as_text=True),
            response_headers={name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers},
            completed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def release(claim_id):
    """Forget the claim of a request that wrote nothing (refused or failed).

    Its view's service rolled back what it refused; a failure (an unexpected exception) may
    have left the session's transaction broken, so it is rolled back here before the DELETE,
    as the API's 500 handler would (that handler then has nothing left to undo)."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id).execution_options(synchronize_session=False))
    db.session.commit()


def replay(row):
    """The stored response again, marked as replayed."""
    response = Response(row.response_body, status=row.response_status, mimetype="application/json")
    for name, value in (row.response_headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def purge_expired_keys(now=None):
    """Delete keys older than their lifetime (the scheduler's sweep job calls this); returns how
    many. Claims are also renewed lazily: an expired key is deleted when it is sent again."""
    now = now or utcnow()
    deleted = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - _lifetime())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return deleted
