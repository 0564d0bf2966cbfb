"""GET /api/v1/ocds/release-package.json: the OCDS export over the API (the package itself is
tested in tests/ocds)."""
from tests.ocds.conftest import release_of, schema_errors
from tests.ocds.test_export import full_contract


def test_it_needs_a_token(api):
    response = api.get("/ocds/release-package.json")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_it_serves_the_public_contracts_as_a_valid_release_package(factory, api_as):
    public = full_contract(factory)
    private = full_contract(factory, is_public=False)
    response = api_as("viewer").get("/ocds/release-package.json")
    assert response.status_code == 200
    package = response.get_json()
    assert schema_errors(package) == []
    assert release_of(package, public) is not None and release_of(package, private) is None
    assert package["uri"].endswith("/public/data/release-package.json")
    assert response.headers["Last-Modified"] and response.headers["ETag"]


def test_it_answers_not_modified_while_nothing_published_changes(factory, api_as, app, users):
    from tests.api.conftest import make_token

    full_contract(factory)
    first = api_as("cdo").get("/ocds/release-package.json")
    headers = {"Authorization": f"Bearer {make_token(users['cdo'])}", "If-None-Match": first.headers["ETag"]}
    again = app.test_client().get("/api/v1/ocds/release-package.json", headers=headers)
    assert again.status_code == 304 and again.data == b""
