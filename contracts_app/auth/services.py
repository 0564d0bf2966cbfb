"""Users: create, update, authenticate. Services own the transaction."""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from contracts_app.audit.services import record, snapshot
from contracts_app.auth.models import ROLES, VENDOR, User
from contracts_app.db_types import utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.forms_common import normalise_email_address


class UserError(ServiceError):
    """A user change that cannot be made; ``field`` names the form field at fault."""


def normalise_email(email):
    return (email or "").strip().lower()


def find_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _valid_email(email):
    try:
        return normalise_email_address(email)
    except ValueError as error:
        raise UserError(str(error), "email")


def _commit_or_email_taken():
    try:
        db.session.commit()
    except IntegrityError:
        # Two admins saving the same email at once: the unique constraint decides.
        db.session.rollback()
        raise UserError("A user with this email already exists.", "email")


@command
def create_user(email, name, role, password, actor=None, active=True):
    """Create a user with a hashed password; raises UserError on a taken email or bad role."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.", "role")
    email = _valid_email(email)
    if not password or len(password) < 8:
        raise UserError("Use a password of at least 8 characters.", "password")
    if find_by_email(email):
        raise UserError("A user with this email already exists.", "email")
    user = User(email=email, name=(name or email).strip(), role=role, active=active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "create", user, after=snapshot(user), summary=f"Created user {email} ({role})")
    _commit_or_email_taken()
    return user


@command
def update_user(user, actor, email, name, role, active, password=None):
    if VENDOR in (user.role, role):
        # A vendor contact belongs to a vendor and sees only its contracts: never made staff (or
        # staff made one) by a change of role; staff get their own account.
        if role != user.role:
            raise UserError("A vendor contact cannot become staff, nor staff a vendor contact: use a separate account.", "role")
    elif role not in ROLES:
        raise UserError("Unknown role.", "role")
    email = _valid_email(email)
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise UserError("A user with this email already exists.", "email")
    if actor is not None and actor.id == user.id and not active:
        raise UserError("You cannot deactivate yourself.", "active")
    if actor is not None and actor.id == user.id and role != user.role:
        raise UserError("You cannot change your own role.", "role")
    before = snapshot(user)
    user.email, user.name, user.role, user.active = email, name.strip(), role, bool(active)
    if password:
        user.set_password(password)
    after = snapshot(user, {"password_changed": bool(password)})
    record(actor, "update", user, before=before, after=after, summary=f"Updated user {email}")
    _commit_or_email_taken()
    return user


def authenticate(email, password):
    """The active user with this email and password, or None. Records the sign-in time."""
    user = find_by_email(email)
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user
