"""The API's procurement-stage and vendor-status fields, and amendments through PATCH: bad
values answer 422 naming the field, and nothing is saved."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.amendments.models import Amendment
from contracts_app.extensions import db


def amendments():
    return db.session.scalar(select(func.count()).select_from(Amendment))


@pytest.fixture
def contract(factory):
    return factory.make_contract(priorities=[factory.make_priority()], value=Decimal("1200000.00"),
                                 start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))


def test_it_reads_and_writes_the_procurement_stage(api_as, contract):
    api = api_as("procurement_officer")
    response = api.patch(f"/api/v1/contracts/{contract.id}", {
        "procurement_method": "selective", "procurement_method_details": "Pre-qualified list", "bids_received": 3})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["procurement_method"], body["procurement_method_details"], body["bids_received"]) == (
        "selective", "Pre-qualified list", 3)
    cleared = api.patch(f"/api/v1/contracts/{contract.id}", {"procurement_method": None, "bids_received": None})
    assert cleared.get_json()["procurement_method"] is None and cleared.get_json()["bids_received"] is None


@pytest.mark.parametrize("body, field", [
    ({"procurement_method": "auction"}, "procurement_method"),
    ({"procurement_method": 3}, "procurement_method"),
    ({"bids_received": -1}, "bids_received"),
    ({"bids_received": 2.5}, "bids_received"),
    ({"bids_received": "4"}, "bids_received"),
    ({"bids_received": True}, "bids_received"),
    ({"bids_received": 100001}, "bids_received"),
    ({"procurement_method_details": "x" * 256}, "procurement_method_details"),
])
def test_it_refuses_bad_procurement_values(api_as, contract, body, field):
    response = api_as("procurement_officer").patch(f"/api/v1/contracts/{contract.id}", body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(contract)
    assert contract.procurement_method is None and contract.bids_received is None


def test_it_reads_and_writes_the_vendor_status(api_as, contract):
    api = api_as("procurement_officer")
    response = api.patch(f"/api/v1/vendors/{contract.vendor_id}", {"is_small": True, "is_diverse": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["is_small"], body["is_local"], body["is_diverse"]) == (True, False, True)
    for bad in ("yes", 1, None):
        refused = api.patch(f"/api/v1/vendors/{contract.vendor_id}", {"is_local": bad})
        assert refused.status_code == 422 and "is_local" in refused.get_json()["error"]["fields"]
    assert api_as("viewer").patch(f"/api/v1/vendors/{contract.vendor_id}", {"is_local": True}).status_code == 403
    db.session.refresh(contract.vendor)
    assert contract.vendor.is_local is False


def test_the_api_refuses_an_amendment_without_its_reason_and_records_one_with_it(api_as, contract, users):
    api = api_as("procurement_officer")
    refused = api.patch(f"/api/v1/contracts/{contract.id}", {"value": "1300000"})
    # The stored contract is active: the change needs an amendment (409: a draft would take it as it is).
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "amendment_required"
    assert "amendment_reason" in refused.get_json()["error"]["fields"]
    bad_approver = api.patch(f"/api/v1/contracts/{contract.id}", {
        "value": "1300000", "amended_on": "2025-09-01", "amendment_reason": "More", "amendment_approver_id": users["cdo"].id})
    assert bad_approver.status_code == 409 and "amendment_approver_id" in bad_approver.get_json()["error"]["fields"]
    db.session.refresh(contract)
    assert contract.value == Decimal("1200000.00") and amendments() == 0
    done = api.patch(f"/api/v1/contracts/{contract.id}", {
        "value": "1300000", "amended_on": "2025-09-01", "amendment_reason": "More", "amendment_approver_id": users["admin"].id})
    assert done.status_code == 200, done.get_json()
    assert amendments() == 1
