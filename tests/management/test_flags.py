"""The flags list, a flag's page and resolving a flag by hand."""
from datetime import date, timedelta

import pytest

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management import services
from contracts_app.management.models import Flag
from tests.factories import make_checkin, make_flag
from tests.management.conftest import NOW
from tests.metrics.helpers import count
from tests.html import without_cell_labels


@pytest.fixture
def flags(factory, contract):
    """An open off-track flag (Human Services), an open overdue one, and a resolved one elsewhere."""
    metric = factory.make_metric(contract, name="Median days to placement")
    other = factory.make_contract(reference="PW-2025-002", department="Public Works")
    other_metric = factory.make_metric(other, name="Blocks swept")
    now = utcnow()
    return {
        "off_track": make_flag(contract, metric, opened_at=now - timedelta(days=5)),
        "overdue": make_flag(contract, metric, kind="overdue", period_start=date(2025, 9, 1), opened_at=now - timedelta(days=1)),
        "resolved": make_flag(other, other_metric, opened_at=now - timedelta(days=20), resolved_at=now - timedelta(days=2),
                              resolution_note="Data corrected"),
    }


def rows(response):
    return response.data.count(b'href="/flags/')


def test_it_lists_open_flags_most_severe_first(client_as, flags):
    response = client_as("viewer").get("/flags")
    assert response.status_code == 200
    body = response.data.decode()
    assert rows(response) == 2
    # The off-track flag (high) comes before the newer overdue one (medium).
    assert body.index(f'/flags/{flags["off_track"].id}"') < body.index(f'/flags/{flags["overdue"].id}"')
    assert "HS-2025-014" in body and "Median days to placement" in body and "Aug 2025" in body


def test_it_shows_the_age_of_a_flag_in_days(client_as, flags):
    response = client_as("viewer").get("/flags?kind=off_track")
    assert b'<td class="num">5</td>' in without_cell_labels(response.data)


def test_it_filters_resolved_and_all(client_as, flags):
    viewer = client_as("viewer")
    resolved = viewer.get("/flags?status=resolved")
    assert rows(resolved) == 1 and b"Data corrected" in resolved.data
    assert rows(viewer.get("/flags?status=all")) == 3


@pytest.mark.parametrize("query, expected", [
    ("kind=overdue", {"overdue"}),
    ("severity=high", {"off_track"}),
    ("department=Public+Works&status=all", {"resolved"}),
    ("department=Human+Services", {"off_track", "overdue"}),
])
def test_it_filters_flags(client_as, flags, query, expected):
    response = client_as("viewer").get(f"/flags?{query}")
    assert rows(response) == len(expected)
    for name in expected:
        assert f'/flags/{flags[name].id}"'.encode() in response.data


def test_it_filters_by_contract(client_as, flags, contract):
    response = client_as("viewer").get(f"/flags?contract={contract.id}&status=all")
    assert rows(response) == 2


def test_it_filters_my_contracts(client_as, flags, factory):
    assert rows(client_as("contract_manager").get("/flags?mine=1")) == 2
    stranger = factory.make_user("contract_manager")
    assert rows(client_as("contract_manager", user=stranger).get("/flags?mine=1")) == 0


@pytest.mark.parametrize("query", [
    "status=closed", "kind=bogus", "severity=extreme", "contract=abc", "contract=-1",
    "contract=99999999999999999999", "page=0", "page=abc", "mine=maybe", "department=" + "x" * 500,
])
def test_it_ignores_bad_filter_values_with_a_message(client_as, flags, query):
    response = client_as("viewer").get(f"/flags?{query}")
    assert response.status_code == 200
    if not query.startswith("department"):
        assert b"Ignored filter values that were not valid" in response.data


def test_it_answers_400_for_a_nul_in_a_filter(client_as, flags):
    assert client_as("viewer").get("/flags?kind=%00").status_code == 400


def test_it_paginates_the_flags_list(client_as, app, factory, contract):
    app.config["PER_PAGE"] = 2
    metric = factory.make_metric(contract)
    for month in range(7, 12):
        make_flag(contract, metric, period_start=date(2025, month, 1))
    response = client_as("viewer").get("/flags?page=3")
    assert rows(response) == 1
    assert b"Page 3 of 3" in response.data


def test_it_shows_a_flag_and_the_check_ins_that_discussed_it(client_as, flags, contract):
    flag = flags["off_track"]
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    held.flags.append(flag)
    db.session.commit()
    response = client_as("viewer").get(f"/flags/{flag.id}")
    assert response.status_code == 200
    assert f'/checkins/{held.id}"'.encode() in response.data
    assert b"Resolve by hand" not in response.data


def test_it_offers_resolve_by_hand_to_the_manager(cm, flags):
    assert b"Resolve by hand" in cm.get(f"/flags/{flags['off_track'].id}").data


def test_it_resolves_a_flag_by_hand_with_a_note(cm, flags, manager):
    flag = flags["off_track"]
    response = cm.post(f"/flags/{flag.id}/resolve", data={"note": "Vendor corrected the August count"})
    assert response.status_code == 302
    db.session.refresh(flag)
    assert flag.resolved_at is not None
    assert flag.resolved_by_id == manager.id
    assert flag.resolution_note == "Vendor corrected the August count"


def test_it_audits_resolving_a_flag(cm, flags, contract):
    cm.post(f"/flags/{flags['off_track'].id}/resolve", data={"note": "Corrected"})
    event = db.session.scalar(db.select(AuditEvent))
    assert (event.entity_type, event.action, event.contract_id) == ("flag", "update", contract.id)
    assert event.before["resolved_at"] is None and event.after["resolution_note"] == "Corrected"


@pytest.mark.parametrize("note", ["", "   ", "x" * 2001])
def test_it_requires_a_resolution_note(cm, flags, note):
    flag = flags["off_track"]
    response = cm.post(f"/flags/{flag.id}/resolve", data={"note": note})
    assert response.status_code == 200
    assert b"Say why the flag is resolved." in response.data or b"2000" in response.data
    db.session.refresh(flag)
    assert flag.resolved_at is None
    assert count(AuditEvent) == 0


def test_it_says_already_resolved_and_changes_nothing(cm, flags):
    flag = flags["off_track"]
    cm.post(f"/flags/{flag.id}/resolve", data={"note": "First"})
    response = cm.post(f"/flags/{flag.id}/resolve", data={"note": "Second"}, follow_redirects=True)
    assert b"already resolved" in response.data
    db.session.refresh(flag)
    assert flag.resolution_note == "First"
    assert count(AuditEvent) == 1


def test_the_service_returns_false_when_the_sweep_resolved_it_first(app, flags, manager):
    flag = flags["off_track"]
    # The sweep resolves it after we loaded it: the conditional UPDATE changes no row.
    from sqlalchemy.orm import Session

    with Session(db.engine) as sweep:
        sweep.execute(db.update(Flag).where(Flag.id == flag.id).values(resolved_at=NOW))
        sweep.commit()
    assert services.resolve_flag(flag, manager, "By hand", now=NOW) is False
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).resolution_note is None
    assert count(AuditEvent) == 0


def test_it_answers_404_for_an_unknown_flag(cm):
    assert cm.get("/flags/424242").status_code == 404
    assert cm.post("/flags/424242/resolve", data={"note": "x"}).status_code == 404


def test_it_lists_flags_of_one_severity_longest_open_first(client_as, factory, flags):
    contract = factory.make_contract(reference="HS-2025-020")
    metric = factory.make_metric(contract)
    now = utcnow()
    older = make_flag(contract, metric, kind="overdue", period_start=date(2025, 10, 1), opened_at=now - timedelta(days=9))
    body = client_as("viewer").get("/flags").data.decode()
    assert body.index(f'/flags/{older.id}"') < body.index(f'/flags/{flags["overdue"].id}"')
