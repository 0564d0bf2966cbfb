"""The import pages: upload, preview, commit — all or nothing, once, by the uploader."""
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.imports import services
from contracts_app.imports.models import ImportUpload
from contracts_app.metrics.models import Metric, MetricTarget
from tests.imports.conftest import PRIORITIES, contract_only, example, to_csv, upload
from tests.html import without_cell_labels

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def _staged(po, rows):
    response = upload(po, to_csv(rows))
    assert response.status_code == 302, _text(response)[:2000]
    return response.headers["Location"]


def test_it_imports_the_downloaded_template_through_preview_and_commit(import_city, client_as, db, users):
    po = client_as("procurement_officer")
    template = po.get("/imports/contracts/template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    assert template.headers["Content-Disposition"] == 'attachment; filename="contracts-import-template.csv"'
    assert template.data.startswith(b"\xef\xbb\xbfreference,title,")

    location = upload(po, template.data, "template.csv").headers["Location"]
    preview = _text(po.get(location))

    assert "No errors. Importing will create 1 contract , 2 metrics and 1 new vendor (Harbor Light Services)" in preview
    assert "HS-2026-001 Street outreach, east district Harbor Light Services new $850,000" in preview
    assert _count(db, Contract) == 0  # checking writes nothing

    response = po.post(f"{location}/commit")

    assert response.status_code == 302 and response.headers["Location"] == location
    assert "Imported 1 contract, 2 metrics and 1 new vendor." in _text(po.get(location))
    contract = db.session.scalar(select(Contract))
    assert contract.reference == "HS-2026-001" and contract.vendor.name == "Harbor Light Services"
    assert sorted(p.name for p in contract.priorities) == sorted(PRIORITIES)
    assert contract.contract_manager.email == "ben@demo.city"
    assert contract.procurement_officer_id == users["procurement_officer"].id
    assert [(m.name, m.direction, m.payment_linked, m.position) for m in contract.metrics] == [
        ("Placements into shelter or housing", "increase", True, 0),
        ("Median days from first contact to placement", "decrease", False, 1),
    ]
    assert [t.period_start.isoformat() for t in contract.metrics[0].targets] == ["2026-01-01", "2026-02-01"]
    # Statuses are judged at import, as when a metric is added by hand.
    assert all(m.status_updated_at is not None for m in contract.metrics) and contract.health_updated_at is not None
    staged = db.session.scalar(select(ImportUpload))
    assert (staged.encoding, staged.contracts_created, staged.metrics_created) == ("utf-8-sig", 1, 2)
    assert staged.committed_at is not None
    # Audited as if entered in the forms, plus the import itself.
    assert sorted((e.action, e.entity_type) for e in db.session.scalars(select(AuditEvent))) == [
        ("create", "contract"), ("create", "metric"), ("create", "metric"), ("create", "vendor"),
        ("import", "importupload"), ("update", "metric"),
    ]


def test_one_bad_row_imports_nothing_and_the_page_names_its_row_and_column(import_city, client_as, db):
    po = client_as("procurement_officer")
    rows = [example(0, reference="A-1"), example(1, reference="A-1"), contract_only(reference="B-1", end_date="2025-01-01")]

    response = upload(po, to_csv(rows), "register.csv")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 problem in register.csv; nothing was imported." in _text(response)
    assert '<td class="num">4</td><td>end_date</td><td>The end date must be on or after the start date.</td>' in without_cell_labels(page)
    assert _count(db, ImportUpload) == 0 and _count(db, Contract) == 0 and _count(db, Vendor) == 0


def test_it_checks_again_at_commit_and_writes_nothing_if_a_row_went_bad(import_city, client_as, db, factory):
    po = client_as("procurement_officer")
    location = _staged(po, [contract_only(reference="A-1"), contract_only(reference="B-1")])
    factory.make_contract(reference="B-1")  # saved by someone else meanwhile

    response = po.post(f"{location}/commit")

    assert response.status_code == 200
    assert '<td class="num">3</td><td>reference</td><td>Reference B-1 is already used by another contract.</td>' in (
        without_cell_labels(response.get_data(as_text=True)))
    assert db.session.scalars(select(Contract.reference)).all() == ["B-1"]
    assert db.session.scalar(select(ImportUpload)).committed_at is None  # the claim was rolled back


def test_it_imports_a_staged_file_once(import_city, client_as, db):
    po = client_as("procurement_officer")
    location = _staged(po, [contract_only(reference="A-1")])
    assert po.post(f"{location}/commit").status_code == 302

    again = po.post(f"{location}/commit", follow_redirects=True)

    assert "This file was already imported on" in _text(again)
    assert "it was not imported again" in _text(again)
    assert _count(db, Contract) == 1


def test_only_the_uploader_may_see_or_import_an_upload(import_city, client_as, db, factory, users):
    location = _staged(client_as("procurement_officer"), [contract_only(reference="A-1")])
    other = factory.make_user("procurement_officer")
    colleague = client_as("procurement_officer", user=other)

    assert colleague.get(location).status_code == 403
    assert colleague.post(f"{location}/commit").status_code == 403
    assert colleague.get("/imports/contracts/999").status_code == 404
    with pytest.raises(services.ImportRefused):
        services.commit_upload(db.session.scalar(select(ImportUpload)), other)
    assert _count(db, Contract) == 0


def test_staging_a_file_clears_the_uploaders_day_old_uploads_never_imported(import_city, db, users):
    officer, other = users["procurement_officer"], users["admin"]
    old, kept_imported, _ = (
        services.stage_upload("reference\r\n", "utf-8", "old.csv", officer, now=NOW - timedelta(days=2)),
        services.stage_upload("reference\r\n", "utf-8", "done.csv", officer, now=NOW - timedelta(days=2)),
        services.stage_upload("reference\r\n", "utf-8", "theirs.csv", other, now=NOW - timedelta(days=2)),
    )
    old_id = old.id
    kept_imported.committed_at = NOW - timedelta(days=2)
    db.session.commit()
    recent_id = services.stage_upload("reference\r\n", "utf-8", "recent.csv", officer, now=NOW - timedelta(hours=2)).id

    services.stage_upload("reference\r\n", "utf-8", "C:\\fakepath\\new.csv", officer, now=NOW)

    assert sorted(db.session.scalars(select(ImportUpload.filename))) == [
        "done.csv", "new.csv", "recent.csv", "theirs.csv"]
    assert {old_id, recent_id} & set(db.session.scalars(select(ImportUpload.id))) == {recent_id}


def test_two_commits_at_once_import_the_file_once(backend, app, import_city, client_as, db, users):
    if backend != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    _staged(client_as("procurement_officer"), [example(0, reference="A-1"), example(1, reference="A-1")])
    upload_id, actor_id = db.session.scalar(select(ImportUpload.id)), users["procurement_officer"].id
    barrier, outcomes = threading.Barrier(2), []

    def commit():
        with app.app_context():
            staged, actor = db.session.get(ImportUpload, upload_id), db.session.get(User, actor_id)
            barrier.wait(timeout=10)
            try:
                outcomes.append(services.commit_upload(staged, actor).ok)
            except services.ImportRefused as refusal:
                outcomes.append(str(refusal))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 2 and outcomes.count(True) == 1
    assert "already imported" in next(o for o in outcomes if o is not True)
    assert _count(db, Contract) == 1 and _count(db, Metric) == 2 and _count(db, MetricTarget) == 2


def test_it_reads_a_windows_1252_file_as_excel_saves_it(import_city, client_as, db):
    po = client_as("procurement_officer")
    text = to_csv([contract_only(reference="A-1", vendor="Café Olé – “Best”", title="Outreach — east")])
    location = upload(po, text.encode("cp1252")).headers["Location"]

    po.post(f"{location}/commit")

    contract = db.session.scalar(select(Contract))
    assert (contract.vendor.name, contract.title) == ("Café Olé – “Best”", "Outreach — east")
    assert db.session.scalar(select(ImportUpload.encoding)) == "windows-1252"


def test_it_explains_files_it_cannot_read_and_stages_nothing(import_city, client_as, db):
    po = client_as("procurement_officer")
    for data, message in (
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook", "This is an Excel workbook (.xlsx)"),
        (b"", "The file is empty."),
        (b"reference,title\x00\n", "it contains NUL bytes"),
    ):
        response = upload(po, data, "contracts.xlsx")
        assert response.status_code == 200 and message in _text(response), message
    assert po.post("/imports/contracts", data={}).status_code == 200  # no file: the form says so
    assert _count(db, ImportUpload) == 0


@pytest.mark.parametrize("app", [{"IMPORT_MAX_BYTES": 3000, "MAX_CONTENT_LENGTH": 20000}], indirect=True)
def test_it_says_when_a_file_is_too_large(import_city, client_as, db):
    po = client_as("procurement_officer")
    big = to_csv([contract_only(reference=f"A-{n}") for n in range(12)])
    huge = big * 12
    assert 3000 < len(big) < 20000 < len(huge)

    over_limit = upload(po, big)
    over_request_limit = upload(po, huge)

    assert over_limit.status_code == 200
    assert "The file is larger than 3 KB, the most one import accepts." in _text(over_limit)
    assert over_request_limit.status_code == 413
    assert "The file is larger than 3 KB, the most one import accepts." in _text(over_request_limit)
    assert _count(db, ImportUpload) == 0


def test_the_register_links_to_the_import_for_those_who_may_import(client_as):
    assert 'href="/imports/contracts"' in client_as("procurement_officer").get("/contracts").get_data(as_text=True)
    assert 'href="/imports/contracts"' not in client_as("viewer").get("/contracts").get_data(as_text=True)
