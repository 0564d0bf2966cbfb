"""Attaching files (contracts_app/attachments/services.py): all of it or nothing."""
import hashlib
import io
import os
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from contracts_app.attachments import services
from contracts_app.attachments.models import Attachment
from contracts_app.audit.models import AuditEvent
from contracts_app.errors import ServiceError
from contracts_app.vendors.models import VendorSubmission
from tests.attachments import files
from tests.attachments.files import left_files
from tests.querycount import count_queries

NOW = datetime(2026, 1, 20, 15, 0, tzinfo=timezone.utc)


def storage(data, filename):
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def rows(db):
    return db.session.scalar(select(func.count()).select_from(Attachment))


@pytest.fixture
def contract(factory, users):
    return factory.make_contract(contract_manager_id=users["contract_manager"].id)


@pytest.fixture
def reading(factory, contract):
    return factory.make_reading(factory.make_metric(contract), date(2025, 8, 1), 21)


@pytest.mark.parametrize("name", sorted(files.ACCEPTED))
def test_it_stores_every_accepted_kind_under_a_generated_name(db, contract, users, files_dir, name):
    data, content_type = files.ACCEPTED[name]
    attachment = services.attach(contract, storage(data, name), users["procurement_officer"], now=NOW)

    stored = db.session.get(Attachment, attachment.id)
    assert (stored.owner_kind, stored.owner_id, stored.contract_id) == ("contract", contract.id, contract.id)
    assert (stored.original_name, stored.content_type, stored.size) == (name, content_type, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.uploaded_by_id == users["procurement_officer"].id and stored.uploaded_at == NOW
    assert left_files(files_dir) == [stored.stored_name]
    assert name not in stored.stored_name and len(stored.stored_name.split(".")[0]) == 32
    assert (files_dir / stored.stored_name).read_bytes() == data


def test_it_attaches_to_readings_check_ins_and_submissions_with_their_contract(db, factory, contract, reading, users):
    checkin = factory.make_checkin(contract)
    vendor = factory.make_user("vendor", vendor_id=contract.vendor_id)
    submission = VendorSubmission(metric_id=reading.metric_id, period_start=date(2025, 9, 1), period_end=date(2025, 9, 30),
                                  value=Decimal(30), submitted_by_id=vendor.id)
    db.session.add(submission)
    db.session.commit()

    made = [
        services.attach(reading, storage(files.pdf(), "r.pdf"), users["contract_manager"]),
        services.attach(checkin, storage(files.docx(), "minutes.docx"), users["contract_manager"]),
        services.attach(submission, storage(files.csv_text(), "data.csv"), vendor),
    ]
    assert [(a.owner_kind, a.owner_id, a.contract_id) for a in made] == [
        ("reading", reading.id, contract.id), ("checkin", checkin.id, contract.id), ("submission", submission.id, contract.id),
    ]


def test_it_records_an_audit_event(db, contract, users):
    attachment = services.attach(contract, storage(files.pdf(), "Signed contract.pdf"), users["procurement_officer"])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "attachment"))
    assert (event.action, event.entity_id, event.contract_id) == ("create", attachment.id, contract.id)
    assert event.summary == f"Attached Signed contract.pdf ({len(files.pdf())} bytes) to {contract.reference}"
    assert event.after["sha256"] == attachment.sha256


@pytest.mark.parametrize("data, filename, message", [
    (b"", "empty.pdf", "The file is empty."),
    (files.executable(), "report.pdf", "This is a program or a script"),
    (files.html(), "report.pdf", "This is a web page or other markup"),
    (files.plain_zip(), "book.xlsx", "This is a zip file"),
    (files.legacy_xls(), "book.xls", "older Word or Excel file"),
    (files.csv_text(), "readings.pdf", "named .pdf but its content is a CSV"),
    (b"x" * 2049, "big.csv", "The file is larger than 2 KB, the most one attachment may be."),
])
def test_it_refuses_bad_files_and_leaves_neither_row_nor_file(app, db, contract, users, files_dir, data, filename, message):
    app.config["MAX_ATTACHMENT_BYTES"] = 2048
    with pytest.raises(ServiceError) as refused:
        services.attach(contract, storage(data, filename), users["procurement_officer"])
    assert message in refused.value.message and refused.value.field == "file"
    assert rows(db) == 0 and left_files(files_dir) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_file_of_exactly_the_limit_is_accepted(app, contract, users):
    app.config["MAX_ATTACHMENT_BYTES"] = 2048
    data = files.pdf() + b"%" * (2048 - len(files.pdf()))
    assert services.attach(contract, storage(data, "exact.pdf"), users["procurement_officer"]).size == 2048


def test_it_stops_reading_as_soon_as_the_file_passes_the_limit(app, contract, users):
    app.config["MAX_ATTACHMENT_BYTES"] = 2048
    stream = io.BytesIO(files.pdf() + b"%" * (10 * services.CHUNK_BYTES))
    with pytest.raises(ServiceError):
        services.attach(contract, FileStorage(stream=stream, filename="big.pdf"), users["procurement_officer"])
    assert stream.tell() <= services.CHUNK_BYTES  # the first chunk told: the rest was never read


def test_it_refuses_files_on_an_archived_contract(db, contract, users, files_dir):
    contract.archived_at = NOW
    db.session.commit()
    with pytest.raises(ServiceError, match="archived"):
        services.attach(contract, storage(files.pdf(), "late.pdf"), users["procurement_officer"])
    assert rows(db) == 0 and left_files(files_dir) == []


def test_a_failure_after_the_file_is_in_place_leaves_neither_row_nor_file(db, contract, users, files_dir, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "record", broken_audit)
    with pytest.raises(RuntimeError):
        services.attach(contract, storage(files.pdf(), "report.pdf"), users["procurement_officer"])
    assert rows(db) == 0 and left_files(files_dir) == []


def test_inside_a_callers_transaction_the_file_stays_only_if_the_caller_commits(db, contract, users, files_dir):
    kept = services.attach(contract, storage(files.pdf(), "kept.pdf"), users["procurement_officer"], commit=False)
    assert left_files(files_dir) == [kept.stored_name]  # in place, waiting for the caller
    db.session.commit()

    services.attach(contract, storage(files.png(), "dropped.png"), users["procurement_officer"], commit=False)
    db.session.rollback()  # the caller's command failed

    assert db.session.scalars(select(Attachment.original_name)).all() == ["kept.pdf"]
    assert left_files(files_dir) == [kept.stored_name]


def test_a_session_closed_without_committing_removes_the_file(db, contract, users, files_dir):
    services.attach(contract, storage(files.pdf(), "abandoned.pdf"), users["procurement_officer"], commit=False)
    db.session.remove()  # as at the end of a request that never committed
    assert rows(db) == 0 and left_files(files_dir) == []


def test_a_refusal_inside_a_callers_transaction_undoes_the_callers_changes_too(db, contract, users):
    contract.title = "Changed by the caller"
    with pytest.raises(ServiceError):
        services.attach(contract, storage(b"", "empty.pdf"), users["procurement_officer"], commit=False)
    db.session.expire_all()
    assert contract.title != "Changed by the caller"


def test_it_keeps_the_file_name_people_gave_without_paths_or_control_characters(contract, users):
    attachment = services.attach(contract, storage(files.pdf(), "C:\\Users\\ana\\Q3\x07 report.pdf"), users["procurement_officer"])
    assert attachment.original_name == "Q3 report.pdf"
    long_name = "x" * 300 + ".pdf"
    assert services.attach(contract, storage(files.pdf(), long_name), users["procurement_officer"]).original_name == "x" * 251 + ".pdf"


def test_it_refuses_owners_that_are_not_records_with_files(factory, users):
    with pytest.raises(TypeError):
        services.attach(factory.make_vendor(), storage(files.pdf(), "a.pdf"), users["procurement_officer"])


def test_it_reads_the_files_of_many_records_in_one_query(db, factory, contract, users):
    metric = factory.make_metric(contract)
    readings = [factory.make_reading(metric, date(2025, month, 1), 20 + month) for month in (8, 9, 10)]
    for reading in readings[:2]:
        for name in ("a.pdf", "b.pdf"):
            services.attach(reading, storage(files.pdf(), name), users["procurement_officer"])
    services.attach(contract, storage(files.pdf(), "contract.pdf"), users["procurement_officer"])
    reading_ids = [reading.id for reading in readings]
    officer = users["procurement_officer"].name
    db.session.expire_all()

    with count_queries() as counter:
        found = services.attachments_for("reading", reading_ids)
        names = {owner: [(a.original_name, a.uploaded_by.name) for a in attached] for owner, attached in found.items()}
    assert counter.count == 1
    assert names == {reading_ids[0]: [("a.pdf", officer), ("b.pdf", officer)],
                     reading_ids[1]: [("a.pdf", officer), ("b.pdf", officer)]}
    assert services.attachments_for("reading", []) == {}


def test_archiving_a_contract_keeps_its_files(db, contract, users, files_dir):
    from contracts_app.contracts import services as contract_services

    attachment = services.attach(contract, storage(files.pdf(), "report.pdf"), users["procurement_officer"])
    contract_services.archive_contract(contract, users["procurement_officer"], "Closed out")
    assert db.session.get(Attachment, attachment.id) is not None
    assert os.path.exists(files_dir / attachment.stored_name)
