"""Updating the status of an action item."""
from datetime import date

import pytest

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management import services
from contracts_app.metrics.status import today_for
from tests.factories import make_action_item, make_checkin
from tests.management.conftest import NOW
from tests.metrics.helpers import count


@pytest.fixture
def item(contract):
    return make_action_item(make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16)))


def test_it_marks_an_action_item_done_on_the_city_s_today(cm, item):
    response = cm.post(f"/action-items/{item.id}/status", data={"status": "done"})
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status == "done"
    assert item.completed_on == today_for(utcnow())


def test_it_uses_the_city_date_not_the_utc_date(app, item, manager):
    # 03:00 UTC on 21 Jan is still 20 Jan in Chicago.
    from datetime import datetime, timezone

    services.set_action_item_status(item, manager, "done", now=datetime(2026, 1, 21, 3, tzinfo=timezone.utc))
    assert item.completed_on == date(2026, 1, 20)


def test_it_reopens_and_drops_an_action_item(app, item, manager):
    services.set_action_item_status(item, manager, "done", now=NOW)
    services.set_action_item_status(item, manager, "open", now=NOW)
    assert (item.status, item.completed_on) == ("open", None)
    services.set_action_item_status(item, manager, "dropped", now=NOW)
    assert item.status == "dropped"


def test_it_audits_a_status_change(cm, item, contract):
    cm.post(f"/action-items/{item.id}/status", data={"status": "dropped"})
    event = db.session.scalar(db.select(AuditEvent))
    assert (event.entity_type, event.contract_id, event.after["status"]) == ("actionitem", contract.id, "dropped")


@pytest.mark.parametrize("value", ["finished", "", "\u00e9"])
def test_it_refuses_an_unknown_status(cm, item, value):
    response = cm.post(f"/action-items/{item.id}/status", data={"status": value}, follow_redirects=True)
    assert response.status_code == 200
    db.session.refresh(item)
    assert item.status == "open"
    assert count(AuditEvent) == 0


def test_it_returns_to_a_same_site_page_only(cm, item):
    assert cm.post(f"/action-items/{item.id}/status", data={"status": "done", "next": "/contracts/1"}).headers["Location"] == "/contracts/1"
    response = cm.post(f"/action-items/{item.id}/status", data={"status": "open", "next": "//evil.example/"})
    assert "evil" not in response.headers["Location"]


def test_it_answers_404_for_an_unknown_action_item(cm):
    assert cm.post("/action-items/31337/status", data={"status": "done"}).status_code == 404
