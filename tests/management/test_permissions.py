"""Who may manage: the procurement officer and the contract's own manager write; everyone reads."""
from datetime import date, timedelta

import pytest

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn
from contracts_app.metrics.status import today_for
from tests.factories import make_action_item, make_checkin, make_flag
from tests.metrics.helpers import count


@pytest.fixture
def things(factory, contract):
    metric = factory.make_metric(contract)
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    return {
        "flag": make_flag(contract, metric),
        "pending": make_checkin(contract),
        "item": make_action_item(held),
    }


def write_requests(contract, things):
    day = (today_for(utcnow()) + timedelta(days=7)).isoformat()
    pending = things["pending"].id
    return [
        (f"/contracts/{contract.id}/checkins/new", {"scheduled_for": day, "duration_minutes": "60"}),
        (f"/checkins/{pending}/edit", {"scheduled_for": day, "duration_minutes": "60"}),
        (f"/checkins/{pending}/record", {"held_on": today_for(utcnow()).isoformat()}),
        (f"/checkins/{pending}/cancel", {"reason": "No"}),
        (f"/flags/{things['flag'].id}/resolve", {"note": "No"}),
        (f"/action-items/{things['item'].id}/status", {"status": "done"}),
    ]


@pytest.mark.parametrize("role", ["viewer", "cdo", "admin"])
def test_it_refuses_writes_by_roles_that_do_not_manage_contracts(client_as, contract, things, role):
    client = client_as(role)
    for url, data in write_requests(contract, things):
        assert client.post(url, data=data).status_code == 403, url
        if not url.endswith(("/cancel", "/resolve", "/status")):
            assert client.get(url).status_code == 403, url
    db.session.refresh(things["pending"])
    assert things["pending"].status == "scheduled"


def test_it_refuses_writes_on_another_manager_s_contract(client_as, factory, things, contract):
    stranger = factory.make_user("contract_manager")
    client = client_as("contract_manager", user=stranger)
    for url, data in write_requests(contract, things):
        assert client.post(url, data=data).status_code == 403, url


def test_it_refuses_writes_on_an_archived_contract(po, contract, things):
    contract.archived_at = utcnow()
    db.session.commit()
    for url, data in write_requests(contract, things):
        assert po.post(url, data=data).status_code == 403, url


@pytest.mark.parametrize("role", ["procurement_officer", "contract_manager"])
def test_it_lets_the_officer_and_own_manager_write(client_as, contract, things, role):
    client = client_as(role)
    assert client.get(f"/checkins/{things['pending'].id}/edit").status_code == 200
    assert client.get(f"/checkins/{things['pending'].id}/record").status_code == 200
    assert client.post(f"/flags/{things['flag'].id}/resolve", data={"note": "Handled"}).status_code == 302
    assert client.post(f"/action-items/{things['item'].id}/status", data={"status": "done"}).status_code == 302


@pytest.mark.parametrize("role", ["admin", "procurement_officer", "contract_manager", "cdo", "viewer"])
def test_it_lets_every_role_read(client_as, contract, things, role):
    client = client_as(role)
    for url in ("/flags", f"/flags/{things['flag'].id}", f"/checkins/{things['pending'].id}",
                f"/checkins/{things['pending'].id}/invite.ics", f"/contracts/{contract.id}/checkins",
                f"/contracts/{contract.id}"):
        assert client.get(url).status_code == 200, url


def test_it_sends_anonymous_visitors_to_sign_in(client, things):
    response = client.get(f"/checkins/{things['pending'].id}/invite.ics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(CheckIn) == 2
