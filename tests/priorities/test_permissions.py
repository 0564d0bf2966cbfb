"""Who may create and edit priorities: admin, cdo and procurement officers; everyone reads."""
import pytest

from contracts_app.audit.models import AuditEvent
from contracts_app.priorities.models import Priority

EDITORS = ["admin", "cdo", "procurement_officer"]
READERS = ["viewer", "contract_manager"]


@pytest.mark.parametrize("role", EDITORS + READERS)
def test_it_lets_every_role_read_the_priorities(client_as, factory, role):
    priority = factory.make_priority()
    client = client_as(role)

    assert client.get("/priorities").status_code == 200
    assert client.get(f"/priorities/{priority.id}").status_code == 200


@pytest.mark.parametrize("role", EDITORS)
def test_it_lets_editors_open_the_forms(client_as, factory, role):
    priority = factory.make_priority()
    client = client_as(role)

    assert client.get("/priorities/new").status_code == 200
    assert client.get(f"/priorities/{priority.id}/edit").status_code == 200


@pytest.mark.parametrize("role", EDITORS)
def test_it_lets_editors_create_and_edit(client_as, db, factory, role):
    priority = factory.make_priority(outcome="Old")
    client = client_as(role)

    created = client.post("/priorities/new", data={"name": f"New by {role}", "outcome": "x", "owner_id": "0"})
    edited = client.post(f"/priorities/{priority.id}/edit", data={"name": priority.name, "outcome": "New", "owner_id": "0"})

    db.session.refresh(priority)
    assert (created.status_code, edited.status_code) == (302, 302)
    assert priority.outcome == "New"


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_forbids_other_roles_to_create(client_as, db, role, method):
    response = getattr(client_as(role), method)("/priorities/new", data={"name": "Sneaky", "outcome": "x", "owner_id": "0"})

    assert response.status_code == 403
    assert db.session.query(Priority).count() == 0


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_forbids_other_roles_to_edit(client_as, db, factory, role, method):
    priority = factory.make_priority(name="Untouched", outcome="Old")

    response = getattr(client_as(role), method)(
        f"/priorities/{priority.id}/edit", data={"name": "Changed", "outcome": "New", "owner_id": "0"}
    )

    db.session.refresh(priority)
    assert response.status_code == 403
    assert (priority.name, priority.outcome) == ("Untouched", "Old")
    assert db.session.query(AuditEvent).count() == 0


@pytest.mark.parametrize("role, shown", [("cdo", True), ("viewer", False)])
def test_it_shows_the_new_button_only_to_editors(client_as, role, shown):
    page = client_as(role).get("/priorities").get_data(as_text=True)

    assert ('href="/priorities/new"' in page) is shown
