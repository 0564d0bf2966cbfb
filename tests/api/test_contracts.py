"""The register through the API: list with filters and pagination, create, change, archive;
priorities and vendors. Writes go through the contract services (validation, audit)."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.extensions import db
from tests.querycount import count_queries


def new_contract(priority_id, **changes):
    body = {
        "reference": "PW-2026-001", "title": "Street lighting retrofit", "department": "Public Works",
        "new_vendor_name": "Lumen Co", "value": "1250000.50", "start_date": "2025-01-01", "end_date": "2026-12-31",
        "payment_structure": "performance_based", "payment_terms": "5% held back until outages fall",
        "problem": "Dark streets", "outcomes": "Fewer outages", "priority_ids": [priority_id],
    }
    body.update(changes)
    return body


def test_it_lists_contracts_with_filters_and_pagination(api_as, factory, users):
    safety, housing = factory.make_priority(name="Safety"), factory.make_priority(name="Housing")
    for n in range(5):
        factory.make_contract(
            reference=f"HS-{n}", priorities=[housing], department="Human Services",
            status="active" if n < 3 else "draft", health="off_track" if n == 0 else "no_data",
            contract_manager_id=users["contract_manager"].id,
        )
    factory.make_contract(reference="PW-1", priorities=[safety], department="Public Works")
    factory.make_contract(reference="PW-OLD", priorities=[safety], department="Public Works", archived_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    viewer = api_as("viewer")

    page = viewer.get("/contracts?per_page=2&page=2").get_json()
    assert [c["reference"] for c in page["items"]] == ["HS-2", "HS-3"]
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (2, 2, 6, 3)
    first = viewer.get("/contracts?per_page=1").get_json()["items"][0]
    assert first["vendor"]["name"] and first["priorities"] == [{"id": housing.id, "name": "Housing"}]
    assert first["contract_manager"] == {"id": users["contract_manager"].id, "name": users["contract_manager"].name}
    assert first["value"] == "100000"

    def references(query):
        return [c["reference"] for c in viewer.get("/contracts?" + query).get_json()["items"]]

    assert references(f"priority={safety.id}") == ["PW-1"]
    assert references("status=draft") == ["HS-3", "HS-4"]
    assert references("department=Public+Works") == ["PW-1"]
    assert references("health=off_track") == ["HS-0"]
    assert references("archived=only") == ["PW-OLD"]
    assert references("q=pw&archived=all&sort=reference&dir=desc") == ["PW-OLD", "PW-1"]
    assert viewer.get("/contracts").get_json()["per_page"] == 50


def test_it_lists_contracts_in_a_fixed_number_of_queries(api_as, factory, users):
    viewer = api_as("viewer")
    priorities = [factory.make_priority() for _ in range(3)]

    def add(count):
        for _ in range(count):
            factory.make_contract(priorities=priorities, contract_manager_id=users["contract_manager"].id,
                                  procurement_officer_id=users["procurement_officer"].id)

    def queries():
        db.session.expire_all()
        with count_queries() as counter:
            assert viewer.get("/contracts?per_page=100").status_code == 200
        return counter.count

    add(2)
    viewer.get("/contracts")  # the token's first use records last_used_at once
    small = queries()
    add(25)
    assert queries() == small


def test_it_creates_a_contract_as_the_tokens_user(api_as, factory, users):
    priority = factory.make_priority()
    officer = users["procurement_officer"]
    response = api_as("procurement_officer").post("/contracts", new_contract(priority.id))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["reference"], body["value"], body["status"], body["currency"]) == ("PW-2026-001", "1250000.5", "active", "USD")
    assert body["vendor"]["name"] == "Lumen Co"
    assert body["procurement_officer"] == {"id": officer.id, "name": officer.name}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "contract"))
    assert (event.action, event.actor_id) == ("create", officer.id)


def test_it_names_the_field_a_service_refuses(api_as, factory, users):
    """422 for a request wrong whatever is stored; 409 for one that what is stored refuses (a
    reference in use, an id naming no row or a user without the role): issue 12."""
    priority = factory.make_priority()
    officer = api_as("procurement_officer")
    factory.make_contract(reference="TAKEN-1")
    vendor = factory.make_vendor()
    for changes, field, status, code in (
        ({"reference": "taken-1"}, "reference", 409, "already_used"),
        ({"end_date": "2024-12-31"}, "end_date", 422, "validation_failed"),
        ({"priority_ids": [priority.id, 2_000_000]}, "priority_ids", 409, "unknown_row"),
        ({"priority_ids": []}, "priority_ids", 422, "validation_failed"),
        ({"new_vendor_name": None, "vendor_id": 2_000_000}, "vendor_id", 409, "unknown_row"),
        ({"vendor_id": vendor.id}, "new_vendor_name", 422, "validation_failed"),
        ({"contract_manager_id": users["viewer"].id}, "contract_manager_id", 409, "unknown_row"),
        ({"reference": "no spaces"}, "reference", 422, "validation_failed"),
        ({"currency": "dollars"}, "currency", 422, "validation_failed"),
        ({"currency": "XYZ"}, "currency", 422, "validation_failed"),
        ({"end_date": "9999-12-31"}, "end_date", 422, "validation_failed"),
    ):
        body = {k: v for k, v in new_contract(priority.id, **changes).items() if v is not None}
        response = officer.post("/contracts", body)
        assert response.status_code == status, changes
        error = response.get_json()["error"]
        assert field in error["fields"] and error["code"] == code, (changes, error)
    assert db.session.scalar(select(Contract).where(Contract.reference == "PW-2026-001")) is None


def test_it_changes_only_the_fields_given(api_as, factory, users):
    contract = factory.make_contract(reference="HS-9", title="Outreach", priorities=[factory.make_priority()])
    officer = api_as("procurement_officer")
    response = officer.patch(f"/contracts/{contract.id}", {"title": "Street outreach", "new_vendor_name": "Harbor Light"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["title"], body["reference"], body["vendor"]["name"]) == ("Street outreach", "HS-9", "Harbor Light")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_type == "contract"))
    assert event.actor_id == users["procurement_officer"].id
    assert event.before["title"] == "Outreach" and event.after["title"] == "Street outreach"
    # An end before the stored start: the stored value refuses it (409); both given, the request
    # itself is wrong (422).
    response = officer.patch(f"/contracts/{contract.id}", {"end_date": "2020-01-01"})
    assert response.status_code == 409 and "end_date" in response.get_json()["error"]["fields"]
    assert "start_date keeps its stored value" in response.get_json()["error"]["message"]
    response = officer.patch(f"/contracts/{contract.id}", {"start_date": "2021-01-01", "end_date": "2020-01-01"})
    assert response.status_code == 422 and "end_date" in response.get_json()["error"]["fields"]


def test_it_archives_a_contract_with_a_reason(api_as, factory, users):
    contract = factory.make_contract()
    officer = api_as("procurement_officer")
    response = officer.post(f"/contracts/{contract.id}/archive", {"reason": "  "})
    assert response.status_code == 422 and "reason" in response.get_json()["error"]["fields"]
    response = officer.post(f"/contracts/{contract.id}/archive", {"reason": "Entered twice"})
    assert response.status_code == 200 and response.get_json()["archived_at"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive"))
    assert event.after["reason"] == "Entered twice" and event.actor_id == users["procurement_officer"].id


def test_it_lists_priorities_and_vendors(api_as, factory, users):
    priority = factory.make_priority(name="Housing", target_year=2030, owner=users["cdo"])
    contract = factory.make_contract(priorities=[priority])
    viewer = api_as("viewer")
    (item,) = viewer.get("/priorities").get_json()["items"]
    assert (item["name"], item["target_year"], item["contract_count"]) == ("Housing", 2030, 1)
    assert item["owner"] == {"id": users["cdo"].id, "name": users["cdo"].name}
    (vendor,) = viewer.get("/vendors").get_json()["items"]
    assert (vendor["id"], vendor["contract_count"], vendor["total_value"]) == (contract.vendor_id, 1, "100000")
    assert viewer.get(f"/vendors/{contract.vendor_id}").get_json() == vendor
    assert viewer.get(f"/priorities/{priority.id}").get_json() == item
    assert viewer.get("/priorities/999").status_code == 404


def test_a_new_vendor_name_with_capital_accents_names_the_same_vendor_again(api_as, factory):
    """SQLite's lower() leaves "Ì" as it is: the second request found no vendor by lower() and
    inserted the name again, a 500 on the unique name (found by schemathesis, issue 12)."""
    contract = factory.make_contract(priorities=[factory.make_priority()])
    officer = api_as("procurement_officer")
    first = officer.patch(f"/contracts/{contract.id}", {"new_vendor_name": "Ìsla Ünited"})
    assert first.status_code == 200
    second = officer.patch(f"/contracts/{contract.id}", {"new_vendor_name": "Ìsla Ünited"})
    assert second.status_code == 200
    assert second.get_json()["vendor"]["id"] == first.get_json()["vendor"]["id"]
    assert db.session.scalar(select(func.count()).select_from(Vendor).where(Vendor.name == "Ìsla Ünited")) == 1
