"""The agenda: follow-ups, standing items and new items."""
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import event

from contracts_app.extensions import db
from contracts_app.management.agenda import agenda_text, build_agenda
from tests.factories import make_action_item, make_checkin, make_flag
from tests.management.conftest import NOW


def test_it_lists_no_follow_ups_before_any_check_in(app, contract):
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)
    assert agenda.follow_ups == []


def test_it_follows_up_the_open_action_items_of_an_earlier_held_check_in(app, contract):
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    open_item = make_action_item(held, description="Add a second intake worker")
    make_action_item(held, description="Send the staffing plan", status="done", completed_on=date(2025, 10, 30))
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)
    assert [item.id for item in agenda.follow_ups] == [open_item.id]


def test_it_shows_each_metric_s_last_six_periods_against_target(app, factory, contract):
    metric = factory.make_metric(contract, name="Placements", targets={date(2025, 9, 1): 25})
    factory.make_reading(metric, date(2025, 8, 1), 21)
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)  # 20 Jan 2026
    (item,) = agenda.standing
    assert [row.label for row in item.rows] == ["Jul 2025", "Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"]
    august, september = item.rows[1], item.rows[2]
    assert august.actual == Decimal(21) and august.status == "on_track"
    assert round(august.target) == 19  # linear from 18 toward 30 (the Tuesday story: ≈ 19)
    assert september.target == Decimal(25)  # the explicit per-period target
    assert september.actual is None and september.status == "overdue"


def test_it_judges_a_decreasing_metric_off_track_in_the_standing_items(app, factory, contract):
    metric = factory.make_metric(contract, name="Median days", direction="decrease", baseline_value=64, target_value=40)
    factory.make_reading(metric, date(2025, 8, 1), 70, status="off_track")
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)
    assert agenda.standing[0].rows[1].status == "off_track"


def test_it_reads_the_standing_items_in_a_bounded_number_of_queries(app, factory, contract):
    for n in range(4):
        metric = factory.make_metric(contract)
        factory.make_reading(metric, date(2025, 8, 1), 20 + n)
    db.session.expire_all()
    checkin = make_checkin(contract)
    contract = db.session.get(type(contract), contract.id)
    checkin.status  # loaded before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        build_agenda(contract, checkin, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # last held check-in, follow-ups, new items, metrics, readings, targets: six, for any number of metrics
    assert len(statements) <= 6, statements


def test_it_lists_flags_opened_since_the_last_held_check_in_as_new_items(app, factory, contract):
    metric = factory.make_metric(contract)
    make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    before = make_flag(contract, metric, period_start=date(2025, 8, 1),
                       opened_at=datetime(2025, 10, 10, 15, tzinfo=timezone.utc))
    after_open = make_flag(contract, metric, kind="overdue", period_start=date(2025, 9, 1),
                           opened_at=datetime(2025, 10, 20, 15, tzinfo=timezone.utc))
    after_resolved = make_flag(contract, metric, kind="overdue", period_start=date(2025, 10, 1),
                               opened_at=datetime(2025, 11, 14, 15, tzinfo=timezone.utc),
                               resolved_at=datetime(2025, 11, 20, 15, tzinfo=timezone.utc))
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)
    assert {f.id for f in agenda.new_items} == {after_open.id, after_resolved.id}
    assert before.id not in {f.id for f in agenda.new_items}


def test_it_lists_every_flag_as_new_before_any_held_check_in(app, factory, contract):
    metric = factory.make_metric(contract)
    first = make_flag(contract, metric, period_start=date(2025, 8, 1))
    second = make_flag(contract, metric, kind="overdue", period_start=date(2025, 9, 1))
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)
    assert [f.id for f in agenda.new_items] == [first.id, second.id]


def test_it_leaves_out_flags_already_discussed_at_a_held_check_in(app, factory, contract):
    metric = factory.make_metric(contract)
    flag = make_flag(contract, metric, opened_at=datetime(2025, 10, 16, 14, tzinfo=timezone.utc))
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    held.flags.append(flag)
    db.session.commit()
    agenda = build_agenda(contract, make_checkin(contract), now=NOW)
    assert agenda.new_items == []


def test_it_writes_the_agenda_as_text(app, factory, contract):
    metric = factory.make_metric(contract, name="Placements")
    factory.make_reading(metric, date(2025, 8, 1), 21)
    make_flag(contract, metric)
    checkin = make_checkin(contract)
    text = agenda_text(contract, checkin, build_agenda(contract, checkin, now=NOW))
    assert "1. Follow-up items" in text and "2. Standing items" in text and "3. New items" in text
    assert "Aug 2025" in text and "Metric off track: Placements" in text


def test_it_renders_the_agenda_on_the_check_in_page(client_as, factory, contract):
    metric = factory.make_metric(contract, name="Median days to placement")
    make_flag(contract, metric)
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 7, 20))
    make_action_item(held, description="Send the staffing plan")
    checkin = make_checkin(contract)
    response = client_as("viewer").get(f"/checkins/{checkin.id}")
    assert response.status_code == 200
    for text in (b"Follow-up items", b"Send the staffing plan", b"Standing items", b"Median days to placement",
                 b"New items", b"Metric off track"):
        assert text in response.data
