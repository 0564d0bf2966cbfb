"""The procurement stage on the contract form (solicitation method, details, bids received), the
vendor's small/local/diverse status on the vendor form, whether the vendor is new to the city
(derived from the register), and the RDC8 card on the evidence page."""
from datetime import date

import pytest
from sqlalchemy import select

from contracts_app.contracts.models import Contract, Vendor
from contracts_app.contracts.queries import is_first_contract_of_vendor
from contracts_app.extensions import db
from contracts_app.portfolio.evidence import evidence_figures, rows_for
from tests.contracts.test_contract_forms import form_data  # noqa: F401 (fixture)


@pytest.fixture
def officer(client_as):
    return client_as("procurement_officer")


def test_it_registers_the_procurement_stage(officer, form_data):  # noqa: F811
    response = officer.post("/contracts/new", data=form_data(
        procurement_method="open", procurement_method_details="RFP-2025-031", bids_received="4"))
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert (contract.procurement_method, contract.procurement_method_details, contract.bids_received) == (
        "open", "RFP-2025-031", 4)
    page = officer.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Open (any interested vendor could bid)" in page and "RFP-2025-031" in page
    assert "New to the city" in page


def test_blank_procurement_fields_are_not_recorded(officer, form_data):  # noqa: F811
    officer.post("/contracts/new", data=form_data(procurement_method="", procurement_method_details=" ", bids_received=""))
    contract = db.session.scalar(select(Contract))
    assert (contract.procurement_method, contract.procurement_method_details, contract.bids_received) == (None, None, None)


@pytest.mark.parametrize("overrides, message", [
    ({"procurement_method": "auction"}, "Not a valid choice"),
    ({"bids_received": "-1"}, "Enter a whole number of bids from 0 to 100,000."),
    ({"bids_received": "2.5"}, "Not a valid integer value."),
    ({"bids_received": "four"}, "Not a valid integer value."),
    ({"bids_received": "１"}, "digits"),
    ({"bids_received": "100001"}, "Enter a whole number of bids from 0 to 100,000."),
    ({"procurement_method_details": "x" * 256}, "Field cannot be longer than 255 characters."),
])
def test_it_refuses_bad_procurement_input_and_saves_nothing(officer, form_data, overrides, message):  # noqa: F811
    response = officer.post("/contracts/new", data=form_data(**overrides))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(Contract)) is None


def test_the_vendor_form_records_small_local_and_diverse_status(officer, factory):
    vendor = factory.make_vendor(name="Harbor Light")
    response = officer.post(f"/vendors/{vendor.id}/edit", data={"name": "Harbor Light", "is_small": "y", "is_diverse": "y"})
    assert response.status_code == 302
    db.session.refresh(vendor)
    assert (vendor.is_small, vendor.is_local, vendor.is_diverse) == (True, False, True)
    page = officer.get(f"/vendors/{vendor.id}").get_data(as_text=True)
    assert "Small" in page and "Diverse" in page
    from contracts_app.audit.models import AuditEvent
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "vendor"))
    assert event.before["is_small"] is False and event.after["is_small"] is True


def test_a_vendor_is_new_on_its_first_contract_only(factory):
    vendor = factory.make_vendor()
    later = factory.make_contract(vendor=vendor, start_date=date(2025, 7, 1), end_date=date(2026, 6, 30))
    first = factory.make_contract(vendor=vendor, start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    # Awarded before the other started: the award date decides when there is one.
    awarded_early = factory.make_contract(vendor=factory.make_vendor(), start_date=date(2025, 1, 1),
                                          end_date=date(2025, 12, 31), awarded_on=date(2024, 6, 1))
    assert is_first_contract_of_vendor(first) and not is_first_contract_of_vendor(later)
    assert is_first_contract_of_vendor(awarded_early)
    same_day = factory.make_contract(vendor=awarded_early.vendor, start_date=date(2024, 6, 1), end_date=date(2025, 1, 1))
    assert not is_first_contract_of_vendor(same_day)  # same day as the first's award: registered later


def test_the_rdc8_card_counts_competition_bids_and_vendors(client_as, factory):
    small = factory.make_vendor(is_small=True)
    repeat = factory.make_vendor()
    factory.make_contract(vendor=repeat, start_date=date(2023, 1, 1), end_date=date(2023, 12, 31), status="completed")
    factory.make_contract(procurement_method="open", bids_received=5, vendor=small)
    factory.make_contract(procurement_method="selective", bids_received=2, vendor=repeat)
    factory.make_contract(procurement_method="direct", bids_received=1)
    factory.make_contract()  # nothing recorded
    today = date(2026, 3, 1)
    figures, public, _ = evidence_figures(today)
    assert public.denominator == 4
    assert (figures["competitive"].numerator, figures["competitive"].denominator) == (2, 4)
    assert figures["bids_recorded"].numerator == 3 and str(figures["bids_recorded"].average) == "2.7"
    assert figures["first_time_vendors"].numerator == 3  # the repeat vendor's is its second
    assert figures["diverse_vendors"].numerator == 1
    contracts, _vendors, _decisions = rows_for("first_time_vendors", False, today)
    assert [row.contract.vendor_id for row in contracts] == [repeat.id]
    page = client_as("cdo").get("/portfolio/evidence").get_data(as_text=True)
    assert "RDC8: Vendor participation and competition" in page and "2.7" in page
    listing = client_as("cdo").get("/portfolio/evidence/competitive?met=yes").get_data(as_text=True)
    assert "Solicitation method" in listing and "Selective" in listing
    assert client_as("cdo").get("/portfolio/evidence/diverse_vendors?met=no").status_code == 200


def test_it_keeps_the_vendor_status_when_a_form_leaves_it_out(factory, users):
    from contracts_app.contracts import services

    vendor = factory.make_vendor(is_local=True)
    services.update_vendor(vendor, {"name": vendor.name}, users["procurement_officer"])
    assert db.session.get(Vendor, vendor.id).is_local is True
