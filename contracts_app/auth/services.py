"""Users: create, update, authenticate, sign out. Services own the transaction."""
from flask_babel import gettext as _
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from contracts_app.audit.services import record, snapshot
from contracts_app.auth import oidc
from contracts_app.auth.models import ADMIN, ROLES, VENDOR, SignInFailure, User
from contracts_app.auth.passwords import password_problem
from contracts_app.db_types import UTCDateTime
from contracts_app.formatting import local_datetime
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
        raise UserError(_('A user with this email already exists.'), "email")


@command
def offered_languages_for_users():
    """Every language a person can choose: the staff languages, then the public ones (vendor
    contacts read their pages in those)."""
    config = current_app.config
    return list(dict.fromkeys([*config["STAFF_LANGUAGES"], *config["PUBLIC_LANGUAGES"]]))


def _valid_language(language):
    """A language code a person may choose, or None (blank: the city's default)."""
    language = (language or "").strip() or None
    if language is not None and language not in offered_languages_for_users():
        raise UserError(_('Choose one of the languages offered (%(offered_languages_for_users)s).', offered_languages_for_users=', '.join(offered_languages_for_users())), "language")
    return language


_UNCHANGED = object()


def create_user(email, name, role, password, actor=None, active=True, language=None):
    """Create a user with a hashed password; raises UserError on a taken email or bad role."""
    if role not in ROLES:
        raise UserError(_('Unknown role %(role)s; choose one of %(ROLES)s.', role=repr(role), ROLES=', '.join(ROLES)), "role")
    email = _valid_email(email)
    problem = password_problem(password)
    if problem:
        raise UserError(problem, "password")
    if find_by_email(email):
        raise UserError(_('A user with this email already exists.'), "email")
    language = _valid_language(language)
    user = User(email=email, name=(name or email).strip(), role=role, active=active, language=language)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "create", user, after=snapshot(user), summary=f"Created user {email} ({role})")
    _commit_or_email_taken()
    return user


@command
def set_language(user, language):
    """A person's own choice of language (their account page); audited as their own change."""
    language = _valid_language(language)
    if language == user.language:
        return False
    before = snapshot(user)
    user.language = language
    db.session.flush()
    record(user, "update", user, before=before, after=snapshot(user), summary=f"{user.email} chose a language")
    db.session.commit()
    return True


@command
def update_user(user, actor, email, name, role, active, password=None, language=_UNCHANGED):
    if VENDOR in (user.role, role):
        # A vendor contact belongs to a vendor and sees only its contracts: never made staff (or
        # staff made one) by a change of role; staff get their own account.
        if role != user.role:
            raise UserError(_('A vendor contact cannot become staff, nor staff a vendor contact: use a separate account.'), "role")
    elif role not in ROLES:
        raise UserError(_('Unknown role.'), "role")
    email = _valid_email(email)
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise UserError(_('A user with this email already exists.'), "email")
    if actor is not None and actor.id == user.id and not active:
        raise UserError(_('You cannot deactivate yourself.'), "active")
    if actor is not None and actor.id == user.id and role != user.role:
        raise UserError(_('You cannot change your own role.'), "role")
    if password:
        problem = password_problem(password)
        if problem:
            raise UserError(problem, "password")
    if language is not _UNCHANGED:
        language = _valid_language(language)
    before = snapshot(user)
    deactivated = user.active and not active
    user.email, user.name, user.role, user.active = email, name.strip(), role, bool(active)
    if language is not _UNCHANGED:
        user.language = language
    if password:
        user.set_password(password)
    after = snapshot(user, {"password_changed": bool(password)})
    if password or deactivated:
        # A new password or a deactivation ends every session the user has (auth.models.get_id).
        user.session_version = User.session_version + 1
    record(actor, "update", user, before=before, after=after, summary=f"Updated user {email}")
    _commit_or_email_taken()
    return user


@command
def set_password(user, password, actor=None):
    """Give ``user`` a new password (the rules of auth.passwords); their sessions end."""
    problem = password_problem(password)
    if problem:
        raise UserError(problem, "password")
    user.set_password(password)
    user.session_version = User.session_version + 1
    record(actor, "update", user, before={"password_changed": False}, after={"password_changed": True},
           summary=f"Set a new password for {user.email}")
    db.session.commit()
    return user


@command
def end_sessions(user):
    """Sign ``user`` out everywhere: every session and remember-me cookie made so far stops
    working (one atomic UPDATE, whichever worker holds which cookie)."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- sign-in ----------------------------------------------------------------------------------

def password_sign_in_allowed(user):
    """Whether ``user`` may sign in with a password. LOCAL_LOGIN=false turns staff passwords off
    (they use single sign-on) but keeps them for vendor contacts, who have no city account, and
    for the break-glass admins (BREAK_GLASS_ADMINS, accounts with the admin role), who must be
    able to get in when the provider is down or misconfigured."""
    if current_app.config["LOCAL_LOGIN"] or user.role == VENDOR:
        return True
    return user.role == ADMIN and normalise_email(user.email) in oidc.break_glass_emails()


WRONG = "Email or password is not right, or the account is inactive."

_DUMMY_HASH = []


def dummy_hash():
    """A hash of a random password, made as real ones are (the same method and cost), checked
    when there is no account, so a sign-in for an unknown email takes as long as a real one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_urlsafe(32)))
    return _DUMMY_HASH[0]


@dataclass
class SignIn:
    """What a sign-in attempt came to: the ``user`` when it worked, else a ``message``;
    ``retry_at`` when locked or throttled; ``throttled`` when the address must wait (HTTP 429)."""

    user: User = None
    message: str = None
    retry_at: datetime = None
    throttled: bool = False


def _settings():
    config = current_app.config
    return (
        config["SIGN_IN_MAX_FAILURES"],
        timedelta(minutes=config["SIGN_IN_FAILURE_WINDOW_MINUTES"]),
        timedelta(minutes=config["SIGN_IN_LOCK_MINUTES"]),
        config["SIGN_IN_MAX_ADDRESS_FAILURES"],
    )


def _stamp(value):
    return literal(value, UTCDateTime())


def locked_message(retry_at):
    return (f"Too many failed sign-ins for this account: it is locked until {local_datetime(retry_at)}. "
            "Try again then.")


def address_retry_at(address, now):
    """When this address may try again, or None when it is not throttled."""
    max_failures, window, _lock, max_address = _settings()
    if max_address <= 0:
        return None  # the per-address slow-down is off
    count, oldest = db.session.execute(
        select(func.count(SignInFailure.id), func.min(SignInFailure.failed_at))
        .where(SignInFailure.address == address, SignInFailure.failed_at > _stamp(now - window))
    ).one()
    if count < max_address:
        return None
    return oldest + window


def _unknown_email_locked_until(email, now):
    """An email with no account is locked just as an account would be (so the lock message does
    not tell which emails have accounts): the same counting, replayed over its recorded failures."""
    max_failures, window, lock, _delay = _settings()
    times = db.session.scalars(
        select(SignInFailure.failed_at)
        .where(SignInFailure.email == email, SignInFailure.failed_at > _stamp(now - window - lock))
        .order_by(SignInFailure.failed_at)
    ).all()
    count, started, locked_until = 0, None, None
    for at in times:
        if locked_until is not None and at < locked_until:
            continue  # attempts while locked are not counted, as for an account
        if started is None or started <= at - window:
            count, started = 1, at
        else:
            count += 1
        if count >= max_failures:
            locked_until = at + lock
            count, started = 0, None
    return locked_until if locked_until is not None and locked_until > now else None


def authenticate(email, password, address="", now=None):
    """Try a sign-in; returns a ``SignIn``. Every outcome but a throttled address runs exactly one
    password hash check (against a dummy hash when there is no account), and the refusals for an
    unknown email, a wrong password and an inactive user read the same."""
    now = now or utcnow()
    address = (address or "")[:64]
    email = normalise_email(email)[:255]
    max_failures, window, lock, _delay = _settings()

    retry_at = address_retry_at(address, now)
    if retry_at is not None:
        return SignIn(message="Too many failed sign-ins from your address; wait a few minutes and try again.",
                      retry_at=retry_at, throttled=True)

    # As the database has it now (another worker may have locked it), not as this session last saw it.
    user = db.session.scalar(
        select(User).where(func.lower(User.email) == email).execution_options(populate_existing=True)
    )
    locked_until = (user.locked_until if user is not None else _unknown_email_locked_until(email, now))
    if locked_until is not None and locked_until > now:
        check_password_hash(dummy_hash(), password or "")
        db.session.rollback()
        return SignIn(message=locked_message(locked_until), retry_at=locked_until)

    right = check_password_hash(user.password_hash if user is not None else dummy_hash(), password or "")
    if user is not None and right and user.active and not password_sign_in_allowed(user):
        # Only someone who knows the password learns that passwords are off for this account:
        # a wrong one is answered as always. Not a failure (nothing was guessed), not a sign-in.
        db.session.rollback()
        return SignIn(message=f"Staff sign in with {oidc.provider_name()}: passwords are turned off for "
                              "staff accounts.")
    if user is not None and right and user.active:
        user.failed_sign_ins, user.failure_window_started_at, user.locked_until = 0, None, None
        user.last_login_at = now
        if not current_app.config["LOCAL_LOGIN"] and user.role == ADMIN:
            # A break-glass admin used a password while staff passwords are off: worth a trace.
            record(user, "sign_in", user, summary=f"Break-glass password sign-in by {user.email}")
        db.session.commit()
        return SignIn(user=user)

    # A failure. The account's count is one UPDATE computed from the row as it is when the
    # UPDATE runs, so workers failing at once each add one (the row lock orders them).
    if user is not None:
        fresh = or_(User.failure_window_started_at.is_(None), User.failure_window_started_at <= _stamp(now - window))
        count = case((fresh, 1), else_=User.failed_sign_ins + 1)
        db.session.execute(
            update(User).where(User.id == user.id).values(
                failed_sign_ins=count,
                failure_window_started_at=case((fresh, _stamp(now)), else_=User.failure_window_started_at),
                locked_until=case((count >= max_failures, _stamp(now + lock)), else_=User.locked_until),
            ).execution_options(synchronize_session=False)
        )
    db.session.execute(insert(SignInFailure).values(email=email, address=address, failed_at=now))
    # Forget failures too old to matter to any count.
    db.session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= _stamp(now - window - lock)))
    db.session.commit()
    if user is not None:
        locked_until = db.session.scalar(select(User.locked_until).where(User.id == user.id))
    else:
        locked_until = _unknown_email_locked_until(email, now)
    if locked_until is not None and locked_until > now:
        return SignIn(message=locked_message(locked_until), retry_at=locked_until)
    return SignIn(message=WRONG)


@command
def unlock_user(user, actor, now=None):
    """Lift the sign-in lock on ``user`` (too many failed passwords) and clear their failure
    count, so they may try again at once; recorded in the audit log."""
    now = now or utcnow()
    was_locked_until = user.locked_until if user.is_locked(now) else None
    if was_locked_until is None and not user.failed_sign_ins:
        raise UserError(_('%(email)s is not locked.', email=user.email))
    user.failed_sign_ins, user.failure_window_started_at, user.locked_until = 0, None, None
    record(actor, "update", user,
           before={"locked_until": _jsonable_time(was_locked_until)}, after={"locked_until": None},
           summary=f"Unlocked sign-in for {user.email}")
    db.session.commit()
    return user


@command
def unlink_identity(user, actor):
    """Forget the single sign-on identity ``user`` is pinned to, so that their next single sign-on
    is matched by verified email again (after the provider gave them a new identity); audited."""
    if user.oidc_subject is None:
        raise UserError(_('%(email)s is not linked to a single sign-on identity.', email=user.email))
    before = {"oidc_issuer": user.oidc_issuer, "oidc_subject": user.oidc_subject}
    user.oidc_issuer = user.oidc_subject = None
    record(actor, "update", user, before=before, after={"oidc_issuer": None, "oidc_subject": None},
           summary=f"Unlinked {user.email} from their single sign-on identity")
    db.session.commit()
    return user


def _jsonable_time(value):
    return value.isoformat() if value is not None else None


# --- single sign-on -----------------------------------------------------------------------------

class SignInRefused(ServiceError):
    """A single sign-on that verified but may not sign anyone in here (no account, no mapped
    group, deactivated, ...): ``message`` says why and whom to ask."""


def _ask():
    return current_app.config["OIDC_SUPPORT_CONTACT"]


@command
def sign_in_with_identity(identity, now=None):
    """The user a verified single sign-on ``identity`` (auth.oidc.Identity) signs in, with their
    role set from the provider's groups; raises ``SignInRefused`` having changed nothing.

    Matched by the pinned (issuer, subject) first; failing that, by verified email, and the
    account is then pinned to this subject, so a later change of email at the provider (or an
    address reused for someone else) does not move the account. An email already pinned to
    another subject at this issuer is refused. The role is the most privileged one the person's
    mapped groups give (``oidc.role_for_groups``), applied at every sign-in and audited when it
    changes; in no mapped group, they are refused. With OIDC_ROLE_SOURCE=tracker (a provider that
    sends no groups) the role is the one an admin gave the account here, and only existing
    accounts sign in. With OIDC_ALLOWED_DOMAINS, the token's ``hd`` (Google's Workspace domain)
    must be one of them. Vendor contacts never sign in this way: they are invited, belong to a
    vendor no group can name, and keep their password.

    The password lock (``authenticate``) is left as it is: the provider did the authentication
    (with its own lockout and second factor), and a stranger typing wrong passwords should not
    keep staff out of single sign-on."""
    now = now or utcnow()
    config = current_app.config
    provider = oidc.provider_name()
    domains = oidc.allowed_domains(config)
    if domains and identity.hosted_domain not in domains:
        # A personal account (no hd) or another organisation's, even one with a city address.
        account = (f"belongs to {identity.hosted_domain}" if identity.hosted_domain
                   else "belongs to no organisation (a personal account)")
        raise SignInRefused(_('The %(provider)s account you used %(account)s; only accounts in %(domains)s sign in here. Sign in with your city account, or ask %(ask)s.', provider=provider, account=account, domains=', '.join(sorted(domains)), ask=_ask()))
    tracker_roles = oidc.role_source(config) == "tracker"
    user = db.session.scalar(
        select(User).where(User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject)
    )
    if user is None:
        if identity.email and len(identity.email) > 255:
            raise SignInRefused(_('%(provider)s sent an email address longer than any account here can have. Ask %(ask)s.', provider=provider, ask=_ask()))
        if not identity.email:
            raise SignInRefused(_("%(provider)s did not send your email address, so your account here cannot be found. Ask %(ask)s to check the provider's settings (the email scope).", provider=provider, ask=_ask()))
        if not identity.email_verified and not config["OIDC_TRUST_EMAIL"]:
            raise SignInRefused(_('%(provider)s does not confirm that %(email)s is verified, so it cannot be matched to an account here. Verify the address with %(provider)s, or ask %(ask)s.', provider=provider, email=identity.email, ask=_ask()))
        user = find_by_email(identity.email)
        if user is not None and user.oidc_subject is not None and user.oidc_issuer == identity.issuer:
            raise SignInRefused(_('The account for %(email)s is linked to a different %(provider)s identity. Ask %(ask)s.', email=identity.email, provider=provider, ask=_ask()))
    if user is not None and user.role == VENDOR:
        raise SignInRefused(_("%(email)s is a vendor contact's account: vendor contacts sign in with their email and password, not single sign-on.", email=user.email))
    if user is not None and not user.active:
        raise SignInRefused(_('The account for %(email)s is deactivated. Ask %(ask)s if you need access again.', email=user.email, ask=_ask()))
    if tracker_roles:
        if user is None:
            raise SignInRefused(_('There is no account here for %(email)s. Ask %(ask)s to create one with this email and the role you need; then sign in again.', email=identity.email, ask=_ask()))
        role = user.role
    else:
        role = oidc.role_for_groups(identity.groups, oidc.parse_role_map(config["OIDC_ROLE_MAP"]))
    if role is None:
        mapped = ", ".join(sorted(oidc.parse_role_map(config["OIDC_ROLE_MAP"])))
        raise SignInRefused(_('Your %(provider)s account is not in any group that gives access to the tracker (those are: %(mapped)s). Ask %(ask)s to add you to the right group.', provider=provider, mapped=mapped, ask=_ask()))
    if user is None:
        if not config["OIDC_CREATE_USERS"]:
            raise SignInRefused(_('There is no account here for %(email)s. Ask %(ask)s to create one (with this email); then sign in again.', email=identity.email, ask=_ask()))
        user = User(email=identity.email, name=(identity.name or identity.email).strip()[:120], role=role,
                    oidc_issuer=identity.issuer, oidc_subject=identity.subject)
        # Never used: a random password, hashed as real ones are, so that a password sign-in for
        # this account takes as long as any other and cannot work (staff sign in by the provider).
        user.set_password(secrets.token_urlsafe(32))
        db.session.add(user)
        db.session.flush()
        record(None, "create", user, after=snapshot(user),
               summary=f"Created user {user.email} ({role}) at their first sign-in with {provider}"[:255])
    else:
        before = snapshot(user)
        changes = []
        if user.role != role:
            changes.append(f"role {user.role} to {role} from their {provider} groups")
            user.role = role
        if (user.oidc_issuer, user.oidc_subject) != (identity.issuer, identity.subject):
            changes.append(f"linked to their {provider} identity")
            user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
        if changes:
            record(None, "update", user, before=before, after=snapshot(user),
                   summary=f"Single sign-on for {user.email}: {'; '.join(changes)}"[:255])
    user.last_login_at = now
    try:
        db.session.commit()
    except IntegrityError:
        # The same first sign-in in two tabs at once: the unique email or identity decides.
        db.session.rollback()
        raise SignInRefused(_('This sign-in happened twice at once; sign in again.'))
    return user
