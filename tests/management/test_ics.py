"""The .ics invite of a pending check-in."""
from datetime import date, time, timedelta

from icalendar import Calendar

from tests.factories import make_checkin, make_flag


def fetch(client, checkin):
    return client.get(f"/checkins/{checkin.id}/invite.ics")


def event_of(response):
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    return event


def test_it_serves_a_calendar_file_as_an_attachment(client_as, contract):
    response = fetch(client_as("viewer"), make_checkin(contract))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="checkin-HS-2025-014-2026-01-27.ics"'


def test_it_gives_a_stable_uid_per_check_in(client_as, contract):
    checkin = make_checkin(contract)
    viewer = client_as("viewer")
    first, second = event_of(fetch(viewer, checkin)), event_of(fetch(viewer, checkin))
    assert str(first["UID"]) == f"checkin-{checkin.id}@localhost"
    assert first["UID"] == second["UID"]


def test_it_starts_at_the_scheduled_time_in_the_city_time_zone(client_as, contract):
    checkin = make_checkin(contract, start_time=time(14, 30), duration_minutes=90)
    event = event_of(fetch(client_as("viewer"), checkin))
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    start = event.decoded("DTSTART")
    assert (start.date(), start.time()) == (date(2026, 1, 27), time(14, 30))
    assert str(start.tzinfo) == "America/Chicago"
    assert event.decoded("DTEND") - start == timedelta(minutes=90)


def test_it_starts_at_ten_when_no_time_is_set(client_as, contract):
    event = event_of(fetch(client_as("viewer"), make_checkin(contract)))
    assert event.decoded("DTSTART").time() == time(10, 0)


def test_it_includes_the_time_zone_definition(client_as, contract):
    calendar = Calendar.from_ical(fetch(client_as("viewer"), make_checkin(contract)).data)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]


def test_it_names_the_contract_and_carries_the_agenda(client_as, factory, contract):
    metric = factory.make_metric(contract, name="Placements")
    make_flag(contract, metric, kind="overdue", period_start=date(2025, 9, 1))
    event = event_of(fetch(client_as("viewer"), make_checkin(contract, location="City Hall, room 4")))
    assert str(event["SUMMARY"]) == "Check-in: HS-2025-014 Street outreach"
    assert str(event["LOCATION"]) == "City Hall, room 4"
    description = str(event["DESCRIPTION"])
    assert "Standing items" in description and "Reading overdue: Placements" in description


def test_it_makes_the_contract_manager_organizer(client_as, contract, manager):
    event = event_of(fetch(client_as("viewer"), make_checkin(contract)))
    assert str(event["ORGANIZER"]) == f"mailto:{manager.email}"
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert f"mailto:{manager.email}" in [str(a) for a in attendees]


def test_it_has_no_invite_for_a_held_check_in(client_as, contract):
    response = fetch(client_as("viewer"), make_checkin(contract, status="held", scheduled_for=date(2025, 10, 1)))
    assert response.status_code == 409
    assert b"invites are only offered for proposed or scheduled check-ins" in response.data


def test_it_has_no_invite_for_a_cancelled_check_in(client_as, contract):
    response = fetch(client_as("viewer"), make_checkin(contract, status="cancelled"))
    assert response.status_code == 409
