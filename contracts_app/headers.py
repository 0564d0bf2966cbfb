"""Security headers on every response: HTML pages, error pages, redirects, static files,
downloads and the JSON API alike (``init_headers(app)`` in create_app).

Flask-Talisman sets them in an ``after_request`` hook, which Flask runs for every response it
makes, including those of error handlers and of the 500 page. The policy:

- ``Content-Security-Policy``: scripts, styles, fonts and images from the app itself only, no
  inline script or style (all CSS is in static/app.css; SVG charts use presentation attributes,
  never ``style=""``), no plugins, no ``<base>`` elsewhere, forms posting only here, and no
  framing by anyone (``frame-ancestors 'none'``, with ``X-Frame-Options: DENY`` for old browsers).
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
- ``Strict-Transport-Security`` when ``HSTS_ENABLED`` (on in ProductionConfig). Talisman sends it
  only on HTTPS requests (``request.is_secure`` or ``X-Forwarded-Proto: https``): browsers ignore
  it over plain HTTP anyway.

Talisman's own redirect to HTTPS (``force_https``) is off everywhere: in development and tests the
app is served over plain HTTP, and in production the reverse proxy in front of gunicorn
terminates TLS and redirects port 80 to 443 (it sees every request first; the app, behind it,
would only see ``X-Forwarded-Proto``). Talisman's cookie settings are not used either: the
session and remember-me cookies are set from config/settings.py.
"""
from urllib.parse import urlsplit

from flask import current_app
from flask_talisman import Talisman

# Each directive's sources. 'self' is the app's own origin.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(config):
    """The policy for this app's settings: the OpenID Connect provider (``OIDC_ISSUER``), when
    there is one, may receive the sign-in form's redirect (Chrome applies form-action to the
    redirects that follow a form's submission)."""
    policy = dict(CONTENT_SECURITY_POLICY)
    issuer = config.get("OIDC_ISSUER")
    if issuer:
        parts = urlsplit(issuer)
        if parts.scheme and parts.netloc:
            policy["form-action"] += f" {parts.scheme}://{parts.netloc}"
    return policy


class _Talisman(Talisman):
    """Talisman with the policy computed from the app's settings on each request, so that it
    follows OIDC_ISSUER wherever the settings come from (tests change them after create_app)."""

    def _get_local_options(self):
        options = dict(super()._get_local_options())
        options["content_security_policy"] = content_security_policy(current_app.config)
        return options


def init_headers(app):
    """Attach the security headers to every response of ``app``.

    One Talisman per app (it keeps its options on itself, and the tests build many apps)."""
    config = app.config
    talisman = _Talisman()
    app.extensions["talisman"] = talisman
    talisman.init_app(
        app,
        force_https=False,  # the reverse proxy redirects to HTTPS (see above)
        frame_options="DENY",
        content_security_policy=content_security_policy(config),
        referrer_policy="same-origin",
        strict_transport_security=config["HSTS_ENABLED"],
        strict_transport_security_max_age=config["HSTS_MAX_AGE_SECONDS"],
        strict_transport_security_include_subdomains=config["HSTS_INCLUDE_SUBDOMAINS"],
        strict_transport_security_preload=False,
        # Cookies: config/settings.py decides (Talisman would otherwise force Secure cookies,
        # which a development server on http://127.0.0.1 could not set, and its own SameSite).
        session_cookie_secure=False,
        session_cookie_http_only=config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
        force_file_save=False,
    )
