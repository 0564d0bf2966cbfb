"""The iCalendar (.ics) invite for a pending check-in, built with the icalendar library."""
from icalendar import Calendar, Event, vCalAddress, vText

from contracts_app.db_types import utcnow
from contracts_app.management.agenda import agenda_text, checkin_times


def _address(email, name, role):
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    address.params["ROLE"] = vText(role)
    return address


def checkin_invite(checkin, agenda, host, now=None):
    """The invite as bytes.

    The UID is stable per check-in (checkin-<id>@<host>) and SEQUENCE grows with every change,
    so a calendar that imported an earlier invite updates the event instead of adding another.
    DTSTART/DTEND carry the city's time zone (TZID) and a VTIMEZONE, not UTC: a meeting at
    10:00 stays at 10:00 local time across a daylight-saving change.
    """
    contract = checkin.contract
    start, end = checkin_times(checkin)
    calendar = Calendar()
    calendar.add("prodid", "-//RDC Tracker//Check-ins//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")

    event = Event()
    event.add("uid", f"checkin-{checkin.id}@{host}")
    event.add("dtstamp", now or utcnow())
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", int(checkin.updated_at.timestamp()) if checkin.updated_at else 0)
    event.add("summary", f"Check-in: {contract.reference} {contract.title}")
    event.add("description", agenda_text(contract, checkin, agenda))
    if checkin.location:
        event.add("location", checkin.location)
    event.add("status", "CONFIRMED" if checkin.status == "scheduled" else "TENTATIVE")
    manager = contract.contract_manager
    if manager is not None and manager.email:
        event.add("organizer", _address(manager.email, manager.name, "CHAIR"))
        event.add("attendee", _address(manager.email, manager.name, "CHAIR"))
    vendor = contract.vendor
    if vendor is not None and vendor.contact_email:
        event.add("attendee", _address(vendor.contact_email, vendor.contact_name or vendor.name, "REQ-PARTICIPANT"))
    calendar.add_component(event)
    if hasattr(calendar, "add_missing_timezones"):  # icalendar >= 6: VTIMEZONE for the TZID
        calendar.add_missing_timezones()
    return calendar.to_ical()
