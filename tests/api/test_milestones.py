"""Milestones through the API."""
from datetime import timedelta


def test_it_adds_and_updates_milestones(api_as, api_city):
    manager = api_as("contract_manager")
    url = f"/contracts/{api_city.contract.id}/milestones"
    response = manager.post(url, {"title": "Intake centre open", "due_date": api_city.start.isoformat()})
    assert response.status_code == 201
    milestone = response.get_json()
    assert (milestone["status"], milestone["completed_on"]) == ("scheduled", None)
    assert [m["title"] for m in manager.get(url).get_json()["items"]][0] == "Intake centre open"

    path = f"/milestones/{milestone['id']}"
    # Met, with no completion date given and none stored: the stored value refuses it (409, issue 12).
    response = manager.patch(path, {"status": "met"})
    assert response.status_code == 409 and "completed_on" in response.get_json()["error"]["fields"]
    response = manager.patch(path, {"status": "met", "completed_on": None})
    assert response.status_code == 422 and "completed_on" in response.get_json()["error"]["fields"]
    future = (api_city.today + timedelta(days=2)).isoformat()
    assert "completed_on" in manager.patch(path, {"status": "met", "completed_on": future}).get_json()["error"]["fields"]
    response = manager.patch(path, {"status": "met", "completed_on": api_city.start.isoformat()})
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["title"]) == ("met", "Intake centre open")
