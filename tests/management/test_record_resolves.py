"""Recording a check-in as held resolves, in the same transaction, what the meeting cleared: the
contract's "no check-in" flag and the discussed flags whose cause has gone; and it marks the
recorder's notifications about them read."""
from datetime import date, timedelta

import pytest

from contracts_app.extensions import db
from contracts_app.management.models import Flag
from contracts_app.management.rules import FlagFacts, cleared_note
from contracts_app.management.services import ManagementError, record_checkin
from contracts_app.notifications import outbox
from contracts_app.notifications.models import Notification
from tests.factories import make_checkin, make_flag
from tests.management.conftest import NOW

GAP = timedelta(days=90)
HELD_ON = date(2026, 1, 19)  # the day before NOW


def record(checkin, actor, flags=(), held_on=HELD_ON):
    values = {"held_on": held_on, "flag_ids": [flag.id for flag in flags], "action_items": []}
    return record_checkin(checkin, actor, values, now=NOW)


def notify(user, key, flag=None, checkin=None):
    outbox.queue_many([dict(
        recipient_id=user.id, kind="flag_opened", dedupe_key=key, subject=key,
        flag_id=flag.id if flag else None, checkin_id=checkin.id if checkin else None,
    )], now=NOW - timedelta(days=2))
    db.session.commit()


def read_at(key):
    return db.session.scalar(db.select(Notification.read_at).where(Notification.dedupe_key == key))


def test_it_resolves_the_contracts_no_check_in_flag(contract, manager):
    lapse = make_flag(contract, kind="no_checkin", period_start=date(2025, 9, 29))
    record(make_checkin(contract, scheduled_for=HELD_ON), manager)
    db.session.refresh(lapse)
    assert lapse.resolved_at == NOW
    assert lapse.resolution_note == "Resolved automatically: a check-in was held on 19 Jan 2026."


def test_it_resolves_a_discussed_overdue_flag_whose_reading_arrived(contract, manager, factory):
    metric = factory.make_metric(contract)
    overdue = make_flag(contract, metric, kind="overdue", period_start=date(2025, 11, 1))
    factory.make_reading(metric, date(2025, 11, 1), 25)
    record(make_checkin(contract, scheduled_for=HELD_ON), manager, flags=[overdue])
    db.session.refresh(overdue)
    assert overdue.resolved_at == NOW
    assert overdue.resolution_note == "Resolved automatically: the reading arrived."


def test_it_keeps_a_discussed_flag_whose_cause_remains_open(contract, manager, factory):
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 12, 1), 12, status="off_track")
    off_track = make_flag(contract, metric, kind="off_track", period_start=date(2025, 12, 1))
    still_overdue = make_flag(contract, metric, kind="overdue", period_start=date(2025, 11, 1))
    record(make_checkin(contract, scheduled_for=HELD_ON), manager, flags=[off_track, still_overdue])
    assert db.session.scalars(db.select(Flag.id).where(Flag.resolved_at.is_(None)).order_by(Flag.id)).all() == [
        off_track.id, still_overdue.id,
    ]


def test_it_resolves_a_discussed_off_track_flag_once_a_later_reading_is_on_track(contract, manager, factory):
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 11, 1), 12, status="off_track")
    factory.make_reading(metric, date(2025, 12, 1), 28, status="on_track")
    off_track = make_flag(contract, metric, kind="off_track", period_start=date(2025, 11, 1))
    record(make_checkin(contract, scheduled_for=HELD_ON), manager, flags=[off_track])
    db.session.refresh(off_track)
    assert off_track.resolution_note == "Resolved automatically: a later reading (Dec 2025) is on track."


def test_it_leaves_flags_not_discussed_to_the_sweep(contract, manager, factory):
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 11, 1), 25)
    not_discussed = make_flag(contract, metric, kind="overdue", period_start=date(2025, 11, 1))
    record(make_checkin(contract, scheduled_for=HELD_ON), manager)
    db.session.refresh(not_discussed)
    assert not_discussed.is_open


def test_it_marks_the_recorders_notifications_about_what_it_dealt_with_read(contract, manager, factory):
    metric = factory.make_metric(contract)
    discussed = make_flag(contract, metric, kind="off_track", period_start=date(2025, 12, 1))
    other_flag = make_flag(contract, metric, kind="overdue", period_start=date(2025, 11, 1))
    checkin = make_checkin(contract, scheduled_for=HELD_ON)
    someone_else = factory.make_user("procurement_officer")
    notify(manager, "about the check-in", checkin=checkin)
    notify(manager, "about the discussed flag", flag=discussed)
    notify(manager, "about another flag", flag=other_flag)
    notify(someone_else, "someone else's", flag=discussed)
    record(checkin, manager, flags=[discussed])
    assert read_at("about the check-in") == NOW
    assert read_at("about the discussed flag") == NOW
    assert read_at("about another flag") is None
    assert read_at("someone else's") is None


def test_a_refused_record_resolves_nothing(contract, manager):
    lapse = make_flag(contract, kind="no_checkin", period_start=date(2025, 9, 29))
    checkin = make_checkin(contract, scheduled_for=HELD_ON)
    with pytest.raises(ManagementError):
        record(checkin, manager, held_on=NOW.date() + timedelta(days=5))  # held in the future
    db.session.refresh(lapse)
    db.session.refresh(checkin)
    assert lapse.is_open
    assert checkin.status == "scheduled"


@pytest.mark.parametrize("facts, note", [
    (FlagFacts("overdue", date(2025, 11, 1), reading_recorded=False), None),
    (FlagFacts("overdue", date(2025, 11, 1), reading_recorded=True), "Resolved automatically: the reading arrived."),
    (FlagFacts("off_track", date(2025, 11, 1), latest=(date(2025, 11, 1), "off_track")), None),
    (FlagFacts("off_track", date(2025, 11, 1), latest=(date(2025, 11, 1), "at_risk")),
     "Resolved automatically: the corrected reading is at risk."),
    (FlagFacts("at_risk_twice", date(2025, 11, 1), latest=(date(2025, 11, 1), "at_risk")), None),
    (FlagFacts("off_track", date(2025, 11, 1), latest=None), None),
    (FlagFacts("milestone_missed", date(2025, 11, 1), milestone_missed=True), None),
    (FlagFacts("milestone_missed", date(2025, 11, 1), milestone_missed=False),
     "Resolved automatically: the milestone is no longer missed."),
    (FlagFacts("no_checkin", date(2025, 12, 1), last_held=date(2025, 9, 2)), None),  # before the 90 days began
    (FlagFacts("no_checkin", date(2025, 12, 1), last_held=date(2025, 9, 3)),
     "Resolved automatically: a check-in was held on 3 Sep 2025."),
    (FlagFacts("overdue", date(2025, 11, 1), contract_active=False),
     "Resolved automatically: the contract is no longer active."),
])
def test_the_rule_says_when_a_cause_has_cleared(facts, note):
    assert cleared_note(facts, GAP) == note


def test_the_record_form_suggests_owners_from_the_staff_and_the_vendor(cm, contract, manager):
    checkin = make_checkin(contract, scheduled_for=HELD_ON)
    page = cm.get(f"/checkins/{checkin.id}/record").get_data(as_text=True)
    datalist = page.split('<datalist id="owner-suggestions">')[1].split("</datalist>")[0]
    assert f'<option value="{manager.name}">' in datalist
    assert f'<option value="{contract.vendor.name}">' in datalist
    assert 'id="action_items-0-owner" list="owner-suggestions"' in page or 'list="owner-suggestions" id="action_items-0-owner"' in page
