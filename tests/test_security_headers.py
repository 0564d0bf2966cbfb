"""Issue 12, section 3: every response carries the security headers (contracts_app/headers.py):
each GET route of the URL map, HTML and API, with real ids; redirects, downloads and static
files; every error page (404, 405, 413, 500, a CSRF 400), on the web and on the API; and HSTS
on HTTPS in production only. (tests/test_permissions.py checks the headers for every role on
every page too, and tests/api/conftest.py on every API response the API tests get.)"""
import pytest

from config import ProductionConfig
from contracts_app import create_app
from contracts_app.headers import content_security_policy
from tests.api.conftest import make_token
from tests.conftest import _config_for, csrf_token
from tests.headers import assert_security_headers, policy_of
from tests.test_permissions import MATRIX, ids, matrix_city, users  # noqa: F401  (fixtures)

# Every GET route of the API, with the ids of the permissions matrix's city.
API_GETS = {
    "api_docs.openapi_json": "/api/v1/openapi.json",
    "api_management.list_checkins": "/api/v1/checkins",
    "api_contracts.list_contracts": "/api/v1/contracts",
    "api_contracts.get_contract": "/api/v1/contracts/{contract}",
    "api_metrics.list_metrics": "/api/v1/contracts/{contract}/metrics",
    "api_milestones.list_milestones": "/api/v1/contracts/{contract}/milestones",
    "api_management.list_flags": "/api/v1/flags",
    "api_management.get_flag": "/api/v1/flags/{flag}",
    "api_metrics.get_metric": "/api/v1/metrics/{metric}",
    "api_metrics.list_readings": "/api/v1/metrics/{metric}/readings",
    "api_ocds.release_package": "/api/v1/ocds/release-package.json",
    "api_portfolio.portfolio": "/api/v1/portfolio",
    "api_registry.list_priorities": "/api/v1/priorities",
    "api_registry.get_priority": "/api/v1/priorities/{priority}",
    "api_metrics.get_reading": "/api/v1/readings/{reading}",
    "api_metrics.list_dimensions": "/api/v1/dimensions",
    "api_registry.list_vendors": "/api/v1/vendors",
    "api_registry.get_vendor": "/api/v1/vendors/{vendor}",
}


def test_it_walks_every_get_route_of_the_url_map(app):
    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"}
    assert gets - set(MATRIX) - set(API_GETS) == set(), "a GET route with no sample URL here or in test_permissions.MATRIX"


def test_every_get_route_answers_with_the_headers(app, client_as, users, ids):  # noqa: F811
    officer = client_as("procurement_officer")
    anonymous = app.test_client()
    for endpoint, (url, _roles) in sorted(MATRIX.items()):
        for who, client in (("procurement officer", officer), ("anonymous", anonymous)):
            assert_security_headers(client.get(url.format(**ids)), f"{who} GET {endpoint}")
    token = make_token(users["procurement_officer"])
    for endpoint, url in sorted(API_GETS.items()):
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            response = anonymous.get(url.format(**ids), headers=headers)
            assert response.status_code in (200, 401), f"{endpoint}: {response.status_code}"
            assert_security_headers(response, f"GET {endpoint} {'with' if headers else 'without'} a token")


def test_static_files_redirects_and_downloads_carry_them(client, po, ids):  # noqa: F811
    assert_security_headers(client.get("/static/app.css"))
    redirect = client.get("/")
    assert redirect.status_code == 302
    assert_security_headers(redirect)
    download = po.get("/portfolio/export/contracts.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert_security_headers(download)
    attachment = po.get(f"/attachments/{ids['attachment']}")
    assert attachment.status_code == 200
    assert_security_headers(attachment)


def test_error_pages_carry_them(app, client, po):
    for response, status, mimetype in (
        (po.get("/no-such-page"), 404, "text/html"),
        (po.get("/contracts/99999999999"), 404, "text/html"),
        (po.delete("/portfolio"), 405, "text/html"),
        (client.get("/api/v1/no-such-thing"), 404, "application/json"),
        (client.delete("/api/v1/contracts"), 405, "application/json"),
    ):
        assert (response.status_code, response.mimetype) == (status, mimetype)
        assert_security_headers(response)


def test_a_body_too_large_is_refused_with_them(app, po):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = po.post("/priorities/new", data={"name": "x" * 5000})
    assert (response.status_code, response.mimetype) == (413, "text/html")
    assert_security_headers(response)


def test_a_server_error_carries_them(app, client_as, users, monkeypatch):
    from contracts_app.priorities import services

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    monkeypatch.setattr(services, "list_priorities", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = client_as("procurement_officer").get("/broken")
    assert (page.status_code, page.mimetype) == (500, "text/html")
    assert_security_headers(page)
    token = make_token(users["viewer"])
    api = app.test_client().get("/api/v1/priorities", headers={"Authorization": f"Bearer {token}"})
    assert (api.status_code, api.mimetype) == (500, "application/json")
    assert_security_headers(api)


def test_a_csrf_refusal_carries_them(csrf_app):
    from tests import factories

    factories.make_user("admin", email="admin@example.org")
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "admin@example.org", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert_security_headers(response)
    # With the token the same form works, and the page that carried the token had the headers too.
    form = client.get("/login")
    assert_security_headers(form)
    signed_in = client.post("/login", data={"email": "admin@example.org", "password": factories.PASSWORD,
                                            "csrf_token": csrf_token(form.get_data(as_text=True))})
    assert signed_in.status_code == 302


def test_hsts_is_sent_on_https_in_production_only(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")

    class Production(ProductionConfig):
        SECRET_KEY = "x" * 32
        OCDS_OCID_PREFIX = "ocds-test01"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
        SQLALCHEMY_ENGINE_OPTIONS = {}

    production = create_app(Production).test_client()
    secure = production.get("/login", base_url="https://rdc.example.org")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert_security_headers(secure)
    # Behind the reverse proxy, which terminates TLS and says so.
    proxied = production.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in proxied.headers
    # Over plain HTTP a browser ignores it; nor does the app redirect (that is the proxy's job).
    plain = production.get("/login")
    assert plain.status_code == 200
    assert "Strict-Transport-Security" not in plain.headers
    # Production cookies stay Secure (from the settings, not from Talisman).
    assert production.application.config["SESSION_COOKIE_SECURE"] is True

    development = create_app(_config_for(f"sqlite:///{tmp_path / 'd.sqlite3'}")).test_client()
    assert "Strict-Transport-Security" not in development.get("/login", base_url="https://localhost").headers
    assert development.application.config.get("SESSION_COOKIE_SECURE") is not True


@pytest.mark.parametrize("app", [{"HSTS_ENABLED": True, "HSTS_MAX_AGE_SECONDS": 600, "HSTS_INCLUDE_SUBDOMAINS": True}],
                         indirect=True)
def test_hsts_follows_the_settings(app, client):
    assert client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"] == (
        "max-age=600; includeSubDomains"
    )


def test_the_sign_in_provider_may_receive_the_sign_in_form():
    policy = content_security_policy({"OIDC_ISSUER": "https://login.example.org/realms/city"})
    assert policy["form-action"] == "'self' https://login.example.org"
    assert content_security_policy({})["form-action"] == "'self'"



def test_the_policy_follows_the_sign_in_provider_setting(app, client):
    # Chrome applies form-action to the redirect after the single sign-on button's POST.
    assert policy_of(client.get("/login"))["form-action"] == "'self'"
    app.config["OIDC_ISSUER"] = "https://login.example.org/realms/city"
    assert policy_of(client.get("/login"))["form-action"] == "'self' https://login.example.org"


def test_the_policy_forbids_inline_script_and_style(client):
    policy = policy_of(client.get("/login"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


# --- oversized requests: JSON on the API, a page elsewhere --------------------------------------


def test_an_address_too_long_is_a_414(client, po):
    api = client.get("/api/v1/contracts?q=" + "x" * 5000)
    assert (api.status_code, api.mimetype) == (414, "application/json")
    assert api.get_json()["error"]["code"] == "uri_too_long"
    assert_security_headers(api)
    page = po.get("/contracts?q=" + "x" * 5000)
    assert (page.status_code, page.mimetype) == (414, "text/html")
    assert "Address too long" in page.get_data(as_text=True)
    assert_security_headers(page)
    # Just under the limit is an ordinary request.
    assert po.get("/contracts?q=" + "x" * 3900).status_code == 200


def test_header_fields_too_large_or_too_many_are_a_431(client):
    large = client.get("/api/v1/contracts", headers={"X-Large": "y" * 9000})
    assert (large.status_code, large.mimetype) == (431, "application/json")
    assert large.get_json()["error"]["code"] == "headers_too_large"
    many = client.get("/login", headers={f"X-Field-{i}": "1" for i in range(120)})
    assert (many.status_code, many.mimetype) == (431, "text/html")
    assert_security_headers(many)


def test_a_body_too_large_is_a_413_in_json_on_the_api(app, users):
    token = make_token(users["procurement_officer"])
    response = app.test_client().post("/api/v1/contracts", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert (response.status_code, response.mimetype) == (413, "application/json")
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert_security_headers(response)
