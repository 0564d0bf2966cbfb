import os
import re
from datetime import timedelta


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _list(name, default):
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


def normalise_database_url(url):
    """Accept the usual ``postgres://`` / ``postgresql://`` forms and use psycopg 3."""
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# An example prefix for development and the demo; a city publishing open data registers its own.
DEFAULT_OCID_PREFIX = "ocds-rdctrk"
OCID_PREFIX_PATTERN = re.compile(r"ocds-[a-z0-9]{6}")


def check_settings(config):
    """Refuse settings the app cannot run correctly with (any configuration); raises RuntimeError."""
    prefix = config.get("OCDS_OCID_PREFIX") or ""
    if not OCID_PREFIX_PATTERN.fullmatch(prefix):
        raise RuntimeError(
            f"OCDS_OCID_PREFIX must be 'ocds-' and six lower-case letters or digits, as registered with the "
            f"Open Contracting Partnership (e.g. ocds-a1b2c3), not {prefix!r}."
        )
    hour = config.get("PUBLISH_HOUR", 2)
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise RuntimeError(f"PUBLISH_HOUR must be an hour of the day, 0 to 23, not {hour!r}.")
    for key in ("PUBLIC_LANGUAGES", "STAFF_LANGUAGES"):
        languages = config.get(key, ["en"])
        missing = [code for code in languages if code not in available_languages()]
        if not languages or missing:
            raise RuntimeError(
                f"{key} must list languages the app has a translation for ({', '.join(available_languages())}), "
                f"not {','.join(languages)!r}."
            )


def available_languages():
    """English (the text as written) and every language with a compiled catalogue."""
    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "contracts_app", "translations")
    found = sorted(
        name for name in (os.listdir(folder) if os.path.isdir(folder) else [])
        if os.path.isfile(os.path.join(folder, name, "LC_MESSAGES", "messages.mo"))
    )
    return ["en"] + [code for code in found if code != "en"]


class BaseConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key")
    # None means "a SQLite file in the instance folder"; create_app fills it in.
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # How long "Keep me signed in" lasts (days).
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_COOKIE_DAYS", 14))
    # Strict-Transport-Security on HTTPS responses (contracts_app/headers.py): on in production
    # only, since a browser that saw it refuses plain HTTP to the host for HSTS_MAX_AGE_SECONDS.
    # Redirecting HTTP to HTTPS is the reverse proxy's job, not the app's.
    HSTS_ENABLED = _bool("HSTS_ENABLED", False)
    HSTS_MAX_AGE_SECONDS = _int("HSTS_MAX_AGE_SECONDS", 365 * 24 * 3600)
    HSTS_INCLUDE_SUBDOMAINS = _bool("HSTS_INCLUDE_SUBDOMAINS", False)

    # Sign-in throttling (kept in the database, so every worker and server shares it):
    # this many failed sign-ins for one account within the window lock it for the lock time;
    SIGN_IN_MAX_FAILURES = _int("SIGN_IN_MAX_FAILURES", 10)
    SIGN_IN_FAILURE_WINDOW_MINUTES = _int("SIGN_IN_FAILURE_WINDOW_MINUTES", 15)
    SIGN_IN_LOCK_MINUTES = _int("SIGN_IN_LOCK_MINUTES", 15)
    # and this many from one address (request.remote_addr) within the window answer 429 until the
    # oldest ages out; 0 turns that off.
    SIGN_IN_MAX_ADDRESS_FAILURES = _int("SIGN_IN_MAX_ADDRESS_FAILURES", 30)

    # Single sign-on by OpenID Connect (contracts_app/auth/oidc.py; README "Single sign-on").
    # On when OIDC_ISSUER is set: the provider's discovery document is read from
    # <OIDC_ISSUER>/.well-known/openid-configuration, and the client registered there needs the
    # redirect URI <APP_BASE_URL>/auth/oidc/callback.
    OIDC_ISSUER = (os.environ.get("OIDC_ISSUER") or "").strip().rstrip("/") or None
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET")
    # How the client authenticates at the token endpoint: client_secret_basic (the secret in an
    # Authorization header), client_secret_post (in the form), or private_key_jwt (an assertion
    # signed with OIDC_CLIENT_PRIVATE_KEY, a PEM file of an RSA or EC private key, and no secret;
    # Login.gov's way). The assertion's kid is OIDC_CLIENT_KEY_ID, or else the key's JWK thumbprint.
    OIDC_TOKEN_AUTH_METHOD = os.environ.get("OIDC_TOKEN_AUTH_METHOD") or "client_secret_basic"
    OIDC_CLIENT_PRIVATE_KEY = os.environ.get("OIDC_CLIENT_PRIVATE_KEY") or None
    OIDC_CLIENT_KEY_ID = os.environ.get("OIDC_CLIENT_KEY_ID") or None
    # The X.509 certificate (PEM) of OIDC_CLIENT_PRIVATE_KEY, for providers that know a client's
    # key by its certificate (Entra ID: the certificate uploaded to the app registration): the
    # assertions then carry its thumbprints, x5t (SHA-1) and x5t#S256.
    OIDC_CLIENT_CERTIFICATE = os.environ.get("OIDC_CLIENT_CERTIFICATE") or None
    # More parameters for the authorization request, as a query string, e.g. Login.gov's
    # "acr_values=urn:acr.login.gov:auth-only&prompt=select_account".
    OIDC_EXTRA_AUTH_PARAMS = os.environ.get("OIDC_EXTRA_AUTH_PARAMS", "")
    # The button reads "Sign in with <OIDC_PROVIDER_NAME>".
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME") or "single sign-on"
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES") or "openid email profile"
    # The ID token claim that lists the user's groups, and which group gives which role:
    # "group=role,group=role" with the staff roles of auth/models.py (admin, procurement_officer,
    # contract_manager, cdo, viewer; never vendor). A user in several mapped groups gets the most
    # privileged of their roles (auth.models.ROLE_PRECEDENCE); in none, they are refused.
    OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM") or "groups"
    OIDC_ROLE_MAP = os.environ.get("OIDC_ROLE_MAP", "")
    # "groups": roles from the groups claim and OIDC_ROLE_MAP, as above. "tracker", for a provider
    # that sends no groups (Login.gov, Google Workspace): an admin creates each account with its
    # role here, the provider only proves who signs in; OIDC_ROLE_MAP and OIDC_CREATE_USERS unset.
    OIDC_ROLE_SOURCE = os.environ.get("OIDC_ROLE_SOURCE") or "groups"
    # Comma-separated domains; when set, the ID token's hd claim (Google's Workspace domain)
    # must be one of them, so a personal Google account (no hd) is refused even with a city email.
    OIDC_ALLOWED_DOMAINS = os.environ.get("OIDC_ALLOWED_DOMAINS", "")
    # Whether an email with no account gets one (with the mapped role) at its first sign-in;
    # off: an administrator creates the account first.
    OIDC_CREATE_USERS = _bool("OIDC_CREATE_USERS", False)
    # Accept an ID token without email_verified=true (only for a provider that verifies every
    # address it issues, e.g. a city's own directory that does not send the claim).
    OIDC_TRUST_EMAIL = _bool("OIDC_TRUST_EMAIL", False)
    # Whom a refused person should ask, named on the refusal pages.
    OIDC_SUPPORT_CONTACT = os.environ.get("OIDC_SUPPORT_CONTACT") or "an administrator of the tracker"
    # Seconds to wait for the provider (discovery, keys, token endpoint).
    OIDC_TIMEOUT_SECONDS = _int("OIDC_TIMEOUT_SECONDS", 10)
    # Staff passwords: off (false) once everyone signs in by single sign-on. Vendor contacts
    # (who have no city account) and the break-glass admins named here (comma-separated emails,
    # accounts with the admin role) keep signing in with their password, at /login?local=1.
    LOCAL_LOGIN = _bool("LOCAL_LOGIN", True)
    BREAK_GLASS_ADMINS = os.environ.get("BREAK_GLASS_ADMINS", "")

    # The city's time zone: dates (periods, due dates) are judged here; timestamps are UTC.
    CITY_TIMEZONE = os.environ.get("CITY_TIMEZONE", "America/Chicago")
    CITY_NAME = os.environ.get("CITY_NAME", "Demo City")
    # The city's logo on the public site's header: an image under the app's static folder
    # (e.g. "city-logo.svg"); empty shows the name alone. An https:// address is not shown
    # (the Content-Security-Policy loads images from the app itself only).
    CITY_LOGO = os.environ.get("CITY_LOGO", "")
    # Languages (contracts_app/i18n.py): the public site's, and the staff pages' (English is
    # shipped for staff; the catalogue is ready for a city to add a translation). The first of
    # each list is shown when the browser asks for none of them.
    PUBLIC_LANGUAGES = _list("PUBLIC_LANGUAGES", "en,es")
    STAFF_LANGUAGES = _list("STAFF_LANGUAGES", "en")
    BABEL_DEFAULT_LOCALE = "en"
    DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "USD")
    # Days after a reading's due date before it counts as overdue.
    OVERDUE_GRACE_DAYS = _int("OVERDUE_GRACE_DAYS", 3)
    # Whoever owes a reading is reminded this many days before its due date (and on the day);
    # 0 sends only the due-day reminder.
    REMINDER_DAYS_BEFORE = _int("REMINDER_DAYS_BEFORE", 5)
    # How long a vendor contact's emailed invitation link works (days).
    VENDOR_INVITE_DAYS = _int("VENDOR_INVITE_DAYS", 7)
    # More than this many metrics on one contract earns a warning (the practice is 3 to 5).
    METRICS_WARN_ABOVE = _int("METRICS_WARN_ABOVE", 5)
    PER_PAGE = _int("PER_PAGE", 25)

    # Active management (the sweep).
    # A contract with open flags gets a check-in proposed this many days ahead.
    CHECKIN_PROPOSE_WITHIN_DAYS = _int("CHECKIN_PROPOSE_WITHIN_DAYS", 7)
    # An active contract with no held check-in for this long is flagged (WWC: at least quarterly).
    CHECKIN_MAX_GAP_DAYS = _int("CHECKIN_MAX_GAP_DAYS", 90)
    # A group (District 7) whose attainment is more than this many points below its metric's
    # overall attainment, or at risk / off track while the total is on track, is flagged.
    GAP_FLAG_POINTS = _int("GAP_FLAG_POINTS", 10)
    # Public pages and open data leave out group values below this count (privacy).
    PUBLIC_MIN_GROUP_COUNT = _int("PUBLIC_MIN_GROUP_COUNT", 10)
    # A flag open this long with no check-in held since is escalated to the chief data officer.
    ESCALATE_AFTER_DAYS = _int("ESCALATE_AFTER_DAYS", 14)
    # "What isn't working" lists contracts ending within this many days.
    NOT_WORKING_HORIZON_DAYS = _int("NOT_WORKING_HORIZON_DAYS", 120)
    # A renewal or option decision task opens this many days before a contract's end date and
    # before each of its option dates (the procurement officer and the CDOs are told).
    DECISION_NOTICE_DAYS = _int("DECISION_NOTICE_DAYS", 120)
    # The designated results-driven contracting lead (WWC LC7), shown in the evidence packet:
    # "Name, Title".
    RDC_LEAD = os.environ.get("RDC_LEAD", "")
    # Absolute links in emails.
    APP_BASE_URL = os.environ.get("APP_BASE_URL") or "http://127.0.0.1:5000"

    # Scheduler (the separate `python -m scheduler` process).
    SCHEDULER_SWEEP_MINUTES = _int("SCHEDULER_SWEEP_MINUTES", 60)
    SCHEDULER_DISPATCH_SECONDS = _int("SCHEDULER_DISPATCH_SECONDS", 60)
    SCHEDULER_REMINDER_MINUTES = _int("SCHEDULER_REMINDER_MINUTES", 60)
    SCHEDULER_MISFIRE_GRACE_SECONDS = _int("SCHEDULER_MISFIRE_GRACE_SECONDS", 300)
    # Admins are warned (operations page, dashboard, My work) and /metrics says rdc_scheduler_stale
    # when no scheduler job has started for this long: the scheduler process is not running.
    SCHEDULER_STALE_MINUTES = _int("SCHEDULER_STALE_MINUTES", 120)

    # Operations. /metrics (Prometheus) answers only with "Authorization: Bearer <METRICS_TOKEN>";
    # unset, /metrics answers 404 as if it did not exist.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    # Behind a reverse proxy that sets X-Forwarded-For/-Proto/-Host: trust them from this many
    # proxies (werkzeug ProxyFix), so request.remote_addr is the client's (the sign-in
    # per-address throttle) and links are https. Off without a proxy: clients could forge them.
    BEHIND_PROXY = _bool("BEHIND_PROXY")
    PROXY_HOPS = _int("PROXY_HOPS", 1)
    # One log line per request (request id, user id, route, status, duration) on the
    # "rdc.requests" logger; on by default with LOG_FORMAT=json (config/log.py), where gunicorn's
    # access log is the plain-text equivalent.
    LOG_REQUESTS = _bool("LOG_REQUESTS", (os.environ.get("LOG_FORMAT") or "").strip().lower() == "json")

    # Mail (used by the notifications feature).
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "rdc-tracker@localhost")
    MAIL_TIMEOUT_SECONDS = _int("MAIL_TIMEOUT_SECONDS", 10)
    # The outbox: a claim older than this belongs to a dispatcher that died; retry backoff
    # doubles from the base up to the max.
    NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS = _int("NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS", 600)
    NOTIFICATIONS_BACKOFF_BASE_SECONDS = _int("NOTIFICATIONS_BACKOFF_BASE_SECONDS", 60)
    NOTIFICATIONS_BACKOFF_MAX_SECONDS = _int("NOTIFICATIONS_BACKOFF_MAX_SECONDS", 21600)
    # A notification the mail server refuses permanently (SMTP 5xx for its recipient or its
    # message) is marked failed on this attempt, no longer retried, and listed on the
    # operations page; temporary failures (4xx, server down) keep backing off.
    NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS = _int("NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS", 3)

    # JSON API (/api/v1): page size when none is asked for, and the most one page may hold.
    API_PER_PAGE = _int("API_PER_PAGE", 50)
    API_MAX_PER_PAGE = _int("API_MAX_PER_PAGE", 500)
    # How long an Idempotency-Key is remembered (its response replayed to a retry); after that
    # the key may be used again, and the scheduler's sweep deletes it.
    API_IDEMPOTENCY_HOURS = _int("API_IDEMPOTENCY_HOURS", 24)

    # CSV import: the largest upload accepted, in bytes.
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    # Readings spreadsheet upload (.xlsx or .csv): the largest file, and the most rows, accepted.
    READINGS_IMPORT_MAX_BYTES = _int("READINGS_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    # The largest open contracting data file the upload page takes (the staged upload keeps its
    # text); larger files go through `flask import ocds FILE`, which streams them.
    OCDS_IMPORT_MAX_BYTES = _int("OCDS_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    READINGS_IMPORT_MAX_ROWS = _int("READINGS_IMPORT_MAX_ROWS", 20000)

    # The longest request line ("GET /address?query HTTP/1.1"), the most header fields and the
    # longest header field the app accepts: more is answered 414 or 431 (JSON on the API). Keep
    # them below gunicorn's limit_request_line / limit_request_fields / limit_request_field_size
    # (config/gunicorn.conf.py: 8190, 100, 8190), which gunicorn enforces with a plain page of
    # its own before the app sees the request.
    MAX_REQUEST_LINE_BYTES = _int("MAX_REQUEST_LINE_BYTES", 4094)
    MAX_REQUEST_HEADERS = _int("MAX_REQUEST_HEADERS", 90)
    MAX_REQUEST_HEADER_BYTES = _int("MAX_REQUEST_HEADER_BYTES", 8000)

    # Evidence files (contracts_app/attachments): where they are kept (empty: "attachments" in
    # the instance folder; every web worker must see the same folder) and the largest accepted.
    ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR") or None
    MAX_ATTACHMENT_BYTES = _int("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
    # The largest request body the app reads at all: the largest attachment plus room for the
    # rest of the form and the multipart framing. A larger body is answered 413 with a page that
    # says why, before any of it is parsed.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", MAX_ATTACHMENT_BYTES + 1024 * 1024)

    # OCDS open-data export. The ocid prefix is the one registered with the Open Contracting
    # Partnership ("ocds-" and six characters); keep it fixed so that successive exports merge.
    OCDS_OCID_PREFIX = os.environ.get("OCDS_OCID_PREFIX", DEFAULT_OCID_PREFIX)
    OCDS_PUBLISHER_NAME = os.environ.get("OCDS_PUBLISHER_NAME") or CITY_NAME
    OCDS_PUBLISHER_URI = os.environ.get("OCDS_PUBLISHER_URI", "")
    OCDS_LICENSE = os.environ.get("OCDS_LICENSE", "https://creativecommons.org/publicdomain/zero/1.0/")
    # Open data published on a schedule (contracts_app/publish): the folder the nightly job writes
    # (empty: "publish" in the instance folder; /public/data serves it), the hour it runs in the
    # city's time zone, and the contact the data.json catalogue names (a team mailbox, not a
    # person; the name defaults to "<CITY_NAME> open data", the address to MAIL_DEFAULT_SENDER,
    # and the publication refuses an address that is not a real one).
    PUBLISH_DIR = os.environ.get("PUBLISH_DIR") or None
    PUBLISH_HOUR = _int("PUBLISH_HOUR", 2)
    OPEN_DATA_CONTACT_NAME = os.environ.get("OPEN_DATA_CONTACT_NAME", "")
    OPEN_DATA_CONTACT_EMAIL = os.environ.get("OPEN_DATA_CONTACT_EMAIL", "")
    # The public address where the release package is published (the package's ``uri``); empty:
    # APP_BASE_URL + /public/data/release-package.json, where the nightly job's copy is served.
    OCDS_PACKAGE_URI = os.environ.get("OCDS_PACKAGE_URI", "")
    # The publisher's organisation identifier (an org-id.guide scheme such as US-EIN, and the id).
    OCDS_PUBLISHER_SCHEME = os.environ.get("OCDS_PUBLISHER_SCHEME", "")
    OCDS_PUBLISHER_UID = os.environ.get("OCDS_PUBLISHER_UID", "")
    # The page that says what the city publishes, how often and under which rules.
    OCDS_PUBLICATION_POLICY_URL = os.environ.get("OCDS_PUBLICATION_POLICY_URL", "")
    # Contracts per batch when the OCDS releases are built (a fixed number of queries a batch; the
    # memory of one batch at a time): 250 contracts of four metrics and 25 readings each are
    # about 25,000 observations.
    OCDS_BATCH_SIZE = _int("OCDS_BATCH_SIZE", 250)

    # Pushing each publication to the city's open-data portals (contracts_app/publish/push.py),
    # each on when its address is set; a portal half configured refuses the app's start.
    # CKAN: the portal's address, an API token of a user who may edit datasets of the owner
    # organisation (its name or id), the prefix of the datasets' names ("rdc-contracts", ...; a
    # CKAN name is unique across the portal) and the portal's id for OCDS_LICENSE (empty: known
    # for CC0, CC BY, CC BY-SA and the ODC licences).
    CKAN_URL = (os.environ.get("CKAN_URL") or "").strip() or None
    CKAN_API_KEY = os.environ.get("CKAN_API_KEY") or None
    CKAN_OWNER_ORG = os.environ.get("CKAN_OWNER_ORG") or None
    CKAN_DATASET_PREFIX = os.environ.get("CKAN_DATASET_PREFIX", "rdc-")
    CKAN_LICENSE_ID = os.environ.get("CKAN_LICENSE_ID") or None
    # Socrata: the portal's domain (data.city.gov), an app token and a user who may edit the
    # datasets, and which published CSV replaces the rows of which existing dataset
    # ("contracts.csv=abcd-1234,readings.csv=wxyz-5678"), sent this many rows per request.
    SOCRATA_DOMAIN = (os.environ.get("SOCRATA_DOMAIN") or "").strip() or None
    SOCRATA_APP_TOKEN = os.environ.get("SOCRATA_APP_TOKEN") or None
    SOCRATA_USERNAME = os.environ.get("SOCRATA_USERNAME") or None
    SOCRATA_PASSWORD = os.environ.get("SOCRATA_PASSWORD") or None
    SOCRATA_DATASETS = os.environ.get("SOCRATA_DATASETS") or None
    SOCRATA_BATCH_ROWS = _int("SOCRATA_BATCH_ROWS", 10000)
    # Seconds to wait for a portal's answer to one request (an upload included).
    PUSH_TIMEOUT_SECONDS = _int("PUSH_TIMEOUT_SECONDS", 120)


class DevelopmentConfig(BaseConfig):
    DEBUG = _bool("FLASK_DEBUG", False)
    # The demo city's open-data mailbox (its users are @demo.city too).
    OPEN_DATA_CONTACT_EMAIL = os.environ.get("OPEN_DATA_CONTACT_EMAIL") or "opendata@demo.city"


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "testing-secret"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    OPEN_DATA_CONTACT_EMAIL = "opendata@demo.city"


class ProductionConfig(BaseConfig):
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS_ENABLED = _bool("HSTS_ENABLED", True)

    @classmethod
    def check(cls):
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in the environment in production.")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in the environment in production.")
        if cls.OCDS_OCID_PREFIX == DEFAULT_OCID_PREFIX:
            raise RuntimeError(
                "OCDS_OCID_PREFIX must be set in production to the prefix the Open Contracting Partnership "
                f"registered for the city (not the example {DEFAULT_OCID_PREFIX})."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    name = os.environ.get("RDC_CONFIG", "development").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"RDC_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}.")
