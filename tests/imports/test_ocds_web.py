"""The OCDS upload page: check, preview (created, updated, left out, problems by JSON path),
import once on confirmation."""
import io
import json

from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.imports.models import ImportUpload
from tests.ocds.test_import import FIXTURES, package, release


def upload(client, data, filename="data.json", encoding=""):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post("/imports/ocds", data={"file": (io.BytesIO(raw), filename), "encoding": encoding},
                       content_type="multipart/form-data")


def contracts():
    return db.session.scalar(select(func.count()).select_from(Contract))


def test_upload_preview_then_import_once(po, users):
    assert po.get("/imports/ocds").status_code == 200
    cancelled = release("ocds-test-9")
    cancelled["contracts"][0]["status"] = "cancelled"
    response = upload(po, package(release(), cancelled))
    assert response.status_code == 302
    preview = po.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert "Importing will create 1 contract and update 0 contracts; 0 contracts unchanged; 1 contract left out." in page
    assert "Street cleaning" in page and "Leave out: cancelled before signature." in page
    assert contracts() == 0  # nothing written before the import is confirmed
    commit_url = response.headers["Location"] + "/commit"
    done = po.post(commit_url)
    assert done.status_code == 302
    assert contracts() == 1
    assert db.session.scalar(select(ImportUpload.contracts_created)) == 1
    again = po.post(commit_url, follow_redirects=True)
    assert "already imported" in again.get_data(as_text=True)
    assert contracts() == 1
    # The same file uploaded again: nothing to import, and nothing is written on a commit.
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    second = upload(po, package(release(), cancelled))
    page = po.get(second.headers["Location"]).get_data(as_text=True)
    assert "nothing to import: 1 contract already in the register as the file has them" in page
    assert "Unchanged" in page and second.headers["Location"] + "/commit" not in page
    done = po.post(second.headers["Location"] + "/commit", follow_redirects=True)
    assert "Nothing to import" in done.get_data(as_text=True)
    assert contracts() == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    # A newer file: the preview says what changes, old → new.
    newer = release(id="x-2", date="2026-05-01T00:00:00Z")
    newer["contracts"][0]["title"] = "Street cleaning (renewed)"
    newer["contracts"][0]["value"]["amount"] = 125000
    third = upload(po, package(newer))
    page = po.get(third.headers["Location"]).get_data(as_text=True)
    assert "and update 1 contract;" in page
    assert "Title: Street cleaning → Street cleaning (renewed)" in page
    assert "Value: $120,000 → $125,000" in page
    po.post(third.headers["Location"] + "/commit")
    assert db.session.scalar(select(Contract.value)) == 125000


def test_an_administrator_may_import(client_as, users):
    admin = client_as("admin")
    raw = (FIXTURES / "ppp-full-example.json").read_bytes()
    response = upload(admin, raw)
    assert response.status_code == 302
    assert admin.post(response.headers["Location"] + "/commit").status_code == 302
    assert contracts() >= 1


def test_problems_are_listed_with_their_json_path_and_nothing_is_staged(po, users):
    bad = release()
    bad["contracts"][0]["value"]["amount"] = "a lot"
    del bad["ocid"]
    other = release("ocds-2")
    other["contracts"][0]["period"]["endDate"] = "soon"
    response = upload(po, package(bad, other))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 problems in data.json; nothing was imported." in page
    assert "releases[0].ocid" in page and "releases[1].contracts[0].period.endDate" in page
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_not_json_and_a_wrong_encoding_are_refused_on_the_file(po, users):
    page = upload(po, b"hello").get_data(as_text=True)
    assert "The file is not JSON" in page
    raw = json.dumps(package(release("ocds-é")), ensure_ascii=False).encode("latin-1")
    page = upload(po, raw, encoding="utf-8").get_data(as_text=True)
    assert "The file is not valid utf-8 text" in page
    assert upload(po, raw, encoding="latin-1").status_code == 302
    page = upload(po, raw, encoding="klingon").get_data(as_text=True)
    assert "klingon is not an encoding this import knows." in page
    assert contracts() == 0


def test_a_file_over_the_limit(po, users, app):
    app.config["OCDS_IMPORT_MAX_BYTES"] = 100
    response = upload(po, package(release()))
    assert response.status_code == 413
    assert "flask import ocds" in response.get_data(as_text=True)


def test_the_uploads_declared_charset_is_used(po, users):
    data = package(release())
    data["releases"][0]["contracts"][0]["title"] = "Señalización"
    raw = json.dumps(data, ensure_ascii=False).encode("latin-1")
    response = po.post("/imports/ocds", data={"file": (io.BytesIO(raw), "data.json", "application/json; charset=latin-1")},
                       content_type="multipart/form-data")
    assert response.status_code == 302
    assert "Señalización" in po.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(ImportUpload.encoding)) == "iso8859-1"
