"""The OpenAPI document matches the routes: every /api/v1 route and method is documented (also
routes added later), nothing documented is missing, and the document is valid OpenAPI 3."""
import pytest
from openapi_spec_validator import validate

from config import TestingConfig
from contracts_app import create_app
from contracts_app.api.setup import openapi_path, api_of
from tests.api.conftest import ApiClient

IGNORED_METHODS = {"HEAD", "OPTIONS"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def bare_app():
    """An app whose database is never touched: the routes and the document are all we read."""
    return create_app(TestingConfig)


def api_routes(app):
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - IGNORED_METHODS
    }


def documented_operations(document):
    return {(path, method) for path, operations in document["paths"].items() for method in operations if method in METHODS}


def document_of(app):
    with app.app_context():
        return api_of(app).document()


def test_it_documents_every_api_route_and_nothing_else(bare_app):
    routes = api_routes(bare_app)
    assert len(routes) > 20
    assert routes == documented_operations(document_of(bare_app))


def test_it_notices_an_undocumented_route():
    app = create_app(TestingConfig)
    app.add_url_rule("/api/v1/undocumented", "undocumented", lambda: {})
    assert api_routes(app) - documented_operations(document_of(app)) == {("/api/v1/undocumented", "get")}


def test_it_serves_a_valid_openapi_3_document_without_a_token(bare_app):
    response = ApiClient(bare_app).get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearerAuth": []}]
    for path, method in documented_operations(document):
        operation = document["paths"][path][method]
        codes = set(operation["responses"])
        assert {"400", "500"} <= codes, (method, path)
        assert ("401" in codes) != (operation.get("security") == []), (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if "requestBody" in operation:
            # Every write is role-restricted.
            assert {"403", "413", "415", "422"} <= codes, (method, path)
