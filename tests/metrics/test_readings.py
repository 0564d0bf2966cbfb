"""Entering and correcting readings: the period choice, every refusal, roles, history, statuses."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics import rules, services
from contracts_app.metrics.models import Metric, Reading, ReadingRevision
from contracts_app.metrics.status import today_for
from tests.metrics.helpers import count


def started_periods(metric):
    contract = metric.contract
    today = today_for(utcnow())
    return [p for p in rules.periods(contract.start_date, contract.end_date, metric.cadence) if p.start <= today]


def future_period(metric):
    contract = metric.contract
    today = today_for(utcnow())
    return next(p for p in rules.periods(contract.start_date, contract.end_date, metric.cadence) if p.start > today)


def test_it_offers_the_started_periods_and_marks_recorded_ones(po, factory, metric):
    first, second = started_periods(metric)[:2]
    factory.make_reading(metric, first.start, "20")
    page = po.get(f"/metrics/{metric.id}/readings/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{first.start.isoformat()}"' in html
    assert f"{first.label('monthly')} — already recorded" in html
    assert f'value="{second.start.isoformat()}"' in html
    assert f'value="{future_period(metric).start.isoformat()}"' not in html


def test_it_preselects_the_period_named_in_the_link(po, metric):
    period = started_periods(metric)[2]
    page = po.get(f"/metrics/{metric.id}/readings/new?period={period.start.isoformat()}")
    assert re.search(rf'<option (selected value="{period.start}"|value="{period.start}" selected)', page.get_data(as_text=True))


def test_it_records_a_reading_with_its_status_who_and_when(po, metric, users):
    period = started_periods(metric)[0]
    response = po.post(
        f"/metrics/{metric.id}/readings/new", data={"period": period.start.isoformat(), "value": "25", "note": "Two new staff"}
    )
    assert response.status_code == 302
    reading = db.session.scalar(select(Reading))
    assert (reading.period_start, reading.period_end) == (period.start, period.end)
    assert reading.value == Decimal(25) and reading.note == "Two new staff"
    assert reading.status == "on_track"
    assert reading.recorded_by_id == users["procurement_officer"].id
    assert reading.recorded_at is not None


def test_it_audits_a_new_reading(po, metric):
    period = started_periods(metric)[0]
    po.post(f"/metrics/{metric.id}/readings/new", data={"period": period.start.isoformat(), "value": "25"})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "reading"))
    assert event.action == "create" and event.contract_id == metric.contract_id
    assert event.after["value"] == "25"


def test_it_refreshes_the_metric_and_contract_after_a_reading(po, metric, contract):
    latest = started_periods(metric)[-1]  # in progress: the form needs the confirmation (issue 10, section 2)
    po.post(f"/metrics/{metric.id}/readings/new", data={"period": latest.start.isoformat(), "value": "0", "confirm_in_progress": "y"})
    db.session.expire_all()
    assert db.session.get(Metric, metric.id).status == "off_track"
    assert db.session.get(type(contract), contract.id).health == "off_track"


def _refused(client, metric, data, message):
    response = client.post(f"/metrics/{metric.id}/readings/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(Reading) == 0
    assert count(AuditEvent) == 0
    return response


def test_it_refuses_a_period_outside_the_term(po, metric, contract):
    before = rules.add_months(contract.start_date, -1)
    _refused(po, metric, {"period": before.isoformat(), "value": "20"}, "Choose a reporting period within the contract term")


def test_it_refuses_a_date_that_does_not_start_a_period(po, metric, contract):
    mid_month = contract.start_date.replace(day=15)
    _refused(po, metric, {"period": mid_month.isoformat(), "value": "20"}, "Choose a reporting period within the contract term")


def test_it_refuses_a_period_that_is_not_a_date(po, metric):
    _refused(po, metric, {"period": "<script>", "value": "20"}, "Choose a reporting period within the contract term")


def test_it_refuses_a_missing_period(po, metric):
    _refused(po, metric, {"value": "20"}, "Choose the reporting period.")


def test_it_refuses_a_period_that_has_not_started(po, metric):
    period = future_period(metric)
    _refused(po, metric, {"period": period.start.isoformat(), "value": "20"}, "has not started yet")


def test_it_refuses_a_period_already_recorded_and_links_to_the_correction(po, factory, metric):
    period = started_periods(metric)[0]
    existing = factory.make_reading(metric, period.start, "20")
    response = po.post(f"/metrics/{metric.id}/readings/new", data={"period": period.start.isoformat(), "value": "22"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is already recorded — correct that reading instead" in html
    assert f"/readings/{existing.id}/edit" in html
    assert count(Reading) == 1
    db.session.expire_all()
    assert db.session.get(Reading, existing.id).value == Decimal(20)


@pytest.mark.parametrize(
    "value, message",
    [("abc", "“abc” is not a number"), ("-3", "Must be zero or more"), ("", "Enter the value for this period."),
     ("Infinity", "“Infinity” is not a number"), ("1e20", "“1e20” is not a number"),
     ("100000000000000000000", "That number is too large"), ("1.23456", "Use at most 4 decimal places")],
)
def test_it_refuses_a_bad_value(po, metric, value, message):
    period = started_periods(metric)[0]
    _refused(po, metric, {"period": period.start.isoformat(), "value": value}, message)


def test_it_turns_a_simultaneous_duplicate_into_the_same_message(app, factory, metric, users, monkeypatch):
    # Another request saved the period between our check and our insert: the unique constraint
    # refuses ours, and the caller gets the field message rather than a 500.
    period = started_periods(metric)[0]
    other = factory.make_reading(metric, period.start, "20")
    monkeypatch.setattr(services, "_existing_reading", lambda metric, start, _real=services._existing_reading: None)
    with pytest.raises(services.ReadingExistsError) as error:
        services.record_reading(metric, users["contract_manager"], period.start, Decimal(21))
    assert error.value.field == "period"
    assert "already recorded" in str(error.value)
    assert count(Reading) == 1
    assert db.session.get(Reading, other.id).value == Decimal(20)


def test_it_lets_the_contracts_own_manager_enter_readings(client_as, metric):
    period = started_periods(metric)[0]
    client = client_as("contract_manager")
    assert client.get(f"/metrics/{metric.id}/readings/new").status_code == 200
    response = client.post(f"/metrics/{metric.id}/readings/new", data={"period": period.start.isoformat(), "value": "20"})
    assert response.status_code == 302
    assert count(Reading) == 1


def test_it_forbids_readings_to_another_contracts_manager(client_as, factory, metric):
    stranger = factory.make_user("contract_manager")
    client = client_as("contract_manager", user=stranger)
    period = started_periods(metric)[0]
    assert client.get(f"/metrics/{metric.id}/readings/new").status_code == 403
    response = client.post(f"/metrics/{metric.id}/readings/new", data={"period": period.start.isoformat(), "value": "20"})
    assert response.status_code == 403
    assert count(Reading) == 0


@pytest.mark.parametrize("role", ["admin", "cdo", "viewer"])
def test_it_forbids_readings_to_read_only_roles(client_as, factory, metric, role):
    period = started_periods(metric)[0]
    reading = factory.make_reading(metric, period.start, "20")
    client = client_as(role)
    second = started_periods(metric)[1]
    assert client.post(f"/metrics/{metric.id}/readings/new", data={"period": second.start.isoformat(), "value": "20"}).status_code == 403
    assert client.get(f"/readings/{reading.id}/edit").status_code == 403
    assert client.post(f"/readings/{reading.id}/edit", data={"value": "1", "note": "x"}).status_code == 403
    assert count(Reading) == 1 and count(ReadingRevision) == 0


def test_it_corrects_a_reading_and_keeps_the_earlier_value(client_as, factory, metric, users):
    period = started_periods(metric)[0]
    reading = factory.make_reading(metric, period.start, "20", note="first count", recorded_by_id=users["procurement_officer"].id)
    client = client_as("contract_manager")
    response = client.post(f"/readings/{reading.id}/edit", data={"value": "12", "note": "Duplicates removed"})
    assert response.status_code == 302
    db.session.expire_all()
    reading = db.session.get(Reading, reading.id)
    assert reading.value == Decimal(12) and reading.note == "Duplicates removed"
    assert reading.recorded_by_id == users["contract_manager"].id
    assert reading.status == "off_track"
    [revision] = reading.revisions
    assert revision.value == Decimal(20) and revision.note == "first count" and revision.status == "on_track"
    assert revision.recorded_by_id == users["procurement_officer"].id
    assert revision.replaced_by_id == users["contract_manager"].id


def test_it_shows_the_correction_history_on_the_metric_page(po, factory, metric):
    period = started_periods(metric)[0]
    reading = factory.make_reading(metric, period.start, "20", note="first count")
    po.post(f"/readings/{reading.id}/edit", data={"value": "12.5", "note": "Duplicates removed"})
    html = po.get(f"/metrics/{metric.id}").get_data(as_text=True)
    assert "Correction history" in html
    assert "<del>20</del>" in html
    assert "first count" in html and "Duplicates removed" in html and "12.5" in html


def test_it_audits_a_correction(po, factory, metric):
    reading = factory.make_reading(metric, started_periods(metric)[0].start, "20")
    po.post(f"/readings/{reading.id}/edit", data={"value": "12", "note": "Duplicates removed"})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "reading"))
    assert event.action == "update" and event.contract_id == metric.contract_id
    assert (event.before["value"], event.after["value"]) == ("20", "12")


@pytest.mark.parametrize(
    "data, message",
    [({"value": "12", "note": ""}, "Say why the value is being corrected"),
     ({"value": "-1", "note": "typo"}, "Must be zero or more"),
     ({"value": "twelve", "note": "typo"}, "“twelve” is not a number"),
     ({"value": "20", "note": "first count"}, "Nothing changed")],
)
def test_it_refuses_a_bad_correction_and_writes_nothing(po, factory, metric, data, message):
    reading = factory.make_reading(metric, started_periods(metric)[0].start, "20", note="first count")
    response = po.post(f"/readings/{reading.id}/edit", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(ReadingRevision) == 0 and count(AuditEvent) == 0
    db.session.expire_all()
    assert db.session.get(Reading, reading.id).value == Decimal(20)


def test_it_shows_every_period_with_target_reading_and_status(po, factory, metric):
    periods = started_periods(metric)
    factory.make_reading(metric, periods[0].start, "25", status="on_track")
    html = po.get(f"/metrics/{metric.id}").get_data(as_text=True)
    assert html.count("<tr") == 1 + 24  # header + every month of the two-year term
    assert periods[0].label("monthly") in html
    assert "badge-on_track" in html
    assert "badge-overdue" in html  # the unrecorded past periods
    assert "Not started" in html


def test_it_drops_nul_characters_from_a_note(po, metric):
    period = started_periods(metric)[0]
    response = po.post(f"/metrics/{metric.id}/readings/new", data={"period": period.start.isoformat(), "value": "20", "note": "a\x00b"})
    assert response.status_code == 302
    assert db.session.scalar(select(Reading)).note == "ab"


def test_it_refuses_a_period_with_a_nul_character(po, metric):
    period = started_periods(metric)[0]
    _refused(po, metric, {"period": period.start.isoformat() + "\x00", "value": "20"}, "Choose a reporting period within the contract term")
