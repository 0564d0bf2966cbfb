"""Each role through the API: the same rights as on the web pages (permissions.py), by token."""
import pytest

from contracts_app.metrics import rules
from tests.conftest import ROLES

ALL = set(ROLES)
PO = {"procurement_officer"}
PO_AND_OWN_CM = {"procurement_officer", "contract_manager"}


def next_month(day):
    return rules.add_months(day, 1).isoformat()


def requests_for(city, priority_id):
    """(method, path, body, roles allowed, status when allowed), in an order that keeps every
    request valid for the allowed roles (the archive comes last)."""
    c, m, r, ms, f = city.contract.id, city.metric.id, city.reading.id, city.milestone.id, city.flag.id
    return [
        ("GET", "/priorities", None, ALL, 200),
        ("GET", f"/priorities/{priority_id}", None, ALL, 200),
        ("GET", "/vendors", None, ALL, 200),
        ("GET", f"/vendors/{city.contract.vendor_id}", None, ALL, 200),
        ("GET", "/contracts?per_page=1", None, ALL, 200),
        ("GET", f"/contracts/{c}", None, ALL, 200),
        ("GET", f"/contracts/{c}/metrics", None, ALL, 200),
        ("GET", f"/metrics/{m}", None, ALL, 200),
        ("GET", f"/metrics/{m}/readings", None, ALL, 200),
        ("GET", f"/readings/{r}", None, ALL, 200),
        ("GET", f"/contracts/{c}/milestones", None, ALL, 200),
        ("GET", "/flags?status=open", None, ALL, 200),
        ("GET", f"/flags/{f}", None, ALL, 200),
        ("GET", f"/checkins?contract={c}", None, ALL, 200),
        ("GET", "/portfolio", None, ALL, 200),
        ("POST", "/contracts", {
            "reference": "ROLE-1", "title": "Street lighting", "department": "Public Works", "new_vendor_name": "Lumen",
            "value": 1000, "start_date": "2025-01-01", "end_date": "2025-12-31", "payment_structure": "fixed_price",
            "payment_terms": "Monthly", "problem": "Dark streets", "outcomes": "Lit streets", "priority_ids": [priority_id],
        }, PO, 201),
        ("PATCH", f"/contracts/{c}", {"title": "Renamed"}, PO, 200),
        ("PATCH", f"/vendors/{city.contract.vendor_id}", {"locality": "Springfield"}, PO, 200),
        ("POST", f"/contracts/{c}/metrics", {"name": "Wait", "unit": "days", "direction": "decrease",
                                             "baseline_value": 60, "target_value": 40}, PO, 201),
        ("POST", f"/metrics/{m}/readings", {"period_start": next_month(city.start), "value": 22}, PO_AND_OWN_CM, 201),
        ("PATCH", f"/readings/{r}", {"value": 20, "note": "Late returns"}, PO_AND_OWN_CM, 200),
        ("POST", "/readings/batch", {"readings": [{"metric_id": m, "period_start": next_month(rules.add_months(city.start, 1)),
                                                   "value": 23}]}, PO_AND_OWN_CM, 201),
        ("POST", f"/contracts/{c}/milestones", {"title": "Go live", "due_date": city.end.isoformat()}, PO_AND_OWN_CM, 201),
        ("PATCH", f"/milestones/{ms}", {"notes": "On schedule"}, PO_AND_OWN_CM, 200),
        ("POST", f"/flags/{f}/resolve", {"note": "Discussed with the vendor"}, PO_AND_OWN_CM, 200),
        ("POST", f"/contracts/{city.other_contract.id}/archive", {"reason": "Duplicate entry"}, PO, 200),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_it_gives_each_role_the_rights_it_has_on_the_web(api_as, api_city, role):
    client = api_as(role)
    for method, path, body, allowed, status in requests_for(api_city, api_city.priority.id):
        response = client.open(method, path, json=body)
        expected = status if role in allowed else 403
        assert response.status_code == expected, f"{role} {method} {path}: {response.get_json()}"


def test_it_keeps_contract_managers_to_their_own_contracts(api_as, api_city):
    manager = api_as("contract_manager")
    for method, path, body in (
        ("POST", f"/metrics/{api_city.other_metric.id}/readings", {"period_start": next_month(api_city.start), "value": 22}),
        ("PATCH", f"/readings/{api_city.other_reading.id}", {"value": 20, "note": "Late returns"}),
        ("POST", f"/contracts/{api_city.other_contract.id}/milestones", {"title": "Go live", "due_date": api_city.end.isoformat()}),
        ("PATCH", f"/milestones/{api_city.other_milestone.id}", {"status": "met", "completed_on": api_city.start.isoformat()}),
        ("POST", f"/flags/{api_city.other_flag.id}/resolve", {"note": "Not mine"}),
    ):
        response = manager.open(method, path, json=body)
        assert response.status_code == 403, path
        assert "on this contract" in response.get_json()["error"]["message"]


def test_it_makes_an_archived_contract_read_only(api_as, api_city):
    officer = api_as("procurement_officer")
    assert officer.post(f"/contracts/{api_city.contract.id}/archive", {"reason": "Replaced"}).status_code == 200
    for method, path, body in (
        ("PATCH", f"/contracts/{api_city.contract.id}", {"title": "Again"}),
        ("POST", f"/contracts/{api_city.contract.id}/archive", {"reason": "Twice"}),
        ("POST", f"/metrics/{api_city.metric.id}/readings", {"period_start": next_month(api_city.start), "value": 22}),
    ):
        response = officer.open(method, path, json=body)
        assert response.status_code == 403, path
        assert "archived" in response.get_json()["error"]["message"]
    assert officer.get(f"/contracts/{api_city.contract.id}").get_json()["archived_at"] is not None
