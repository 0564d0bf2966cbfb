"""Registering and editing contracts through the forms, including every bad input."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract, Vendor


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def officer(client_as):
    return client_as("procurement_officer")


@pytest.fixture
def form_data(factory, users):
    vendor = factory.make_vendor(name="Harbor Light Services")
    priority = factory.make_priority(name="Reduce unsheltered homelessness 25% by 2027")

    def make(**overrides):
        data = {
            "reference": "HS-2025-014",
            "title": "Street outreach",
            "kind": "contract",
            "department": "Human Services",
            "vendor_id": str(vendor.id),
            "new_vendor_name": "",
            "value": "1,200,000",
            "currency": "usd",
            "start_date": "2025-07-01",
            "end_date": "2027-06-30",
            "status": "active",
            "payment_structure": "performance_based",
            "payment_terms": "10% of each quarterly payment is withheld and released when placements meet target",
            "problem": "People living outside are not connected to shelter or housing",
            "outcomes": "More people move from the street into shelter and housing, and stay there",
            "priority_ids": [str(priority.id)],
            "procurement_officer_id": str(users["procurement_officer"].id),
            "contract_manager_id": str(users["contract_manager"].id),
            "is_public": "y",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    make.vendor = vendor
    make.priority = priority
    return make


def test_it_registers_a_contract_with_every_field(officer, form_data, db, users):
    response = officer.post("/contracts/new", data=form_data())
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert contract.reference == "HS-2025-014"
    assert contract.value == Decimal("1200000.00")
    assert contract.currency == "USD"
    assert (contract.start_date, contract.end_date) == (date(2025, 7, 1), date(2027, 6, 30))
    assert contract.vendor.name == "Harbor Light Services"
    assert [p.name for p in contract.priorities] == ["Reduce unsheltered homelessness 25% by 2027"]
    assert contract.contract_manager_id == users["contract_manager"].id
    assert contract.payment_structure == "performance_based"
    assert contract.is_public is True
    assert contract.health == "no_data"


def test_it_records_who_created_the_contract_in_the_audit_log(officer, form_data, db, users):
    officer.post("/contracts/new", data=form_data())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "contract"))
    assert event.action == "create"
    assert event.actor_id == users["procurement_officer"].id
    assert event.after["reference"] == "HS-2025-014"
    assert event.after["value"] == "1200000"
    assert event.before is None


def test_it_creates_a_vendor_inline(officer, form_data, db):
    response = officer.post("/contracts/new", data=form_data(vendor_id="", new_vendor_name="Bright Path Inc"))
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert contract.vendor.name == "Bright Path Inc"
    assert count(db, Vendor) == 2


def test_it_reuses_an_existing_vendor_typed_inline(officer, form_data, db):
    officer.post("/contracts/new", data=form_data(vendor_id="", new_vendor_name="harbor light services"))
    assert count(db, Vendor) == 1
    assert db.session.scalar(select(Contract)).vendor_id == form_data.vendor.id


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"end_date": "2025-06-30"}, "The end date must be on or after the start date."),
        ({"value": "-5"}, "The value cannot be negative."),
        ({"value": "a lot"}, "“a lot” is not a number: use digits"),
        ({"value": "Infinity"}, "“Infinity” is not a number: use digits"),
        ({"value": "sNaN"}, "“sNaN” is not a number: use digits"),
        ({"value": "1e400"}, "“1e400” is not a number: use digits"),
        ({"value": "1,000,000,000,000"}, "That number is too large"),
        ({"value": "10.555"}, "Use at most 2 decimal places."),
        ({"start_date": "2025-13-45"}, "Not a valid date value."),
        ({"end_date": ""}, "Enter an end date."),
        ({"reference": ""}, "This field is required."),
        ({"reference": "HS 2025 014"}, "Use letters, digits and . _ / - only"),
        ({"reference": "x" * 65}, "Field cannot be longer than 64 characters."),
        ({"currency": "DOLLARS"}, "Use a three-letter ISO 4217 code"),
        ({"currency": "xyz"}, "XYZ is not an ISO 4217 currency code"),
        ({"end_date": "9999-12-31"}, "Use an end date before 2200."),
        ({"start_date": "0001-01-01"}, "Use a start date from 1900 on."),
        ({"priority_ids": []}, "Pick at least one priority this contract serves."),
        ({"priority_ids": ["999999"]}, "is not a valid choice for this field."),
        ({"priority_ids": ["abc"]}, "Pick at least one priority this contract serves."),
        ({"vendor_id": "", "new_vendor_name": ""}, "Pick a vendor, or type the name of a new one below."),
        ({"vendor_id": "999999"}, "Not a valid choice"),
        ({"vendor_id": "abc"}, "Invalid Choice: could not coerce."),
        ({"new_vendor_name": "Someone Else"}, "Pick a vendor or type a new one, not both."),
        ({"kind": "loan"}, "Not a valid choice"),
        ({"status": "paused"}, "Not a valid choice"),
        ({"payment_structure": "barter"}, "Not a valid choice"),
        ({"payment_terms": ""}, "This field is required."),
        ({"problem": "  "}, "This field is required."),
    ],
)
def test_it_refuses_bad_input_on_the_field_and_writes_nothing(officer, form_data, db, overrides, field_message):
    before = (count(db, Contract), count(db, Vendor), count(db, AuditEvent))
    response = officer.post("/contracts/new", data=form_data(**overrides))
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)
    assert "nothing was saved" in response.get_data(as_text=True)
    assert (count(db, Contract), count(db, Vendor), count(db, AuditEvent)) == before


def test_it_refuses_a_duplicate_reference_ignoring_case(officer, form_data, db, factory):
    factory.make_contract(reference="HS-2025-014")
    response = officer.post("/contracts/new", data=form_data(reference="hs-2025-014"))
    assert response.status_code == 200
    assert "Reference hs-2025-014 is already used by another contract." in response.get_data(as_text=True)
    assert count(db, Contract) == 1


def test_it_refuses_a_contract_manager_who_is_not_one(officer, form_data, db, users):
    response = officer.post("/contracts/new", data=form_data(contract_manager_id=str(users["viewer"].id)))
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(db, Contract) == 0


def test_it_keeps_typed_values_when_re_rendering(officer, form_data):
    response = officer.post("/contracts/new", data=form_data(end_date="2020-01-01"))
    assert 'value="Street outreach"' in response.get_data(as_text=True)


def test_it_edits_a_contract_and_audits_before_and_after(officer, form_data, db, factory, users):
    officer.post("/contracts/new", data=form_data())
    contract = db.session.scalar(select(Contract))
    # The contract is active: a change of value is an amendment, with its date, reason and approver.
    response = officer.post(f"/contracts/{contract.id}/edit", data=form_data(
        title="Street outreach and engagement", value="1250000", amended_on="2025-08-01",
        amendment_reason="A second outreach team", amendment_approver_id=str(users["procurement_officer"].id)))
    assert response.status_code == 302
    db.session.refresh(contract)
    assert contract.title == "Street outreach and engagement"
    assert contract.value == Decimal("1250000.00")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    changed = {field for field, _, _ in event.changes()}
    assert changed == {"title", "value"}
    assert event.before["title"] == "Street outreach"


def test_it_refuses_moving_the_start_once_readings_exist(officer, form_data, db, factory):
    officer.post("/contracts/new", data=form_data())
    contract = db.session.scalar(select(Contract))
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 8, 1), 21)
    response = officer.post(f"/contracts/{contract.id}/edit", data=form_data(start_date="2025-08-01"))
    assert "The start date cannot change once readings are recorded" in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.start_date == date(2025, 7, 1)


def test_it_refuses_ending_the_term_before_recorded_readings(officer, form_data, db, factory):
    officer.post("/contracts/new", data=form_data())
    contract = db.session.scalar(select(Contract))
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 9, 1), 21)
    response = officer.post(f"/contracts/{contract.id}/edit", data=form_data(end_date="2025-08-31"))
    assert "Readings exist up to 30 Sep 2025; the end date cannot be earlier." in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.end_date == date(2027, 6, 30)


def test_it_rejudges_readings_when_the_term_changes(officer, form_data, db, factory, users):
    officer.post("/contracts/new", data=form_data())
    contract = db.session.scalar(select(Contract))
    metric = factory.make_metric(contract, baseline_value=Decimal(18), target_value=Decimal(30))
    reading = factory.make_reading(metric, date(2025, 8, 1), 19, status="on_track")
    # Shortening the term to one year steepens the line: August's target rises to 20, so 19 is at risk.
    officer.post(f"/contracts/{contract.id}/edit", data=form_data(
        end_date="2026-06-30", amended_on="2025-08-15", amendment_reason="Funding ends a year early",
        amendment_approver_id=str(users["procurement_officer"].id)))
    db.session.refresh(reading)
    assert reading.status == "at_risk"


def test_it_archives_with_a_reason_and_never_deletes(officer, form_data, db, users):
    officer.post("/contracts/new", data=form_data())
    contract = db.session.scalar(select(Contract))
    response = officer.post(f"/contracts/{contract.id}/archive", data={"reason": ""})
    assert "Say why the contract is archived." in response.get_data(as_text=True)
    assert db.session.get(Contract, contract.id).archived_at is None

    response = officer.post(f"/contracts/{contract.id}/archive", data={"reason": "Duplicate entry"})
    assert response.status_code == 302
    db.session.refresh(contract)
    assert contract.archived_at is not None
    assert contract.archived_by_id == users["procurement_officer"].id
    assert count(db, Contract) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive"))
    assert event.after["reason"] == "Duplicate entry"
    # Archived: out of the register, not editable, restorable.
    officer.get(f"/contracts/{contract.id}")  # consume the flash message that names the contract
    assert b"HS-2025-014" not in officer.get("/contracts").data
    assert b"HS-2025-014" in officer.get("/contracts?archived=only").data
    assert officer.get(f"/contracts/{contract.id}/edit").status_code == 403
    assert officer.post(f"/contracts/{contract.id}/restore").status_code == 302
    db.session.refresh(contract)
    assert contract.archived_at is None


def test_it_answers_404_for_unknown_contracts(officer):
    for url in ("/contracts/999999", "/contracts/999999/edit", "/contracts/999999/archive", "/vendors/999999"):
        assert officer.get(url).status_code == 404


# --- award and signature dates, vendor identifiers and addresses (OCDS) ------------------------


def test_it_records_the_award_and_signature_dates(officer, form_data, db):
    response = officer.post("/contracts/new", data=form_data(awarded_on="2025-05-20", signed_on="2025-06-02"))
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert (contract.awarded_on, contract.signed_on) == (date(2025, 5, 20), date(2025, 6, 2))
    page = officer.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "20 May 2025" in page and "2 Jun 2025" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"awarded_on": "2025-06-02", "signed_on": "2025-05-20"}, "The contract cannot be signed before it was awarded."),
        ({"signed_on": "2100-01-01"}, "The date of signature cannot be in the future"),
        ({"awarded_on": "2100-01-01"}, "The date of award cannot be in the future"),
        ({"awarded_on": "1850-01-01"}, "Use a date of award from 1900 to 2199."),
        ({"signed_on": "20 May"}, "Enter a date as YYYY-MM-DD"),
    ],
)
def test_it_refuses_bad_award_and_signature_dates(officer, form_data, db, overrides, message):
    response = officer.post("/contracts/new", data=form_data(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db, Contract) == 0


@pytest.fixture
def vendor_form(factory):
    vendor = factory.make_vendor(name="Harbor Light Services", contact_name="Dana Reyes")

    def make(**overrides):
        data = {
            "name": "Harbor Light Services", "contact_name": "Dana Reyes", "contact_email": "",
            "identifier_scheme": "us-ein", "identifier": "12-3456789", "street_address": "100 Main St",
            "locality": "Springfield", "region": "IL", "postal_code": "62701", "country_name": "United States",
        }
        data.update(overrides)
        return data

    make.vendor = vendor
    return make


def test_it_records_a_vendor_identifier_and_address(officer, vendor_form, db):
    vendor = vendor_form.vendor
    response = officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form())
    assert response.status_code == 302
    db.session.refresh(vendor)
    assert (vendor.identifier_scheme, vendor.identifier) == ("US-EIN", "12-3456789")
    assert vendor.address_parts == ["100 Main St", "Springfield", "IL", "62701", "United States"]
    page = officer.get(f"/vendors/{vendor.id}").get_data(as_text=True)
    assert "US-EIN 12-3456789" in page and "100 Main St, Springfield, IL, 62701, United States" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "vendor"))
    assert event.before["identifier"] is None and event.after["identifier"] == "12-3456789"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"identifier": ""}, "Give both the identifier scheme and the identifier, or neither."),
        ({"identifier_scheme": ""}, "Give both the identifier scheme and the identifier, or neither."),
        ({"identifier_scheme": "EIN"}, "Use an org-id.guide code"),
        ({"postal_code": "6" * 21}, "Field cannot be longer than 20 characters."),
    ],
)
def test_it_refuses_a_bad_vendor_identifier_and_changes_nothing(officer, vendor_form, db, overrides, message):
    vendor = vendor_form.vendor
    response = officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(vendor)
    assert vendor.identifier is None and vendor.street_address is None


def test_two_vendors_cannot_share_an_identifier(officer, vendor_form, factory, db):
    factory.make_vendor(name="Bright Path Inc", identifier_scheme="US-EIN", identifier="12-3456789")
    vendor = vendor_form.vendor
    response = officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form())
    assert "Bright Path Inc already has identifier US-EIN 12-3456789." in response.get_data(as_text=True)
    db.session.refresh(vendor)
    assert vendor.identifier is None


def test_only_procurement_officers_edit_vendors(client_as, vendor_form, db):
    vendor = vendor_form.vendor
    response = client_as("contract_manager").post(f"/vendors/{vendor.id}/edit", data=vendor_form())
    assert response.status_code == 403
    db.session.refresh(vendor)
    assert vendor.identifier is None
