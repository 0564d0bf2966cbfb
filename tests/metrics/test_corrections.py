"""Corrections never lose a value: each names the version it saw, a stale one is refused with the
current value and writes nothing, and one without a version waits its turn and records what it
replaced. (Real concurrent requests: tests/api/test_concurrent_corrections.py.)"""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.metrics import services
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.metrics.helpers import count
from tests.metrics.test_readings import started_periods


@pytest.fixture
def reading(factory, metric, users):
    return factory.make_reading(
        metric, started_periods(metric)[0].start, "20", note="first count", recorded_by_id=users["procurement_officer"].id,
    )


def corrected_elsewhere(reading_id, value, note, version):
    """Another person's correction, committed on another connection while this session still
    holds the reading as it loaded it."""
    with db.engine.begin() as conn:
        conn.execute(
            update(Reading).where(Reading.id == reading_id).values(value=Decimal(value), note=note, version=version)
        )


def fresh(reading_id):
    db.session.expire_all()
    return db.session.get(Reading, reading_id)


# --- the service -------------------------------------------------------------------------------


def test_a_new_reading_is_version_1_and_each_correction_adds_one(metric, users):
    ben = users["contract_manager"]
    reading = services.record_reading(metric, ben, started_periods(metric)[0].start, Decimal(20))
    assert reading.version == 1
    services.correct_reading(reading, ben, Decimal(21), "typo", expected_version=1)
    services.correct_reading(reading, ben, Decimal(22), "second look", expected_version=2)
    reading = fresh(reading.id)
    assert (reading.value, reading.version) == (Decimal(22), 3)
    assert [(r.version, r.value) for r in reading.revisions] == [(2, Decimal(21)), (1, Decimal(20))]  # newest first


def test_the_revision_keeps_who_submitted_and_verified_the_value_it_replaced(factory, metric, users, reading):
    vendor, ben = factory.make_user("viewer"), users["contract_manager"]
    db.session.execute(update(Reading).where(Reading.id == reading.id).values(submitted_by_id=vendor.id, verified_by_id=ben.id))
    db.session.commit()
    services.correct_reading(reading, ben, Decimal(12), "Duplicates removed", expected_version=1)
    reading = fresh(reading.id)
    [revision] = reading.revisions
    assert (revision.version, revision.submitted_by_id, revision.verified_by_id) == (1, vendor.id, ben.id)
    assert (revision.recorded_by_id, revision.replaced_by_id) == (users["procurement_officer"].id, ben.id)
    # The corrected value is the corrector's own, not the vendor's.
    assert (reading.submitted_by_id, reading.verified_by_id, reading.recorded_by_id) == (None, None, ben.id)


def test_a_stale_correction_is_refused_with_the_current_reading_and_writes_nothing(metric, users, reading):
    corrected_elsewhere(reading.id, "25", "late returns", 2)
    with pytest.raises(services.StaleReadingError) as raised:
        services.correct_reading(reading, users["contract_manager"], Decimal(12), "Duplicates removed", expected_version=1)
    error = raised.value
    assert error.code == "stale_version" and error.existing_id == reading.id
    assert (error.reading.value, error.reading.note, error.current_version) == (Decimal(25), "late returns", 2)
    assert "it is now 25 count (note: “late returns”). Nothing was saved." in error.message
    assert users["procurement_officer"].name in error.message
    assert count(ReadingRevision) == 0 and count(AuditEvent) == 0
    assert (fresh(reading.id).value, fresh(reading.id).version) == (Decimal(25), 2)


def test_a_stale_version_is_refused_even_when_the_value_would_not_change(metric, users, reading):
    corrected_elsewhere(reading.id, "25", "late returns", 2)
    with pytest.raises(services.StaleReadingError):
        services.correct_reading(reading, users["contract_manager"], Decimal(25), "late returns", expected_version=1)


def test_a_correction_without_a_version_records_the_value_it_really_replaced(metric, users, reading):
    # This session loaded 20 (version 1); someone else made it 25 (version 2) meanwhile.
    assert reading.value == Decimal(20)
    corrected_elsewhere(reading.id, "25", "late returns", 2)
    services.correct_reading(reading, users["contract_manager"], Decimal(12), "Duplicates removed")
    reading = fresh(reading.id)
    assert (reading.value, reading.version) == (Decimal(12), 3)
    [revision] = reading.revisions
    assert (revision.value, revision.note, revision.version) == (Decimal(25), "late returns", 2)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "reading"))
    assert (event.before["value"], event.before["version"], event.after["version"]) == ("25", 2, 3)


@pytest.mark.parametrize("version", ["1", 1.0, True])
def test_a_version_that_is_not_a_whole_number_is_refused(metric, users, reading, version):
    with pytest.raises(services.MetricError) as raised:
        services.correct_reading(reading, users["contract_manager"], Decimal(12), "typo", expected_version=version)
    assert raised.value.field == "version"
    assert count(ReadingRevision) == 0


# --- the correction form -----------------------------------------------------------------------


def hidden_version(html):
    return re.search(r'name="version" type="hidden" value="([^"]*)"', html).group(1)


def test_the_form_carries_the_version_it_was_shown_with(po, reading):
    assert hidden_version(po.get(f"/readings/{reading.id}/edit").get_data(as_text=True)) == "1"


def test_a_stale_form_is_shown_again_with_409_keeping_what_was_typed(client_as, users, reading):
    manager = client_as("contract_manager")
    shown = hidden_version(manager.get(f"/readings/{reading.id}/edit").get_data(as_text=True))
    # The procurement officer corrects it first, from a form of their own.
    officer = client_as("procurement_officer")
    assert officer.post(f"/readings/{reading.id}/edit", data={"value": "25", "note": "Late returns", "version": "1"}).status_code == 302

    response = manager.post(f"/readings/{reading.id}/edit", data={"value": "12", "note": "Duplicates removed", "version": shown})

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Not saved: this reading changed while you were editing it." in html
    assert f"{users['procurement_officer'].name} changed this reading on" in html
    assert "it is now 25 count (note: “Late returns”)" in html
    assert 'value="12"' in html and "Duplicates removed" in html  # what the manager typed
    assert "Current value: <strong>25" in html
    assert hidden_version(html) == "2"  # saving again is a deliberate replacement of 25
    reading = fresh(reading.id)
    assert (reading.value, reading.note, reading.version) == (Decimal(25), "Late returns", 2)
    assert [r.value for r in reading.revisions] == [Decimal(20)]

    # Having seen 25, the manager saves again: now it applies, and 25 is in the history.
    again = manager.post(f"/readings/{reading.id}/edit", data={"value": "12", "note": "Duplicates removed", "version": "2"})
    assert again.status_code == 302
    reading = fresh(reading.id)
    assert (reading.value, reading.version) == (Decimal(12), 3)
    assert sorted(r.value for r in reading.revisions) == [Decimal(20), Decimal(25)]


def test_a_form_posted_without_a_version_still_loses_nothing(po, reading):
    corrected_elsewhere(reading.id, "25", "late returns", 2)
    assert po.post(f"/readings/{reading.id}/edit", data={"value": "12", "note": "Duplicates removed"}).status_code == 302
    reading = fresh(reading.id)
    assert reading.value == Decimal(12)
    assert [(r.value, r.version) for r in reading.revisions] == [(Decimal(25), 2)]


@pytest.mark.parametrize("version", ["abc", "-1", "1.5"])
def test_a_damaged_version_field_is_refused_and_writes_nothing(po, reading, version):
    response = po.post(f"/readings/{reading.id}/edit", data={"value": "12", "note": "Duplicates removed", "version": version})
    assert response.status_code == 200
    assert "This form is out of date or damaged" in response.get_data(as_text=True)
    assert count(ReadingRevision) == 0
    assert fresh(reading.id).value == Decimal(20)
