from contracts_app.i18n import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

ADMIN = "admin"
PROCUREMENT_OFFICER = "procurement_officer"
CONTRACT_MANAGER = "contract_manager"
CDO = "cdo"
VIEWER = "viewer"
# A vendor contact: signs in to report their own vendor's contracts (contracts_app.vendors);
# not a staff role, so not in ROLES (the admin's role list).
VENDOR = "vendor"

ROLES = {
    ADMIN: _l("Admin"),
    PROCUREMENT_OFFICER: _l("Procurement officer"),
    CONTRACT_MANAGER: _l("Contract manager"),
    CDO: _l("Chief data officer"),
    VIEWER: _l("Viewer"),
}
# Most privileged first: a single sign-on user in groups mapped to several roles gets the first
# of them here (auth.oidc.role_for_groups).
ROLE_PRECEDENCE = (ADMIN, PROCUREMENT_OFFICER, CDO, CONTRACT_MANAGER, VIEWER)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (db.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    role = db.Column(db.String(32), nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(UTCDateTime)
    # Vendor contacts (role VENDOR) belong to one vendor; staff have none.
    vendor_id = db.Column(db.Integer, db.ForeignKey("vendors.id"), index=True)
    # Mixed into the Flask-Login id (``get_id``): signing out, a password change or a
    # deactivation adds one, and every session and remember-me cookie made before stops working.
    session_version = db.Column(db.Integer, nullable=False, default=1, server_default="1")
    # Failed sign-ins in the current window (auth.services.record_failure: one atomic UPDATE,
    # so every web worker counts into the same row), and the lock they earned.
    failed_sign_ins = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    failure_window_started_at = db.Column(UTCDateTime)
    locked_until = db.Column(UTCDateTime)
    # The language of their pages and emails (contracts_app.i18n.user_language); None: the
    # city's default (BABEL_DEFAULT_LOCALE).
    language = db.Column(db.String(8))
    # The single sign-on identity this account is pinned to (the provider's issuer and the
    # user's ``sub`` there), set at the first sign-in matched by verified email; later sign-ins
    # match by it first (auth.oidc.sign_in_with_claims).
    oidc_issuer = db.Column(db.String(255))
    oidc_subject = db.Column(db.String(255))

    vendor = db.relationship("Vendor")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def is_locked(self, now):
        return self.locked_until is not None and self.locked_until > now

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        if self.role == VENDOR:
            return _l("Vendor contact")
        return ROLES.get(self.role, self.role)

    def has_role(self, *roles):
        return self.role in roles

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class SignInFailure(db.Model):
    """One failed sign-in: counted per address to slow one address's guessing (HTTP 429), and per
    email for emails with no account (so an unknown email is "locked" just as a real one is).
    Rows older than the window are deleted as new failures are recorded."""

    __tablename__ = "sign_in_failures"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), nullable=False, index=True)
    address = db.Column(db.String(64), nullable=False, index=True)
    failed_at = db.Column(UTCDateTime, nullable=False, index=True)
