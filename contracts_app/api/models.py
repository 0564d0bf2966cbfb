from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only a SHA-256 digest of the secret is stored: the
    secret is random and long, so a slow password hash would add nothing but latency."""

    __tablename__ = "api_tokens"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(120), nullable=False, default="")
    # The first characters of the token, shown in listings so people can tell tokens apart.
    prefix = db.Column(db.String(16), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(UTCDateTime)
    revoked_at = db.Column(UTCDateTime)

    user = db.relationship("User")

    @property
    def active(self):
        return self.revoked_at is None

    def __repr__(self):
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id}>"


class IdempotencyKey(db.Model):
    """An ``Idempotency-Key`` a token's user sent with a write (contracts_app.api.idempotency):
    claimed before the write runs (``response_status`` empty while it runs), then holding the
    response, which a retry with the same key gets again instead of a second write."""

    __tablename__ = "api_idempotency_keys"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key = db.Column(db.String(255), nullable=False)
    method = db.Column(db.String(10), nullable=False)
    path = db.Column(db.String(255), nullable=False)
    # SHA-256 of the request: method, path, query, If-Match and the body as canonical JSON.
    request_hash = db.Column(db.String(64), nullable=False)
    response_status = db.Column(db.Integer)
    response_body = db.Column(db.Text)
    response_headers = db.Column(db.JSON)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    completed_at = db.Column(UTCDateTime)

    __table_args__ = (db.UniqueConstraint("user_id", "key", name="uq_api_idempotency_keys_user_key"),)

    @property
    def in_progress(self):
        return self.response_status is None
