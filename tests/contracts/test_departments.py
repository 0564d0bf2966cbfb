"""Departments: found by name when a contract names one, renamed without becoming another buyer."""
import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts import services
from contracts_app.contracts.models import Contract, Department
from contracts_app.ocds.export import release_package
from tests.ocds.conftest import release_of


@pytest.fixture
def officer(client_as):
    return client_as("procurement_officer")


def departments(db):
    return db.session.scalars(select(Department.name).order_by(Department.name)).all()


def test_a_contract_naming_a_department_in_other_case_or_spacing_joins_it(factory, users, db):
    existing = factory.make_contract(department="Human Services")
    priority = factory.make_priority()
    data = {field: getattr(existing, field) for field in services.EDITABLE_FIELDS}
    data.update(reference="HS-2", department="  human   services ", vendor_id=existing.vendor_id, priority_ids=[priority.id])
    contract = services.create_contract(data, users["procurement_officer"])
    assert contract.department_id == existing.department_id and contract.department == "Human Services"
    data.update(reference="PW-1", department="Public Works")
    other = services.create_contract(data, users["procurement_officer"])
    assert other.department_id != existing.department_id
    assert departments(db) == ["Human Services", "Public Works"]


def test_renaming_a_department_renames_it_on_its_contracts_and_keeps_the_buyer(officer, factory, db, users):
    first = factory.make_contract(department="Human Services")
    second = factory.make_contract(department="Human Services")
    elsewhere = factory.make_contract(department="Public Works")
    department = db.session.get(Department, first.department_id)
    buyer_before = release_of(release_package(), first)["buyer"]

    response = officer.post(f"/departments/{department.id}/edit", data={"name": "Housing and Human Services"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/departments")

    db.session.expire_all()
    assert [db.session.get(Contract, c.id).department for c in (first, second, elsewhere)] == [
        "Housing and Human Services", "Housing and Human Services", "Public Works",
    ]
    buyer_after = release_of(release_package(), first)["buyer"]
    assert buyer_after["id"] == buyer_before["id"] == f"dept-{department.id}"
    assert buyer_after["name"].endswith(", Housing and Human Services")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "department"))
    assert (event.before["name"], event.after["name"]) == ("Human Services", "Housing and Human Services")
    assert event.actor_id == users["procurement_officer"].id
    page = officer.get("/departments").get_data(as_text=True)
    assert "Housing and Human Services" in page and "Public Works" in page
    assert officer.get("/contracts?department=Housing+and+Human+Services").status_code == 200


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("public works", "There is already a department named Public Works."),
        ("x" * 121, "Field cannot be longer than 120 characters."),
    ],
)
def test_a_bad_rename_is_refused_and_changes_nothing(officer, factory, db, name, message):
    contract = factory.make_contract(department="Human Services")
    factory.make_contract(department="Public Works")
    response = officer.post(f"/departments/{contract.department_id}/edit", data={"name": name})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert departments(db) == ["Human Services", "Public Works"]
    assert db.session.get(Contract, contract.id).department == "Human Services"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_only_procurement_officers_rename_departments(client_as, factory, db):
    contract = factory.make_contract(department="Human Services")
    for role in ("contract_manager", "cdo", "admin", "viewer"):
        client = client_as(role)
        assert client.get("/departments").status_code == 200
        assert client.post(f"/departments/{contract.department_id}/edit", data={"name": "Renamed"}).status_code == 403
    db.session.expire_all()
    assert departments(db) == ["Human Services"]


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")


def test_two_contracts_naming_the_same_new_department_at_once_share_it(postgres_only, app, db, factory, users):
    """As two officers registering at the same moment would: both saves succeed, one department."""
    from tests.concurrency import run_together

    existing = factory.make_contract(department="Human Services")
    priority = factory.make_priority()
    data = {field: getattr(existing, field) for field in services.EDITABLE_FIELDS}
    data.update(vendor_id=existing.vendor_id, priority_ids=[priority.id], department="Parks and Recreation")
    officer_id = users["procurement_officer"].id

    def register(index):
        from contracts_app.auth.models import User
        from contracts_app.extensions import db as thread_db

        officer = thread_db.session.get(User, officer_id)
        return services.create_contract(dict(data, reference=f"PK-{index}"), officer).department_id

    results, refused = run_together(app, register, runs=4)
    assert refused == [] and len(set(results)) == 1
    db.session.expire_all()
    assert departments(db) == ["Human Services", "Parks and Recreation"]
