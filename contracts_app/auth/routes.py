from flask_babel import force_locale, gettext as _
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from contracts_app.auth import bp, oidc
from contracts_app.auth.forms import AccountForm, LoginForm, SingleSignOnForm, UserForm
from contracts_app.auth.models import ADMIN, VENDOR, User
from contracts_app.auth.services import (
    SignInRefused, UserError, authenticate, create_user, end_sessions, set_language, sign_in_with_identity,
    unlink_identity, unlock_user, update_user,
)
from contracts_app.db_types import utcnow
from contracts_app.extensions import db, login_manager
from contracts_app.forms_common import errors_on
from contracts_app.http import is_api_request
from contracts_app.i18n import languages_for, user_language
from contracts_app.permissions import roles_required

# Everything else needs a signed-in user (checked before every request).
# The invitation link is how a vendor contact first gets a password, so it works signed out.
# The single sign-on start and callback are how a signed-out person signs in.
PUBLIC_ENDPOINTS = {"auth.login", "auth.oidc_login", "auth.oidc_callback", "static", "vendors.invitation"}
# For machines: the load balancer's health check, and the Prometheus scrape (its own token).
PUBLIC_ENDPOINTS |= {"operations.healthz", "operations.metrics"}


def require_sign_in():
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "public":
        return None  # the sign-in pages, and what is published for everyone (contracts_app/public)
    if is_api_request():
        return None  # the API authenticates by token (contracts_app/api/setup.py), never by cookie
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@login_manager.user_loader
def load_user(user_id):
    """The user of a session or remember-me cookie: its id is "id:session_version"
    (User.get_id), and a version the user has moved past (signed out, new password,
    deactivated) is a cookie that no longer works."""
    try:
        raw_id, raw_version = str(user_id).split(":")
        user = db.session.get(User, int(raw_id))
        version = int(raw_version)
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _safe_next(target):
    """Only same-site relative paths, so the sign-in page cannot be used to redirect away."""
    if not target or "\\" in target:
        # Browsers read a backslash as a slash: "/\\evil.example" would leave the site.
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _sign_in(user, remember, next_url):
    """Sign ``user`` in (a password or single sign-on alike): the Flask-Login session, and the
    remember-me cookie when asked for, both carrying the user's session version."""
    login_user(user, remember=remember)
    flash(_('Signed in as %(name)s.', name=user.name), "success")
    return redirect(_safe_next(next_url) or url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    sso = oidc.is_configured()
    # With staff passwords off the password form is hidden, but kept at /login?local=1 for
    # vendor contacts and the break-glass admins (linked from the page).
    show_password = (current_app.config["LOCAL_LOGIN"] or not sso or request.args.get("local") == "1"
                     or request.method == "POST")
    sso_form = SingleSignOnForm(formdata=None, prefix="sso") if sso else None
    page = dict(form=form, sso_form=sso_form, show_password=show_password, provider_name=oidc.provider_name(),
                next_url=_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        now = utcnow()
        result = authenticate(form.email.data, form.password.data, address=request.remote_addr, now=now)
        if result.user is None:
            form.password.errors.append(result.message)
            if result.throttled:
                wait = max(1, int((result.retry_at - now).total_seconds()) + 1)
                return render_template("auth/login.html", **page), 429, {"Retry-After": str(wait)}
        else:
            return _sign_in(result.user, form.remember.data, request.args.get("next"))
    return render_template("auth/login.html", **page)


@bp.route("/auth/oidc/login", methods=["POST"])
def oidc_login():
    """The provider's button: off to the provider, remembering "keep me signed in" and where to
    go afterwards for the callback."""
    if not oidc.is_configured():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SingleSignOnForm(prefix="sso")
    if not form.validate_on_submit():
        abort(400, description="The sign-in form was incomplete; start again.")
    session["oidc_remember"] = bool(form.remember.data)
    session["oidc_next"] = _safe_next(request.args.get("next"))
    try:
        return oidc.start_sign_in()
    except oidc.SignInFailed as failure:
        return _sso_failed(failure.message, failure.status)


def _sso_failed(message, status, title="Single sign-on did not work"):
    return render_template("auth/sso_refused.html", title=title, message=message,
                           provider_name=oidc.provider_name()), status


@bp.route("/auth/oidc/callback")
def oidc_callback():
    """Where the provider sends the browser back: verify its answer (auth.oidc.finish_sign_in),
    find the user and set their role (auth.services.sign_in_with_identity), sign them in."""
    if not oidc.is_configured():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    remember, next_url = session.pop("oidc_remember", False), session.pop("oidc_next", None)
    now = utcnow()
    try:
        identity = oidc.finish_sign_in(now)
        user = sign_in_with_identity(identity, now=now)
    except oidc.SignInFailed as failure:
        return _sso_failed(failure.message, failure.status)
    except SignInRefused as refusal:
        return _sso_failed(refusal.message, 403, title="You cannot sign in to the tracker")
    return _sign_in(user, remember, next_url)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ends the session on the server too: every cookie this user holds (here and on other
    # devices, session or remember-me) stops working.
    end_sessions(current_user)
    logout_user()
    flash(_('You are signed out.'), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """A person's own settings: the language of their pages and emails (each role chooses among
    the languages offered to it)."""
    codes = languages_for(current_user)
    form = AccountForm(codes=codes, data={"language": user_language(current_user)})
    if form.validate_on_submit():
        with errors_on(form, "language"):
            set_language(current_user, form.language.data)
            with force_locale(user_language(current_user)):
                flash(_("Your language is saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, codes=codes)


@bp.route("/users")
@roles_required(ADMIN)
def users():
    all_users = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    return render_template("auth/users.html", users=all_users, now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    form = UserForm(require_password=True)
    if form.validate_on_submit():
        with errors_on(form, "email"):
            user = create_user(
                form.email.data, form.name.data, form.role.data, form.password.data,
                actor=current_user, active=form.active.data, language=form.language.data,
            )
            flash(_('User %(email)s created.', email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if user.role == VENDOR:
        form.role.choices = [(VENDOR, user.role_label)]
    if form.validate_on_submit():
        with errors_on(form, "email"):
            update_user(
                user, current_user, form.email.data, form.name.data, form.role.data,
                form.active.data, form.password.data or None, language=form.language.data,
            )
            flash(_('User %(email)s updated.', email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, now=utcnow())


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(ADMIN)
def unlock(user_id):
    """Lift a sign-in lock (too many failed passwords) before it runs out."""
    user = db.get_or_404(User, user_id)
    try:
        unlock_user(user, current_user)
        flash(_('%(email)s may sign in again.', email=user.email), "success")
    except UserError as error:
        flash(error.message, "info")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/unlink-sso", methods=["POST"])
@roles_required(ADMIN)
def unlink_sso(user_id):
    """Forget the provider identity an account is pinned to (the person got a new one there)."""
    user = db.get_or_404(User, user_id)
    try:
        unlink_identity(user, current_user)
        flash(_('%(email)s is no longer linked; their next single sign-on is matched by email.', email=user.email), "success")
    except UserError as error:
        flash(error.message, "info")
    return redirect(url_for("auth.edit_user", user_id=user.id))
