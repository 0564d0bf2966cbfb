"""API test fixtures: a client that sends a bearer token and checks every response it gets
against the OpenAPI document (openapi-core), errors included."""
import pytest
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from contracts_app.api import tokens
from contracts_app.api.setup import api_of
from tests.headers import assert_security_headers

_DOCUMENT = {}


def api_document(app):
    """The app's OpenAPI document (it is the same for every test app: built from code)."""
    if "document" not in _DOCUMENT:
        with app.app_context():
            document = api_of(app).document()
        _DOCUMENT["document"] = document
        _DOCUMENT["openapi"] = OpenAPI.from_dict(document)
        error_schema = dict(document["components"]["schemas"]["Error"], components=document["components"])
        _DOCUMENT["error_validator"] = OAS30Validator(error_schema)
    return _DOCUMENT["document"]


def check_response(app, response):
    """Every API response is JSON and carries the security headers; errors have the error shape; and any response of a documented
    operation validates against the document (status, body, content type)."""
    api_document(app)
    request = response.request
    assert_security_headers(response, f"{request.method} {request.path}")
    assert response.mimetype == "application/json", f"{request.method} {request.path}: {response.mimetype}"
    body = response.get_json()
    if response.status_code >= 400:
        _DOCUMENT["error_validator"].validate(body)
    try:
        _DOCUMENT["openapi"].validate_response(
            MockRequest("http://localhost", request.method.lower(), request.path),
            MockResponse(response.data, status_code=response.status_code, content_type=response.mimetype),
        )
    except (PathNotFound, OperationNotFound):
        # Only unknown addresses and methods are outside the document.
        assert response.status_code in (404, 405), f"{request.method} {request.path} is not documented"


class ApiClient:
    """A test client for /api/v1 that authenticates with ``token`` and validates responses."""

    def __init__(self, app, token=None):
        self.app = app
        self.token = token
        self.client = app.test_client()

    def open(self, method, path, *, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        url = path if path.startswith("/api/") else "/api/v1" + path
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        check_response(self.app, response)
        return response

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.open("POST", path, json=body, **kwargs) if body is not None else self.open("POST", path, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.open("PATCH", path, json=body, **kwargs) if body is not None else self.open("PATCH", path, **kwargs)


def make_token(user, name="tests"):
    return tokens.create_token(user.email, name)[1]


@pytest.fixture
def api(app):
    """An API client without a token."""
    return ApiClient(app)


@pytest.fixture
def api_as(app, users):
    """api_as(role, user=None) -> an API client with a token of that role's user."""

    def make(role, user=None):
        return ApiClient(app, make_token(user or users[role]))

    return make


@pytest.fixture
def api_city(factory, users):
    """A contract managed by the contract_manager user, with a metric (one reading), a
    milestone, an open flag and a held check-in; and another manager's contract with the same."""
    from datetime import timedelta
    from types import SimpleNamespace

    from contracts_app.db_types import utcnow
    from contracts_app.metrics.status import today_for
    from tests.metrics.helpers import recent_term

    start, end = recent_term()
    priority = factory.make_priority(name="Vision Zero")
    made = {}
    for key, manager in (("", users["contract_manager"]), ("other_", factory.make_user("contract_manager"))):
        contract = factory.make_contract(
            priorities=[priority], start_date=start, end_date=end, contract_manager_id=manager.id,
            procurement_officer_id=users["procurement_officer"].id,
        )
        metric = factory.make_metric(contract, baseline_date=start - timedelta(days=1))
        reading = factory.make_reading(metric, start, 21)
        milestone = factory.make_milestone(contract, due_date=end)
        flag = factory.make_flag(contract, metric=metric, period_start=start)
        checkin = factory.make_checkin(contract, status="held", scheduled_for=start + timedelta(days=40))
        factory.make_action_item(checkin, due_date=start + timedelta(days=60))
        made.update({
            f"{key}contract": contract, f"{key}metric": metric, f"{key}reading": reading,
            f"{key}milestone": milestone, f"{key}flag": flag, f"{key}checkin": checkin, f"{key}manager": manager,
        })
    return SimpleNamespace(priority=priority, start=start, end=end, today=today_for(utcnow()), **made)
