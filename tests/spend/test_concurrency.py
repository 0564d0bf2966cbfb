"""Two people at once against one PostgreSQL database: a payment is voided once (one audit
event), an invoice is recorded once per contract, and a payments file is imported once."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.errors import ServiceError
from contracts_app.extensions import db
from contracts_app.imports import services as import_services
from contracts_app.imports.models import ImportUpload
from contracts_app.spend import services
from contracts_app.spend.models import Payment
from tests.concurrency import run_together


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("the concurrency tests need PostgreSQL (SQLite runs one writer at a time)")


def _values(reference):
    return {"paid_on": date(2025, 8, 15), "amount": Decimal("100"), "period_start": None, "period_end": None,
            "invoice_reference": reference, "note": ""}


def test_two_voids_at_once_void_once(postgres_only, app, factory, users):
    contract = factory.make_contract()
    payment = services.record_payment(contract, _values("INV-1"), users["procurement_officer"])
    ids = (payment.id, users["procurement_officer"].id)

    def work(index):
        return services.void_payment(db.session.get(Payment, ids[0]), f"Reason {index}", db.session.get(User, ids[1])).id

    results, refused = run_together(app, work, expected=ServiceError)
    assert len(results) == 1 and len(refused) == 1 and "already voided" in str(refused[0])
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "void")) == 1


def test_the_same_invoice_twice_at_once_is_recorded_once(postgres_only, app, factory, users):
    contract = factory.make_contract()
    ids = (contract.id, users["procurement_officer"].id)

    def work(index):
        return services.record_payment(db.session.get(Contract, ids[0]), _values("INV-7"), db.session.get(User, ids[1])).id

    results, refused = run_together(app, work, expected=ServiceError)
    assert len(results) == 1 and len(refused) == 1 and "INV-7" in str(refused[0])
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_payments_file_committed_twice_at_once_is_imported_once(postgres_only, app, factory, users):
    factory.make_contract(reference="HS-1")
    officer = users["procurement_officer"]
    upload = import_services.stage_upload(
        "Contract reference,Paid on,Amount,Invoice reference\r\nHS-1,2025-08-15,100,INV-1\r\n", "utf-8", "p.csv",
        officer, kind="payments")
    ids = (upload.id, officer.id)

    def work(index):
        return import_services.commit_payments_upload(db.session.get(ImportUpload, ids[0]), db.session.get(User, ids[1])).recorded

    results, refused = run_together(app, work, expected=ServiceError)
    assert results == [1] and len(refused) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
