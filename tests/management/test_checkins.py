"""Scheduling, changing and cancelling check-ins."""
from datetime import date, time, timedelta

import pytest

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management import services
from contracts_app.management.models import CheckIn
from contracts_app.metrics.status import today_for
from tests.factories import make_checkin
from tests.management.conftest import NOW
from tests.metrics.helpers import count


def form(**overrides):
    data = {
        "scheduled_for": (today_for(utcnow()) + timedelta(days=7)).isoformat(),
        "start_time": "14:30",
        "duration_minutes": "60",
        "location": "City Hall, room 4",
        "city_attendees": "Ben (contract manager)",
        "vendor_attendees": "Program director",
    }
    data.update(overrides)
    return data


def test_it_schedules_a_check_in(cm, contract):
    response = cm.post(f"/contracts/{contract.id}/checkins/new", data=form())
    assert response.status_code == 302
    checkin = db.session.scalar(db.select(CheckIn))
    assert checkin.status == "scheduled"
    assert checkin.pending_contract_id == contract.id
    assert checkin.start_time == time(14, 30)
    assert checkin.location == "City Hall, room 4"
    assert response.headers["Location"].endswith(f"/checkins/{checkin.id}")


def test_it_audits_scheduling_with_the_contract(cm, contract):
    cm.post(f"/contracts/{contract.id}/checkins/new", data=form())
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_type == "checkin"))
    assert event.action == "create"
    assert event.contract_id == contract.id


def test_it_refuses_a_second_pending_check_in_with_a_link_to_the_first(cm, contract):
    first = make_checkin(contract, status="proposed")
    response = cm.post(f"/contracts/{contract.id}/checkins/new", data=form())
    assert response.status_code == 200
    assert b"already has a pending check-in" in response.data
    assert f'href="/checkins/{first.id}"'.encode() in response.data
    assert count(CheckIn) == 1


def test_it_shows_the_pending_check_in_instead_of_the_form(cm, contract):
    first = make_checkin(contract)
    response = cm.get(f"/contracts/{contract.id}/checkins/new")
    assert f'href="/checkins/{first.id}"'.encode() in response.data
    assert b'name="scheduled_for"' not in response.data


def test_it_refuses_a_second_pending_check_in_in_the_service_even_past_the_first_look(app, contract, manager):
    # The unique pending_contract_id is the last word when two requests race.
    make_checkin(contract, status="proposed")
    values = {"scheduled_for": date(2026, 1, 27), "duration_minutes": 60}
    with pytest.raises(services.ManagementError) as error:
        services.schedule_checkin(contract, manager, values, now=NOW)
    assert error.value.checkin is not None
    assert count(CheckIn) == 1


def test_the_database_allows_one_pending_check_in_per_contract(app, contract):
    from sqlalchemy.exc import IntegrityError

    make_checkin(contract)
    db.session.add(CheckIn(contract_id=contract.id, status="scheduled", pending_contract_id=contract.id,
                           scheduled_for=date(2026, 2, 1)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_it_allows_a_new_check_in_once_the_last_was_held(cm, contract):
    make_checkin(contract, status="held", scheduled_for=date(2025, 10, 1))
    make_checkin(contract, status="cancelled", scheduled_for=date(2025, 11, 1))
    assert cm.post(f"/contracts/{contract.id}/checkins/new", data=form()).status_code == 302
    assert count(CheckIn, CheckIn.pending_contract_id == contract.id) == 1


@pytest.mark.parametrize("field, value, message", [
    ("scheduled_for", "next tuesday", b"Enter a date as YYYY-MM-DD"),
    ("scheduled_for", "", b"Give the date of the check-in."),
    ("scheduled_for", "2205-01-01", b"more than five years away"),
    ("duration_minutes", "-30", b"between 5 and 600 minutes"),
    ("duration_minutes", "0", b"between 5 and 600 minutes"),
    ("duration_minutes", "99999999999999999999999", b"between 5 and 600 minutes"),
    ("duration_minutes", "1e400", b"whole number of minutes"),
    ("duration_minutes", "", b"Give the length"),
    ("start_time", "25:99", b"Enter a time as HH:MM"),
    ("location", "x" * 256, b"255"),
])
def test_it_refuses_bad_schedules_and_writes_nothing(cm, contract, field, value, message):
    response = cm.post(f"/contracts/{contract.id}/checkins/new", data=form(**{field: value}))
    assert response.status_code == 200
    assert message in response.data
    assert count(CheckIn) == 0
    assert count(AuditEvent) == 0


def test_it_accepts_a_proposed_check_in_by_editing_it(cm, contract):
    checkin = make_checkin(contract, status="proposed", proposed_by_sweep=True)
    response = cm.post(f"/checkins/{checkin.id}/edit", data=form(location="Vendor office"))
    assert response.status_code == 302
    db.session.refresh(checkin)
    assert checkin.status == "scheduled"
    assert checkin.location == "Vendor office"
    assert checkin.pending_contract_id == contract.id


def test_it_refuses_to_edit_a_held_check_in(cm, contract):
    checkin = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 1))
    response = cm.post(f"/checkins/{checkin.id}/edit", data=form())
    assert response.status_code == 302
    db.session.refresh(checkin)
    assert checkin.scheduled_for == date(2025, 10, 1)


def test_it_cancels_a_proposed_check_in_with_a_reason(cm, contract):
    checkin = make_checkin(contract, status="proposed")
    response = cm.post(f"/checkins/{checkin.id}/cancel", data={"reason": "Covered at the quarterly review"})
    assert response.status_code == 302
    db.session.refresh(checkin)
    assert checkin.status == "cancelled"
    assert checkin.pending_contract_id is None
    assert "Covered at the quarterly review" in checkin.notes
    assert count(AuditEvent, AuditEvent.entity_type == "checkin", AuditEvent.contract_id == contract.id) == 1


def test_it_refuses_to_cancel_without_a_reason(cm, contract):
    checkin = make_checkin(contract, status="proposed")
    response = cm.post(f"/checkins/{checkin.id}/cancel", data={"reason": "  "}, follow_redirects=True)
    assert b"Say why the check-in is cancelled." in response.data
    db.session.refresh(checkin)
    assert checkin.status == "proposed"


def test_it_refuses_to_cancel_a_held_check_in(app, contract, manager):
    checkin = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 1))
    with pytest.raises(services.ManagementError):
        services.cancel_checkin(checkin, manager, "No longer needed", now=NOW)
    db.session.refresh(checkin)
    assert checkin.status == "held"


def test_it_lists_the_check_ins_of_a_contract(client_as, contract):
    make_checkin(contract, status="held", scheduled_for=date(2025, 10, 1))
    make_checkin(contract, status="scheduled", scheduled_for=date(2026, 1, 27))
    response = client_as("viewer").get(f"/contracts/{contract.id}/checkins")
    assert response.status_code == 200
    assert b"1 Oct 2025" in response.data and b"27 Jan 2026" in response.data


def test_it_answers_404_for_unknown_check_ins(cm):
    assert cm.get("/checkins/999999").status_code == 404
    assert cm.get("/checkins/99999999999999999999").status_code == 404
    assert cm.get("/contracts/999999/checkins/new").status_code == 404
