from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from contracts_app.auth import bp
from contracts_app.auth.forms import LoginForm, UserForm
from contracts_app.auth.models import ADMIN, VENDOR, User
from contracts_app.auth.services import authenticate, create_user, end_sessions, update_user
from contracts_app.db_types import utcnow
from contracts_app.extensions import db, login_manager
from contracts_app.forms_common import errors_on
from contracts_app.http import is_api_request
from contracts_app.permissions import roles_required

# Everything else needs a signed-in user (checked before every request).
# The invitation link is how a vendor contact first gets a password, so it works signed out.
PUBLIC_ENDPOINTS = {"auth.login", "static", "vendors.invitation"}
# For machines: the load balancer's health check, and the Prometheus scrape (its own token).
PUBLIC_ENDPOINTS |= {"operations.healthz", "operations.metrics"}


def require_sign_in():
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        result = authenticate(form.email.data, form.password.data, address=request.remote_addr, now=now)
        if result.user is None:
            form.password.errors.append(result.message)
            if result.throttled:
                wait = max(1, int((result.retry_at - now).total_seconds()) + 1)
                return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        else:
            login_user(result.user, remember=form.remember.data)
            flash(f"Signed in as {result.user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ends the session on the server too: every cookie this user holds (here and on other
    # devices, session or remember-me) stops working.
    end_sessions(current_user)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/users")
@roles_required(ADMIN)
def users():
    all_users = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    return render_template("auth/users.html", users=all_users)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    form = UserForm(require_password=True)
    if form.validate_on_submit():
        with errors_on(form, "email"):
            user = create_user(
                form.email.data, form.name.data, form.role.data, form.password.data,
                actor=current_user, active=form.active.data,
            )
            flash(f"User {user.email} created.", "success")
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
                form.active.data, form.password.data or None,
            )
            flash(f"User {user.email} updated.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)
