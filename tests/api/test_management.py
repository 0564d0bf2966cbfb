"""Flags, check-ins and the portfolio roll-up through the API."""
from datetime import timedelta

from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from tests.factories import make_action_item, make_checkin, make_flag
from tests.querycount import count_queries


def test_it_lists_flags_by_status_and_contract(api_as, api_city):
    resolved = make_flag(api_city.contract, milestone=api_city.milestone, kind="milestone_missed", period_start=api_city.end,
                         resolved_at=utcnow())
    viewer = api_as("viewer")

    def ids(query):
        return [f["id"] for f in viewer.get("/flags?" + query).get_json()["items"]]

    assert set(ids("")) == {api_city.flag.id, api_city.other_flag.id, resolved.id}
    assert set(ids("status=open")) == {api_city.flag.id, api_city.other_flag.id}
    assert ids("status=resolved") == [resolved.id]
    assert set(ids(f"contract={api_city.contract.id}")) == {api_city.flag.id, resolved.id}
    assert ids(f"status=open&contract={api_city.contract.id}&kind=off_track&severity=high") == [api_city.flag.id]
    flag = viewer.get(f"/flags/{api_city.flag.id}").get_json()
    assert (flag["kind"], flag["subject"], flag["contract"]["reference"]) == ("off_track", api_city.metric.name, api_city.contract.reference)
    assert viewer.get(f"/flags/{resolved.id}").get_json()["subject"] == api_city.milestone.title


def test_it_lists_flags_and_checkins_in_a_fixed_number_of_queries(api_as, api_city, factory):
    viewer = api_as("viewer")
    viewer.get("/flags")  # the token's first use records last_used_at once

    def queries(path):
        db.session.expire_all()
        with count_queries() as counter:
            assert viewer.get(path).status_code == 200
        return counter.count

    small = {path: queries(path) for path in ("/flags", "/checkins")}
    for _ in range(8):
        contract = factory.make_contract()
        metric = factory.make_metric(contract)
        milestone = factory.make_milestone(contract)
        make_flag(contract, metric=metric)
        make_flag(contract, milestone=milestone, kind="milestone_missed", resolved_at=utcnow())
        checkin = make_checkin(contract, status="held")
        lapse = make_flag(contract, kind="no_checkin")
        checkin.flags.append(lapse)
        make_action_item(checkin)
    db.session.commit()
    assert {path: queries(path) for path in small} == small
    assert viewer.get("/flags").get_json()["total"] == 26


def test_it_resolves_a_flag_once(api_as, api_city, users):
    manager = api_as("contract_manager")
    url = f"/flags/{api_city.flag.id}/resolve"
    assert "note" in manager.post(url, {"note": ""}).get_json()["error"]["fields"]
    response = manager.post(url, {"note": "Vendor hired two caseworkers"})
    assert response.status_code == 200
    flag = response.get_json()
    assert flag["resolved_at"] and flag["resolved_by"]["id"] == users["contract_manager"].id
    assert flag["resolution_note"] == "Vendor hired two caseworkers"
    again = manager.post(url, {"note": "Again"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_resolved"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "flag"))
    assert event.actor_id == users["contract_manager"].id


def test_it_lists_checkins_by_contract_and_status(api_as, api_city):
    pending = make_checkin(api_city.contract, status="scheduled", scheduled_for=api_city.today + timedelta(days=7))
    api_city.checkin.flags.append(api_city.flag)
    db.session.commit()
    viewer = api_as("viewer")
    items = viewer.get(f"/checkins?contract={api_city.contract.id}").get_json()["items"]
    assert [c["id"] for c in items] == [pending.id, api_city.checkin.id]
    held = viewer.get(f"/checkins?contract={api_city.contract.id}&status=held").get_json()["items"]
    assert [c["id"] for c in held] == [api_city.checkin.id]
    assert held[0]["flag_ids"] == [api_city.flag.id]
    assert held[0]["action_items"][0]["owner"] == "Harbor Light"
    assert viewer.get("/checkins?status=cancelled").get_json()["total"] == 0


def test_it_rolls_the_portfolio_up_per_priority(api_as, api_city, factory):
    other = factory.make_priority(name="Parks")
    factory.make_contract(priorities=[other], health="on_track", department="Parks")
    factory.make_contract(priorities=[other], health="off_track", status="draft")  # not in the strategic portfolio
    body = api_as("cdo").get("/portfolio").get_json()
    assert body["totals"]["total"] == 3
    assert body["open_flags"] == {"high": 2, "medium": 0, "low": 0}
    cards = {card["name"]: card for card in body["priorities"]}
    assert cards["Parks"]["total"] == 1 and cards["Parks"]["counts"]["on_track"] == 1
    assert cards["Parks"]["shares"]["on_track"] == "100"
    assert cards["Vision Zero"]["total"] == 2
    parks = api_as("viewer").get("/portfolio?department=Parks").get_json()
    assert parks["totals"]["total"] == 1 and parks["open_flags"]["high"] == 0
