"""The evidence-file pages: attach from the contract, check-in and reading pages, download with
the right headers, only for those who may see the record."""
import io
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from contracts_app.attachments import services
from contracts_app.attachments.models import Attachment
from contracts_app.vendors.models import VendorAccess, VendorSubmission
from tests.attachments import files
from tests.attachments.files import left_files, upload
from tests.conftest import ROLES
from tests.querycount import count_queries



def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def rows(db):
    return db.session.scalar(select(func.count()).select_from(Attachment))


def attach(owner, actor, data=None, name="report.pdf"):
    return services.attach(owner, FileStorage(io.BytesIO(data or files.pdf()), name), actor)


@pytest.fixture
def contract(factory, users):
    return factory.make_contract(contract_manager_id=users["contract_manager"].id)


@pytest.fixture
def reading(factory, contract):
    return factory.make_reading(factory.make_metric(contract), date(2025, 8, 1), 21)


@pytest.fixture
def checkin(factory, contract):
    return factory.make_checkin(contract)


@pytest.mark.parametrize("name", sorted(files.ACCEPTED))
def test_it_attaches_each_kind_from_the_contract_page_and_lists_it(po, db, contract, name):
    data, content_type = files.ACCEPTED[name]
    response = upload(po, f"/contracts/{contract.id}/attachments", data, name)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}#documents")
    page = text(po.get(f"/contracts/{contract.id}"))
    assert f"{name} attached to {contract.reference}" in page
    attachment = db.session.scalar(select(Attachment))
    assert attachment.content_type == content_type
    documents = page[page.index('id="documents-h"'):page.index('id="history-h"')]
    assert f'href="/attachments/{attachment.id}"' in documents and name in documents
    assert "Procurement_Officer" in documents  # who (the factory's user name), and when, beside it


def test_the_contract_manager_attaches_from_the_check_in_and_reading_pages(cm, db, checkin, reading):
    assert 'action="/checkins/%d/attachments"' % checkin.id in cm.get(f"/checkins/{checkin.id}").get_data(as_text=True)
    assert 'action="/readings/%d/attachments"' % reading.id in cm.get(f"/readings/{reading.id}/edit").get_data(as_text=True)

    to_checkin = upload(cm, f"/checkins/{checkin.id}/attachments", files.docx(), "minutes.docx")
    to_reading = upload(cm, f"/readings/{reading.id}/attachments", files.xlsx(), "placements.xlsx")

    assert to_checkin.headers["Location"].endswith(f"/checkins/{checkin.id}#documents")
    assert to_reading.headers["Location"].endswith(f"/metrics/{reading.metric_id}#reading-{reading.id}")
    assert "minutes.docx" in text(cm.get(f"/checkins/{checkin.id}"))
    assert "placements.xlsx" in text(cm.get(f"/readings/{reading.id}/edit"))
    metric_page = text(cm.get(f"/metrics/{reading.metric_id}"))  # where the readings' history is
    assert "placements.xlsx" in metric_page and f'href="/readings/{reading.id}/attachments"' in metric_page


@pytest.mark.parametrize("data, filename, message", [
    (files.executable(), "report.pdf", "This is a program or a script, which is never accepted."),
    (files.html(), "report.pdf", "This is a web page or other markup"),
    (b"", "empty.pdf", "The file is empty."),
    (files.legacy_xls(), "budget.xls", "save it as .docx or .xlsx first"),
])
def test_it_explains_a_bad_file_beside_the_field_and_saves_nothing(po, db, contract, files_dir, data, filename, message):
    response = upload(po, f"/contracts/{contract.id}/attachments", data, filename)
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'<div class="field has-error">.*?<p class="error" role="alert">[^<]*' + re.escape(message), page)
    assert "nothing was saved" in page
    assert rows(db) == 0 and left_files(files_dir) == []


def test_it_asks_for_a_file_when_none_was_chosen(po, db, contract):
    response = po.post(f"/contracts/{contract.id}/attachments", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "Choose a file to attach." in text(response)
    assert rows(db) == 0


@pytest.mark.parametrize("app", [{"MAX_ATTACHMENT_BYTES": 4096}], indirect=True)
def test_it_refuses_a_file_over_a_configured_limit(po, db, contract, files_dir):
    response = upload(po, f"/contracts/{contract.id}/attachments", files.pdf() + b"%" * 5000, "big.pdf")
    assert response.status_code == 200
    assert "The file is larger than 4 KB, the most one attachment may be." in text(response)
    assert "PDF, Excel (.xlsx), CSV, Word (.docx), PNG or JPEG, at most 4 KB." in text(response)  # the field's help
    assert rows(db) == 0 and left_files(files_dir) == []


def test_with_the_default_limit_a_ten_megabyte_file_passes_and_a_larger_one_gets_a_page(app, po, db, contract, files_dir):
    assert app.config["MAX_ATTACHMENT_BYTES"] == 10 * 1024 * 1024
    ten = files.pdf() + b"%" * (10 * 1024 * 1024 - len(files.pdf()))
    assert upload(po, f"/contracts/{contract.id}/attachments", ten, "ten.pdf").status_code == 302

    just_over = upload(po, f"/contracts/{contract.id}/attachments", ten + b"%", "over.pdf")
    assert just_over.status_code == 200
    assert "The file is larger than 10 MB, the most one attachment may be." in text(just_over)

    far_over = upload(po, f"/contracts/{contract.id}/attachments", ten * 2, "twenty.pdf")  # past the request limit
    assert far_over.status_code == 413
    page = text(far_over)
    assert "The file is larger than 10 MB, the most one attachment may be." in page
    assert 'class="field has-error"' in page and "Attach a file to" in page
    assert db.session.scalars(select(Attachment.original_name)).all() == ["ten.pdf"]
    assert len(left_files(files_dir)) == 1


def test_a_body_too_large_for_another_page_gets_a_plain_explanation(app, po):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = po.post("/priorities/new", data={"name": "x" * 2000})
    assert response.status_code == 413 and "larger than the tracker accepts" in text(response)


def test_the_download_is_a_download_of_the_checked_type_kept_by_no_cache(client_as, contract, users):
    attachment = attach(contract, users["procurement_officer"], files.csv_text(), "Q3 readings, “final”.csv")
    response = client_as("viewer").get(f"/attachments/{attachment.id}")

    assert response.status_code == 200
    assert response.get_data() == files.csv_text()
    assert response.mimetype == "text/csv"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Q3%20readings%2C%20%E2%80%9Cfinal%E2%80%9D.csv" in disposition


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_downloads_contract_reading_and_check_in_files(client_as, users, contract, reading, checkin, role):
    made = [attach(owner, users["procurement_officer"]) for owner in (contract, reading, checkin)]
    signed_in = client_as(role)
    for attachment in made:
        assert signed_in.get(f"/attachments/{attachment.id}").status_code == 200, attachment.owner_kind


def test_an_unknown_id_is_not_found(po):
    assert po.get("/attachments/999999").status_code == 404


@pytest.fixture
def vendor_and_submission(db, factory, contract, reading):
    vendor = factory.make_user("vendor", vendor_id=contract.vendor_id)
    submission = VendorSubmission(metric_id=reading.metric_id, period_start=date(2025, 9, 1), period_end=date(2025, 9, 30),
                                  value=Decimal(30), submitted_by_id=vendor.id)
    db.session.add_all([submission, VendorAccess(contract_id=contract.id, user_id=vendor.id)])
    db.session.commit()
    return vendor, submission


def test_a_vendor_contact_gets_only_the_files_of_their_own_submissions(client_as, factory, users, contract, reading, checkin,
                                                                     vendor_and_submission, db):
    vendor, submission = vendor_and_submission
    own = attach(submission, vendor, files.csv_text(), "september.csv")
    colleague = factory.make_user("vendor", vendor_id=contract.vendor_id)
    internal = [attach(owner, users["procurement_officer"]) for owner in (contract, reading, checkin)]

    as_vendor = client_as("vendor", user=vendor)
    assert as_vendor.get(f"/attachments/{own.id}").status_code == 200
    for attachment in internal:  # not found, so ids tell nothing
        assert as_vendor.get(f"/attachments/{attachment.id}").status_code == 404, attachment.owner_kind
    assert client_as("vendor", user=colleague).get(f"/attachments/{own.id}").status_code == 404
    # Staff see the submission's evidence when they verify it.
    assert client_as("contract_manager").get(f"/attachments/{own.id}").status_code == 200
    # Once their access to the contract is revoked, not even their own files.
    access = db.session.scalar(select(VendorAccess).where(VendorAccess.user_id == vendor.id))
    access.revoked_at = datetime.now(timezone.utc)
    db.session.commit()
    assert as_vendor.get(f"/attachments/{own.id}").status_code == 404
    # Vendor contacts attach nothing through the staff pages.
    for url in (f"/contracts/{contract.id}/attachments", f"/readings/{reading.id}/attachments",
                f"/checkins/{checkin.id}/attachments"):
        assert upload(as_vendor, url, files.pdf(), "a.pdf").status_code == 403, url


def test_who_may_attach_to_a_submission(users, vendor_and_submission, factory, db, contract):
    from contracts_app.permissions import can_attach

    vendor, submission = vendor_and_submission
    assert can_attach(vendor, submission)
    assert not can_attach(factory.make_user("vendor", vendor_id=contract.vendor_id), submission)
    assert not can_attach(users["procurement_officer"], submission)
    submission.state = "accepted"
    db.session.commit()
    assert not can_attach(vendor, submission)


def test_an_archived_contracts_files_still_download_and_no_more_can_be_added(client_as, po, db, contract, reading, users):
    made = [attach(owner, users["procurement_officer"]) for owner in (contract, reading)]
    archived = po.post(f"/contracts/{contract.id}/archive", data={"reason": "Closed out", "confirm": "y"})
    assert archived.status_code == 302
    db.session.refresh(contract)
    assert contract.is_archived

    for role in ("viewer", "cdo", "procurement_officer"):
        for attachment in made:
            assert client_as(role).get(f"/attachments/{attachment.id}").status_code == 200
    page = text(po.get(f"/contracts/{contract.id}"))
    assert "report.pdf" in page and f'action="/contracts/{contract.id}/attachments"' not in page
    assert upload(po, f"/contracts/{contract.id}/attachments", files.pdf(), "late.pdf").status_code == 403
    assert rows(db) == 2


def test_readers_see_the_documents_without_the_upload_box(client_as, contract, users):
    attach(contract, users["procurement_officer"])
    page = text(client_as("viewer").get(f"/contracts/{contract.id}"))
    assert "report.pdf" in page and 'enctype="multipart/form-data"' not in page


def test_the_contract_page_reads_its_documents_in_one_query(po, contract, users):
    url = f"/contracts/{contract.id}"

    def queries():
        with count_queries() as counter:
            assert po.get(url).status_code == 200
        return counter.count

    attach(contract, users["procurement_officer"])
    one = queries()
    for n in range(4):  # (by the same person: a new one would be a new name in the change history)
        attach(contract, users["procurement_officer"], name=f"report {n}.pdf")
    assert queries() == one


def test_the_metric_page_reads_every_readings_files_in_one_query(po, factory, contract, users):
    metric = factory.make_metric(contract)
    readings = [factory.make_reading(metric, date(2025, month, 1), 20 + month) for month in (8, 9, 10, 11)]
    url = f"/metrics/{metric.id}"  # (metric.id inside the count would reload the expired metric)

    def queries():
        with count_queries() as counter:
            assert po.get(url).status_code == 200
        return counter.count

    attach(readings[0], users["procurement_officer"])
    one = queries()
    for reading in readings[1:]:
        attach(reading, users["procurement_officer"])
    assert queries() == one


def test_the_contract_history_says_what_was_attached_in_words(po, contract, users):
    attach(contract, users["procurement_officer"], files.csv_text(), "data.csv")
    page = text(po.get(f"/contracts/{contract.id}"))
    history = page[page.index('id="history-h"'):]
    assert f"Attached data.csv ({len(files.csv_text())} bytes) to {contract.reference}" in history
    assert "Attached to" in history and "Stored name" not in history and "Owner" not in history


def test_an_upload_without_the_csrf_token_is_refused(csrf_app, tmp_path):
    from tests import factories
    from tests.conftest import csrf_token

    csrf_app.config["ATTACHMENTS_DIR"] = str(tmp_path / "csrf-files")
    officer = factories.make_user("procurement_officer")
    contract = factories.make_contract()
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": officer.email, "password": factories.PASSWORD, "csrf_token": token})

    url = f"/contracts/{contract.id}/attachments"
    assert upload(client, url, files.pdf(), "a.pdf").status_code == 400
    assert left_files(tmp_path / "csrf-files") == []
    token = csrf_token(client.get(f"/contracts/{contract.id}").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(files.pdf()), "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and len(left_files(tmp_path / "csrf-files")) == 1
