"""/healthz: no sign-in, JSON, 200 when the database answers and is at the migrations' head, else 503."""
from config import TestingConfig
from contracts_app import create_app
from contracts_app.operations.queries import migration_heads


def test_it_answers_200_when_the_database_is_at_head(client, at_head):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok", "checks": {"database": "ok", "migrations": "at head"},
        "migrations": {"current": list(at_head), "head": list(at_head)},
    }


def test_it_needs_no_sign_in_and_sets_no_cookie(client, at_head):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_it_answers_503_when_migrations_are_behind(client, stamp_revision):
    stamp_revision("0a2901dfe4be")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy" and body["checks"]["migrations"] == "not at head"
    assert body["migrations"] == {"current": ["0a2901dfe4be"], "head": list(migration_heads())}


def test_it_answers_503_for_a_database_never_migrated(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["migrations"]["current"] == []


def test_it_answers_503_without_details_when_the_database_is_unreachable(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/no-such-folder/db.sqlite3"
        SQLALCHEMY_ENGINE_OPTIONS = {}

    app = create_app(Config)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unhealthy", "checks": {"database": "unreachable", "migrations": "unknown"}}
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_it_is_not_a_page_of_the_app(client, at_head):
    # No HTML, no redirect, whatever the Accept header says.
    response = client.get("/healthz", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "application/json"
