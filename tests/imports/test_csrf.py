"""The upload and the Import button carry CSRF tokens (CSRF is on in production, off in TestingConfig)."""
import io

import pytest

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db as _db
from contracts_app.imports.models import ImportUpload
from tests import factories
from tests.conftest import csrf_token
from tests.imports.conftest import PRIORITIES, contract_only, to_csv


@pytest.fixture
def csrf_client(csrf_app):
    """A procurement officer signed in (with the token) on an app with CSRF protection on."""
    officer = factories.make_user("procurement_officer")
    factories.make_user("contract_manager", email="ben@demo.city")
    for name in PRIORITIES:
        factories.make_priority(name=name)
    client = csrf_app.test_client()
    token = _token(client.get("/login"))
    client.post("/login", data={"email": officer.email, "password": factories.PASSWORD, "csrf_token": token})
    return client


def _token(response):
    return csrf_token(response.get_data(as_text=True))


def _file():
    return (io.BytesIO(to_csv([contract_only(reference="A-1")]).encode()), "contracts.csv")


def test_the_upload_and_the_import_need_the_csrf_token(csrf_client):
    token = _token(csrf_client.get("/imports/contracts"))

    refused = csrf_client.post("/imports/contracts", data={"file": _file()}, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert _db.session.query(ImportUpload).count() == 0

    staged = csrf_client.post(
        "/imports/contracts", data={"file": _file(), "csrf_token": token}, content_type="multipart/form-data"
    )
    assert staged.status_code == 302
    location = staged.headers["Location"]

    assert csrf_client.post(f"{location}/commit").status_code == 400
    assert _db.session.query(Contract).count() == 0

    imported = csrf_client.post(f"{location}/commit", data={"csrf_token": _token(csrf_client.get(location))})
    assert imported.status_code == 302
    assert _db.session.query(Contract).count() == 1
