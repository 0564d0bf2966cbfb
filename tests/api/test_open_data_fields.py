"""The fields open data needs through the API: award and signature dates, vendor identifiers
and addresses (PATCH /vendors/<id>), and milestone types."""
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Vendor
from contracts_app.extensions import db
from tests.api.test_contracts import new_contract


def test_contracts_carry_their_award_and_signature_dates(api_as, factory):
    priority = factory.make_priority()
    officer = api_as("procurement_officer")
    response = officer.post("/contracts", new_contract(priority.id, awarded_on="2024-11-20", signed_on="2024-12-02"))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["awarded_on"], body["signed_on"]) == ("2024-11-20", "2024-12-02")
    assert body["department"] == "Public Works" and isinstance(body["department_id"], int)

    path = f"/contracts/{body['id']}"
    # A signature before the stored award: 409 (issue 12); both given, the request is wrong: 422.
    response = officer.patch(path, {"signed_on": "2024-11-01"})
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"] == {"signed_on": "The contract cannot be signed before it was awarded. "
                                                                   "(signed_on was given; awarded_on keeps its stored value.)"}
    response = officer.patch(path, {"awarded_on": "2024-12-01", "signed_on": "2024-11-01"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"signed_on": "The contract cannot be signed before it was awarded."}
    response = officer.patch(path, {"awarded_on": "2100-01-01", "signed_on": None})
    assert response.status_code == 422 and "awarded_on" in response.get_json()["error"]["fields"]
    assert officer.get(path).get_json()["signed_on"] == "2024-12-02"  # nothing changed
    response = officer.patch(path, {"signed_on": None})
    assert response.status_code == 200 and response.get_json()["signed_on"] is None


def test_a_procurement_officer_sets_a_vendors_identifier_and_address(api_as, factory):
    vendor = factory.make_vendor(name="Lumen Co", contact_name="Ray Ortiz")
    officer = api_as("procurement_officer")
    response = officer.patch(f"/vendors/{vendor.id}", {
        "identifier_scheme": "US-EIN", "identifier": "98-7654321", "street_address": "1 Light Way",
        "locality": "Springfield", "country_name": "United States",
    })
    assert response.status_code == 200
    body = response.get_json()
    assert (body["identifier_scheme"], body["identifier"], body["locality"]) == ("US-EIN", "98-7654321", "Springfield")
    assert body["name"] == "Lumen Co" and body["contact_name"] == "Ray Ortiz" and body["postal_code"] is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "vendor")) == 1
    # Clearing one half of the identifier is refused; clearing both works.
    response = officer.patch(f"/vendors/{vendor.id}", {"identifier": None})
    assert response.status_code == 409  # the stored scheme refuses it (issue 12)
    assert response.get_json()["error"]["fields"] == {
        "identifier": "Give both the identifier scheme and the identifier, or neither. "
                      "(identifier was given; identifier_scheme keeps its stored value.)"
    }
    response = officer.patch(f"/vendors/{vendor.id}", {"identifier_scheme": "US-EIN", "identifier": None})
    assert response.status_code == 422 and "identifier" in response.get_json()["error"]["fields"]
    response = officer.patch(f"/vendors/{vendor.id}", {"identifier": "", "identifier_scheme": ""})
    assert response.status_code == 200 and response.get_json()["identifier"] is None


def test_bad_vendor_changes_are_refused_and_change_nothing(api_as, factory):
    vendor = factory.make_vendor(name="Lumen Co")
    factory.make_vendor(name="Bright Path Inc", identifier_scheme="US-EIN", identifier="11-1111111")
    officer = api_as("procurement_officer")
    cases = [
        ({"identifier_scheme": "EIN", "identifier": "1"}, "identifier_scheme", 422),
        ({"identifier_scheme": "US-EIN", "identifier": "11-1111111"}, "identifier", 409),  # another vendor's
        ({"name": ""}, "name", 422),
        ({"name": "Bright Path Inc"}, "name", 409),  # another vendor's name
        ({"contact_email": "not an email"}, "contact_email", 422),
        ({"contact_email": "ana@example.test"}, "contact_email", 422),  # a special-use domain
        ({"contact_email": "josé@example.com"}, "contact_email", 422),  # the API takes plain ASCII
        ({"postal_code": "9" * 21}, "postal_code", 422),
    ]
    for body, field, status in cases:
        response = officer.patch(f"/vendors/{vendor.id}", body)
        assert response.status_code == status, body
        assert field in response.get_json()["error"]["fields"], body
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).identifier is None and db.session.get(Vendor, vendor.id).name == "Lumen Co"


def test_only_procurement_officers_change_vendors(api_as, factory):
    vendor = factory.make_vendor(name="Lumen Co")
    for role in ("contract_manager", "viewer", "cdo"):
        assert api_as(role).patch(f"/vendors/{vendor.id}", {"locality": "Elsewhere"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).locality is None


def test_milestones_have_a_type(api_as, api_city):
    manager = api_as("contract_manager")
    url = f"/contracts/{api_city.contract.id}/milestones"
    response = manager.post(url, {"title": "Quarterly report", "due_date": api_city.start.isoformat(),
                                  "milestone_type": "reporting"})
    assert response.status_code == 201 and response.get_json()["milestone_type"] == "reporting"
    response = manager.post(url, {"title": "Handover", "due_date": api_city.start.isoformat()})
    assert response.get_json()["milestone_type"] == "delivery"
    response = manager.post(url, {"title": "Party", "due_date": api_city.start.isoformat(), "milestone_type": "party"})
    assert response.status_code == 422 and "milestone_type" in response.get_json()["error"]["fields"]


def test_a_metric_can_be_kept_off_the_public_site_and_open_data(api_as, api_city):
    officer = api_as("procurement_officer")
    url = f"/contracts/{api_city.contract.id}/metrics"
    body = {"name": "Staff incidents", "unit": "count", "direction": "decrease", "baseline_value": 5, "target_value": 2}
    response = officer.post(url, dict(body, is_public=False))
    assert response.status_code == 201 and response.get_json()["is_public"] is False
    response = officer.post(url, dict(body, name="Placements"))
    assert response.get_json()["is_public"] is True
