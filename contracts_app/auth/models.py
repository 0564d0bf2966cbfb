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
    ADMIN: "Admin",
    PROCUREMENT_OFFICER: "Procurement officer",
    CONTRACT_MANAGER: "Contract manager",
    CDO: "Chief data officer",
    VIEWER: "Viewer",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

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

    vendor = db.relationship("Vendor")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        if self.role == VENDOR:
            return "Vendor contact"
        return ROLES.get(self.role, self.role)

    def has_role(self, *roles):
        return self.role in roles

    def __repr__(self):
        return f"<User {self.email} {self.role}>"
