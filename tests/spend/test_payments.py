"""Payments made on the contract page: record, correct and void through the forms (every bad
input refused with a message and nothing saved), the audit, who may, and the spend shown."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import today_for
from contracts_app.spend import services
from contracts_app.spend.models import Payment
from tests.querycount import count_queries


def payments():
    return db.session.scalar(select(func.count()).select_from(Payment))


@pytest.fixture
def contract(factory, users):
    return factory.make_contract(contract_manager_id=users["contract_manager"].id, value=Decimal("120000.00"),
                                 start_date=date(2025, 1, 1), end_date=date(2026, 12, 31))


def form(**overrides):
    data = {"paid_on": "2025-03-15", "amount": "10,000.50", "period_start": "2025-02-01", "period_end": "2025-02-28",
            "invoice_reference": "INV-0042", "note": "February services"}
    data.update(overrides)
    return data


def test_it_records_a_payment_and_audits_it(client_as, contract, users):
    response = client_as("procurement_officer").post(f"/contracts/{contract.id}/payments/new", data=form())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/contracts/{contract.id}#spend")
    payment = db.session.scalar(select(Payment))
    assert (payment.paid_on, payment.amount, payment.period_start, payment.period_end, payment.invoice_reference) == (
        date(2025, 3, 15), Decimal("10000.50"), date(2025, 2, 1), date(2025, 2, 28), "INV-0042")
    assert payment.recorded_by_id == users["procurement_officer"].id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "payment"))
    assert event.action == "create" and event.contract_id == contract.id and event.after["amount"] == "10000.5"


def test_the_contracts_own_manager_may_record_a_payment(client_as, contract):
    response = client_as("contract_manager").post(f"/contracts/{contract.id}/payments/new", data=form())
    assert response.status_code == 302 and payments() == 1


@pytest.mark.parametrize("overrides, field_message", [
    ({"paid_on": ""}, "Enter the date of the payment."),
    ({"paid_on": "15/03/2025"}, "Enter a date as YYYY-MM-DD"),
    ({"paid_on": "2999-01-01"}, "the date cannot be after today"),
    ({"paid_on": "1899-12-31"}, "Use a date from 1900 on."),
    ({"amount": ""}, "Enter the amount paid."),
    ({"amount": "0"}, "The amount must be more than zero"),
    ({"amount": "-5"}, "The amount must be more than zero"),
    ({"amount": "12,00"}, "is not a number"),
    ({"amount": "1.005"}, "Use at most 2 decimal places."),
    ({"amount": "9999999999999"}, "That number is too large"),
    ({"amount": "abc"}, "is not a number"),
    ({"period_end": ""}, "Give both dates of the billing period, or neither."),
    ({"period_start": "", "period_end": "2025-02-28"}, "Give both dates of the billing period, or neither."),
    ({"period_end": "2025-01-31"}, "The billing period must end on or after its first day."),
    ({"invoice_reference": "  "}, "Enter the invoice reference."),
    ({"invoice_reference": "X" * 65}, "Field cannot be longer than 64 characters."),
    ({"note": "n" * 5001}, "Field cannot be longer than 5000 characters."),
])
def test_it_refuses_bad_input_with_a_message_and_saves_nothing(client_as, contract, overrides, field_message):
    response = client_as("procurement_officer").post(f"/contracts/{contract.id}/payments/new", data=form(**overrides))
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)
    assert payments() == 0


def test_it_refuses_an_invoice_recorded_already_on_the_contract(client_as, contract, factory):
    officer = client_as("procurement_officer")
    officer.post(f"/contracts/{contract.id}/payments/new", data=form())
    response = officer.post(f"/contracts/{contract.id}/payments/new", data=form(invoice_reference="inv-0042"))
    assert "Invoice inv-0042 is already recorded on this contract" in response.get_data(as_text=True)
    assert payments() == 1
    # Another contract may have its own invoice INV-0042.
    other = factory.make_contract()
    assert officer.post(f"/contracts/{other.id}/payments/new", data=form()).status_code == 302
    assert payments() == 2


def test_it_refuses_payments_on_a_draft_contract(client_as, factory):
    draft = factory.make_contract(status="draft")
    response = client_as("procurement_officer").post(f"/contracts/{draft.id}/payments/new", data=form())
    assert "still a draft" in response.get_data(as_text=True) and payments() == 0


def _record(contract, actor, **values):
    data = {"paid_on": date(2025, 3, 15), "amount": Decimal("10000"), "period_start": None, "period_end": None,
            "invoice_reference": "INV-1", "note": ""}
    data.update(values)
    return services.record_payment(contract, data, actor, now=utcnow())


def test_it_corrects_a_payment_with_a_reason_and_keeps_before_and_after(client_as, contract, users):
    payment = _record(contract, users["procurement_officer"])
    officer = client_as("procurement_officer")
    refused = officer.post(f"/payments/{payment.id}/edit", data=form(amount="9000", invoice_reference="INV-1", reason=""))
    assert "Say why the payment is corrected." in refused.get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.amount == Decimal("10000")
    response = officer.post(f"/payments/{payment.id}/edit", data=form(
        amount="9000", invoice_reference="INV-1", period_start="", period_end="", note="", reason="Invoice was reissued"))
    assert response.status_code == 302
    db.session.refresh(payment)
    assert payment.amount == Decimal("9000")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "payment", AuditEvent.action == "update"))
    assert event.before["amount"] == "10000" and event.after["amount"] == "9000"
    assert event.after["reason"] == "Invoice was reissued"


def test_it_voids_a_payment_once_and_it_stops_counting(client_as, contract, users):
    payment = _record(contract, users["procurement_officer"])
    _record(contract, users["procurement_officer"], invoice_reference="INV-2", amount=Decimal("500"))
    officer = client_as("procurement_officer")
    assert "Say why the payment is voided." in officer.post(f"/payments/{payment.id}/void", data={"reason": ""}).get_data(as_text=True)
    assert officer.post(f"/payments/{payment.id}/void", data={"reason": "Entered twice"}).status_code == 302
    db.session.refresh(payment)
    assert payment.is_voided and payment.void_reason == "Entered twice" and payment.voided_by_id == users["procurement_officer"].id
    with pytest.raises(services.PaymentError, match="already voided"):
        services.void_payment(payment, "again", users["procurement_officer"])
    with pytest.raises(services.PaymentError, match="voided; it cannot be corrected"):
        services.correct_payment(payment, {"paid_on": date(2025, 3, 1), "amount": Decimal(1), "invoice_reference": "X"},
                                 "why", users["procurement_officer"])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "void")).all()
    assert len(events) == 1
    page = officer.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Voided" in page and "Entered twice" in page
    assert "<dd>$500 (0%)" in page  # paid to date: only the payment that counts


def test_it_keeps_other_managers_and_other_roles_off(client_as, factory, users, contract):
    payment = _record(contract, users["procurement_officer"])
    other_manager = factory.make_user("contract_manager")
    for role, user in (("contract_manager", other_manager), ("admin", None), ("cdo", None), ("viewer", None)):
        client = client_as(role, user=user)
        for url in (f"/contracts/{contract.id}/payments/new", f"/payments/{payment.id}/edit", f"/payments/{payment.id}/void"):
            assert client.get(url).status_code == 403, (role, url)
            assert client.post(url, data=form(reason="x")).status_code == 403, (role, url)
    assert payments() == 1 and not db.session.get(Payment, payment.id).is_voided


def test_it_refuses_payments_on_an_archived_contract(client_as, contract, users):
    payment = _record(contract, users["procurement_officer"])
    contract.archived_at = utcnow()
    db.session.commit()
    officer = client_as("procurement_officer")
    assert officer.get(f"/contracts/{contract.id}/payments/new").status_code == 403
    assert officer.post(f"/payments/{payment.id}/void", data={"reason": "x"}).status_code == 403


def test_the_contract_page_shows_the_spend_and_the_ceiling_warning(client_as, factory, users):
    today = today_for(utcnow())
    start = today - timedelta(days=99)  # 100 days elapsed, today included
    contract = factory.make_contract(value=Decimal("100000.00"), start_date=start, end_date=start + timedelta(days=364))
    _record(contract, users["procurement_officer"], paid_on=today, amount=Decimal("50000"))
    page = client_as("viewer").get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Spend against the ceiling" in page
    assert "<dd>$50,000 (50%)" in page
    # 500 a day: the ceiling is reached on day 200, before the 365-day term ends.
    reached = start + timedelta(days=199)
    assert "reaches the value ceiling on" in page and f"{reached.day} {reached.strftime('%b')}" in page
    assert "$182,500" in page  # projected at the end date


def test_the_contract_page_runs_as_many_queries_for_many_payments_as_for_one(client_as, contract, users):
    viewer = client_as("viewer")
    _record(contract, users["procurement_officer"])
    viewer.get(f"/contracts/{contract.id}")
    with count_queries() as one:
        assert viewer.get(f"/contracts/{contract.id}").status_code == 200
    for number in range(2, 30):
        _record(contract, users["procurement_officer"], invoice_reference=f"INV-{number}", amount=Decimal("100"))
    viewer.get(f"/contracts/{contract.id}")  # as before the first count: the test's session reloads what it wrote
    with count_queries() as many:
        page = viewer.get(f"/contracts/{contract.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "INV-29" in text and not re.search(r">INV-2\s", text)  # the latest few (PAYMENTS_SHOWN)
    assert "Show all payments" in text
    assert many.count == one.count
    everything = viewer.get(f"/contracts/{contract.id}?payments=all").get_data(as_text=True)
    assert re.search(r">INV-2\s", everything) and "Show all payments" not in everything


def test_the_register_shows_the_share_paid_and_flags_a_contract_that_will_pass_its_ceiling(client_as, factory, users):
    today = today_for(utcnow())
    start = today - timedelta(days=99)
    fast = factory.make_contract(reference="FAST-1", value=Decimal("100000.00"), start_date=start,
                                 end_date=start + timedelta(days=364))
    factory.make_contract(reference="NONE-1")
    _record(fast, users["procurement_officer"], paid_on=today, amount=Decimal("50000"))
    viewer = client_as("viewer")
    page = viewer.get("/contracts").get_data(as_text=True)
    assert "50%" in page and "Ceiling by" in page
    with count_queries() as before:
        viewer.get("/contracts")
    for number in range(5):
        factory.make_contract(reference=f"MORE-{number}")
    viewer.get("/contracts")
    with count_queries() as after:
        viewer.get("/contracts")
    assert after.count == before.count
