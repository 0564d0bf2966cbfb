"""Recording a check-in as held: flags discussed, action items, one transaction."""
from datetime import timedelta

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import ActionItem, CheckIn
from contracts_app.metrics.status import today_for
from tests.factories import make_checkin, make_flag
from tests.metrics.helpers import count


def today():
    return today_for(utcnow())


def record_form(**overrides):
    data = {
        "held_on": today().isoformat(),
        "city_attendees": "Ben",
        "vendor_attendees": "Program director",
        "notes": "Intake staff turned over in August.",
        "decisions": "Vendor adds a second intake worker by 1 November.",
        "action_items-0-description": "Hire a second intake worker",
        "action_items-0-owner": "Harbor Light",
        "action_items-0-due_date": (today() + timedelta(days=14)).isoformat(),
        "action_items-1-description": "Send September placements",
        "action_items-1-owner": "Ben",
        "action_items-1-due_date": (today() + timedelta(days=3)).isoformat(),
        "action_items-2-description": "",
        "action_items-2-owner": "",
        "action_items-2-due_date": "",
    }
    data.update(overrides)
    return data


def test_it_records_a_check_in_as_held(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form())
    assert response.status_code == 302
    db.session.refresh(checkin)
    assert checkin.status == "held"
    assert checkin.held_on == today()
    assert checkin.pending_contract_id is None
    assert checkin.decisions == "Vendor adds a second intake worker by 1 November."


def test_it_creates_the_action_items_and_ignores_empty_rows(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    cm.post(f"/checkins/{checkin.id}/record", data=record_form())
    items = db.session.scalars(db.select(ActionItem).order_by(ActionItem.id)).all()
    assert [(i.owner, i.status, i.contract_id) for i in items] == [
        ("Harbor Light", "open", recent_contract.id), ("Ben", "open", recent_contract.id),
    ]


def test_it_links_the_flags_discussed(cm, factory, recent_contract):
    metric = factory.make_metric(recent_contract)
    discussed = make_flag(recent_contract, metric, period_start=recent_contract.start_date)
    make_flag(recent_contract, metric, kind="overdue", period_start=recent_contract.start_date)
    checkin = make_checkin(recent_contract, scheduled_for=today())
    cm.post(f"/checkins/{checkin.id}/record", data=record_form(flag_ids=[str(discussed.id)]))
    db.session.refresh(checkin)
    assert [f.id for f in checkin.flags] == [discussed.id]


def test_it_offers_the_open_and_new_flags_as_checkboxes(cm, factory, recent_contract):
    metric = factory.make_metric(recent_contract)
    flag = make_flag(recent_contract, metric, period_start=recent_contract.start_date)
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.get(f"/checkins/{checkin.id}/record")
    assert response.status_code == 200
    assert f'type="checkbox" value="{flag.id}"'.encode() in response.data or f'value="{flag.id}"'.encode() in response.data
    assert response.data.count(b'name="action_items-') == 15  # five blank rows of three fields


def test_it_refuses_a_flag_of_another_contract(cm, factory, recent_contract):
    other = factory.make_contract()
    foreign = make_flag(other, factory.make_metric(other))
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form(flag_ids=[str(foreign.id)]))
    assert response.status_code == 200
    db.session.refresh(checkin)
    assert checkin.status == "scheduled" and checkin.flags == []


def test_it_refuses_a_held_date_in_the_future_and_writes_nothing(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record",
                       data=record_form(held_on=(today() + timedelta(days=1)).isoformat()))
    assert response.status_code == 200
    assert b"cannot be recorded as held in the future" in response.data
    db.session.refresh(checkin)
    assert checkin.status == "scheduled" and checkin.pending_contract_id == recent_contract.id
    assert count(ActionItem) == 0 and count(AuditEvent) == 0


def test_it_marks_a_half_filled_action_row_and_writes_nothing(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form(**{
        "action_items-2-description": "Check the intake log", "action_items-2-owner": "",
    }))
    assert response.status_code == 200
    assert b"Say who does it." in response.data
    assert b"Give a due date." in response.data
    db.session.refresh(checkin)
    assert checkin.status == "scheduled"
    assert count(ActionItem) == 0 and count(AuditEvent) == 0


def test_it_refuses_a_bad_action_item_date(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form(**{"action_items-0-due_date": "soon"}))
    assert response.status_code == 200
    assert b"Enter a date as YYYY-MM-DD" in response.data
    assert count(ActionItem) == 0


def test_it_refuses_a_bad_held_on_date(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form(held_on="31/12/2025"))
    assert b"Enter a date as YYYY-MM-DD" in response.data
    assert count(ActionItem) == 0


def test_it_refuses_a_flag_id_that_is_not_a_number(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form(flag_ids=["abc"]))
    assert response.status_code == 200
    db.session.refresh(checkin)
    assert checkin.status == "scheduled"


def test_it_audits_the_record_with_the_contract(cm, recent_contract):
    checkin = make_checkin(recent_contract, scheduled_for=today())
    cm.post(f"/checkins/{checkin.id}/record", data=record_form())
    events = db.session.scalars(db.select(AuditEvent)).all()
    assert {(e.entity_type, e.action) for e in events} == {("checkin", "update"), ("actionitem", "create")}
    assert all(e.contract_id == recent_contract.id for e in events)


def test_it_refuses_to_record_a_check_in_twice(cm, recent_contract):
    checkin = make_checkin(recent_contract, status="held", scheduled_for=today())
    response = cm.post(f"/checkins/{checkin.id}/record", data=record_form())
    assert response.status_code == 302
    assert count(ActionItem) == 0


def test_it_refuses_to_record_when_someone_else_recorded_it_meanwhile(app, recent_contract, manager):
    import pytest

    from contracts_app.management import services

    checkin = make_checkin(recent_contract, scheduled_for=today())
    assert checkin.status == "scheduled"  # our view, read before the other request wrote
    # Another request (its own connection) records it between our read and our write.
    from sqlalchemy.orm import Session

    with Session(db.engine) as other:
        other.execute(db.update(CheckIn).where(CheckIn.id == checkin.id).values(status="held", pending_contract_id=None))
        other.commit()
    with pytest.raises(services.ManagementError):
        services.record_checkin(checkin, manager, {"held_on": today(), "action_items": [
            {"description": "x", "owner": "y", "due_date": today()}]})
    assert count(ActionItem) == 0
