"""RDC Tracker: results-driven contracting for city governments."""
import importlib
import os

from flask import Flask, abort, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from config import check_settings, config_from_env
from contracts_app import models  # noqa: F401  (every model registered with the metadata)
from contracts_app import template_helpers
from contracts_app.api.errors import error_response
from contracts_app.api.setup import init_api
from contracts_app.auth import oidc
from contracts_app.auth.routes import require_sign_in
from contracts_app.cli import register_cli
from contracts_app.db_utils import end_read_only_transaction
from contracts_app.digits import digits_at_most
from contracts_app.extensions import csrf, db, login_manager, migrate
from contracts_app.headers import init_headers
from contracts_app import i18n
from contracts_app.http import is_api_request, refuse_oversized_request
from contracts_app.operations import observability
from contracts_app.publish import push

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config=None):
    """Build the web application.

    ``config`` may be a settings class, a mapping of overrides, or None for the class named by
    ``RDC_CONFIG`` (development by default).
    """
    app = Flask(
        __name__,
        template_folder=os.path.join(ROOT, "templates"),
        instance_path=os.environ.get("RDC_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
    )
    settings = config if isinstance(config, type) else config_from_env()
    if hasattr(settings, "check"):
        settings.check()
    app.config.from_object(settings)
    if isinstance(config, dict):
        app.config.update(config)
    check_settings(app.config)

    oidc.check_settings(app.config)  # single sign-on half configured: refuse to start
    push.check_settings(app.config)  # an open-data portal half configured: likewise

    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "rdc.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # pool_pre_ping is pointless for SQLite; the default pool is right for it.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}

    db.init_app(app)
    # Runs before Flask-SQLAlchemy's removal of the session (teardowns run last-registered first).
    app.teardown_appcontext(end_read_only_transaction)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    # Before the features' request hooks, so that its after_request hook runs after theirs, on
    # every response (observability's hooks put themselves outermost).
    init_headers(app)
    app.before_request(refuse_oversized_request)
    app.url_map.converters["int"] = IdConverter
    observability.init_app(app)  # request ids, request log lines and metrics; ProxyFix behind a proxy
    app.before_request(refuse_nul_in_query)
    # Each feature's routes module attaches its views to the feature's blueprint.
    for feature in (
        "auth", "main", "priorities", "contracts", "metrics", "milestones", "audit", "management", "notifications",
        "portfolio", "imports", "work", "attachments", "vendors", "operations", "public",
        "payments", "spend", "decisions", "designs", "dimensions",
    ):
        module = importlib.import_module(f"contracts_app.{feature}.routes")
        app.register_blueprint(module.bp)
    app.before_request(require_sign_in)

    init_api(app)  # the JSON API under /api/v1: its own token auth, JSON errors, no CSRF

    register_cli(app)
    template_helpers.init_app(app)
    _register_error_pages(app)
    return app


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column holds: a larger number is a 404, not an
    overflow inside the database driver.

    The limit is in the converter's regular expression, not only in its ``max``: Werkzeug checks
    a rule's methods before it converts the values, so with ``max`` alone a PATCH or POST to
    /api/v1/contracts/2147483648 matched the address of the GET rule, failed the conversion of
    its own, and answered 405 instead of the 404 a GET gets."""

    regex = digits_at_most(2**31 - 1)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def refuse_nul_in_query():
    """A NUL character in a query string is never typed by a person and PostgreSQL refuses it
    in text: answer 400 before any view reads it. (Form text drops NULs in BaseForm.)"""
    for values in request.args.listvalues():
        if any("\x00" in value for value in values):
            abort(400, description="The address contains a NUL character.")


def _register_error_pages(app):
    """HTML error pages; requests under /api/ get the API's JSON errors instead."""
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if is_api_request():
            return error_response(error)
        return render_template("errors/400.html", reason=error.description), 400

    def error_page(error, code):
        if is_api_request():
            return error_response(error)
        if i18n.is_public_request():
            # Residents get the public site's page, in its layout and language, not the staff one.
            from contracts_app.public.routes import page_context

            return render_template("public/error.html", code=code, **page_context()), code
        return render_template(f"errors/{code}.html", reason=getattr(error, "description", "")), code

    for code in (400, 403, 404, 405, 413, 414, 431):
        app.register_error_handler(code, lambda error, code=code: error_page(error, code))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        if is_api_request():
            return error_response(error)
        return render_template("errors/500.html"), 500


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on and WAL journal for every SQLite connection (no-op elsewhere)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
