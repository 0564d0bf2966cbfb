"""Every route, every role: the expected status code. A new route without an entry here fails."""
from datetime import date

import pytest

from tests.conftest import ROLES

ALL = set(ROLES)
PO = {"procurement_officer"}
PO_AND_OWN_CM = {"procurement_officer", "contract_manager"}
PRIORITY_EDITORS = {"admin", "cdo", "procurement_officer"}
ADMIN = {"admin"}

# endpoint -> (url template, roles allowed to GET it). None: POST-only, GET answers 405.
MATRIX = {
    "main.index": ("/", "redirect"),
    "auth.login": ("/login", "redirect"),
    "auth.logout": ("/logout", None),
    "auth.users": ("/users", ADMIN),
    "auth.new_user": ("/users/new", ADMIN),
    "auth.edit_user": ("/users/{user}/edit", ADMIN),
    "audit.index": ("/audit", ADMIN),
    "priorities.index": ("/priorities", ALL),
    "priorities.detail": ("/priorities/{priority}", ALL),
    "priorities.new": ("/priorities/new", PRIORITY_EDITORS),
    "priorities.edit": ("/priorities/{priority}/edit", PRIORITY_EDITORS),
    "contracts.index": ("/contracts", ALL),
    "contracts.detail": ("/contracts/{contract}", ALL),
    "contracts.new": ("/contracts/new", PO),
    "contracts.edit": ("/contracts/{contract}/edit", PO),
    "contracts.archive": ("/contracts/{contract}/archive", PO),
    "contracts.restore": ("/contracts/{contract}/restore", None),
    "contracts.vendors": ("/vendors", ALL),
    "contracts.vendor_detail": ("/vendors/{vendor}", ALL),
    "contracts.vendor_edit": ("/vendors/{vendor}/edit", PO),
    "metrics.new": ("/contracts/{contract}/metrics/new", PO),
    "metrics.detail": ("/metrics/{metric}", ALL),
    "metrics.edit": ("/metrics/{metric}/edit", PO),
    "metrics.targets": ("/metrics/{metric}/targets", PO),
    "metrics.new_reading": ("/metrics/{metric}/readings/new", PO_AND_OWN_CM),
    "metrics.edit_reading": ("/readings/{reading}/edit", PO_AND_OWN_CM),
    "milestones.new": ("/contracts/{contract}/milestones/new", PO_AND_OWN_CM),
    "milestones.edit": ("/milestones/{milestone}/edit", PO_AND_OWN_CM),
}

# Write endpoints: a POST by a role not allowed must be refused before anything is read.
WRITES = {
    endpoint: spec for endpoint, spec in MATRIX.items()
    if spec[1] not in (ALL, "redirect") and endpoint not in ("auth.logout", "auth.users", "audit.index")
}


@pytest.fixture
def ids(factory, users):
    priority = factory.make_priority()
    contract = factory.make_contract(priorities=[priority], contract_manager_id=users["contract_manager"].id)
    metric = factory.make_metric(contract)
    reading = factory.make_reading(metric, date(2025, 8, 1), 21)
    milestone = factory.make_milestone(contract)
    return {
        "user": users["viewer"].id, "priority": priority.id, "contract": contract.id, "vendor": contract.vendor_id,
        "metric": metric.id, "reading": reading.id, "milestone": milestone.id,
    }


def test_it_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(MATRIX)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_it_sends_anonymous_users_to_sign_in(client, ids, endpoint):
    url, allowed = MATRIX[endpoint]
    response = client.get(url.format(**ids))
    if endpoint == "auth.login":
        assert response.status_code == 200
    elif allowed is None:
        assert response.status_code in (302, 405)
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_it_gives_each_role_the_expected_status(client_as, ids, role, endpoint):
    url, allowed = MATRIX[endpoint]
    response = client_as(role).get(url.format(**ids))
    if allowed == "redirect":
        expected = 302
    elif allowed is None:
        expected = 405
    else:
        expected = 200 if role in allowed else 403
    assert response.status_code == expected, f"{role} GET {url}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(WRITES))
def test_it_refuses_writes_by_roles_not_allowed(client_as, ids, role, endpoint):
    url, allowed = WRITES[endpoint]
    allowed = allowed or PO
    response = client_as(role).post(url.format(**ids), data={})
    if role in allowed:
        assert response.status_code in (200, 302, 400), f"{role} POST {url}"
    else:
        assert response.status_code == 403, f"{role} POST {url}"


def test_it_keeps_a_contract_manager_off_other_managers_contracts(client_as, factory, users):
    other_manager = factory.make_user("contract_manager")
    contract = factory.make_contract(contract_manager_id=other_manager.id)
    metric = factory.make_metric(contract)
    reading = factory.make_reading(metric, date(2025, 8, 1), 21)
    milestone = factory.make_milestone(contract)
    manager = client_as("contract_manager")
    for url in (
        f"/metrics/{metric.id}/readings/new",
        f"/readings/{reading.id}/edit",
        f"/contracts/{contract.id}/milestones/new",
        f"/milestones/{milestone.id}/edit",
    ):
        assert manager.get(url).status_code == 403, url
        assert manager.post(url, data={}).status_code == 403, url
    # The contract's own manager may.
    assert client_as("contract_manager", user=other_manager).get(f"/metrics/{metric.id}/readings/new").status_code == 200


def test_it_refuses_any_write_on_an_archived_contract(client_as, factory, users):
    from contracts_app.db_types import utcnow
    from contracts_app.extensions import db

    contract = factory.make_contract(contract_manager_id=users["contract_manager"].id)
    metric = factory.make_metric(contract)
    contract.archived_at = utcnow()
    db.session.commit()
    officer = client_as("procurement_officer")
    for url in (f"/contracts/{contract.id}/edit", f"/contracts/{contract.id}/metrics/new",
                f"/metrics/{metric.id}/readings/new", f"/contracts/{contract.id}/milestones/new"):
        assert officer.get(url).status_code == 403, url
