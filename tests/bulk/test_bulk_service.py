"""metrics.bulk: check every row, then write all of them in one transaction or none."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.metrics import bulk
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.bulk.conftest import NOW, row
from tests.querycount import count_queries


def _readings(db):
    db.session.expire_all()
    return db.session.execute(
        select(Reading.metric_id, Reading.period_start, Reading.value, Reading.status, Reading.version)
        .order_by(Reading.metric_id, Reading.period_start)
    ).all()


def test_it_writes_every_row_with_statuses_audit_and_refreshed_health(db, city, users):
    placed, days = city["placed"], city["days"]
    rows = [row(placed, date(2025, 7, 1), "19"), row(placed, date(2025, 8, 1), 25, "late data"),
            row(days, date(2025, 7, 1), "58.5")]

    check, ids = bulk.write_readings(rows, city["manager"], NOW)

    assert len(ids) == 3 and len(check.new) == 3
    stored = _readings(db)
    assert [(r.period_start, r.value, r.version) for r in stored] == [
        (date(2025, 7, 1), Decimal(19), 1), (date(2025, 8, 1), Decimal(25), 1), (date(2025, 7, 1), Decimal("58.5"), 1)]
    assert all(r.status in ("on_track", "at_risk", "off_track") for r in stored)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "reading").order_by(AuditEvent.id)).all()
    assert [e.entity_id for e in events] == ids
    assert events[0].actor_id == city["manager"].id and events[0].contract_id == city["contract"].id
    assert events[0].after["value"] == "19" and events[0].summary.startswith("Recorded Families placed for Jul 2025: 19")
    # Later periods ended without readings, so the metrics are overdue; the contract's health follows.
    assert db.session.get(type(placed), placed.id).status == "overdue"
    assert city["contract"].health == "overdue"


def test_it_names_every_problem_by_row_and_column_and_writes_nothing(db, city):
    placed, others = city["placed"], city["others"]
    rows = [
        row(placed, date(2025, 7, 1), "19"),
        row(placed, date(2025, 7, 1), "20"),  # the same period twice
        row(placed, date(2025, 7, 15), "20"),  # not a period start
        row(placed, date(2024, 1, 1), "20"),  # before the term
        row(placed, date(2026, 3, 1), "20"),  # not started
        row(placed, date(2025, 9, 1), "twenty"),
        row(placed, date(2025, 10, 1), "-1"),
        row(placed, "1 Nov 2025", "2"),
        {"metric_id": "abc", "period_start": "2025-07-01", "value": "1", "note": ""},
        {"metric_id": 999999, "period_start": "2025-07-01", "value": "1", "note": ""},
        row(others, date(2025, 7, 1), "1"),  # another manager's contract
        row(placed, date(2025, 12, 1), ""),
    ]

    with pytest.raises(bulk.BulkReadingsError) as raised:
        bulk.write_readings(rows, city["manager"], NOW)

    found = [(p.index, p.column) for p in raised.value.problems]
    assert found == [(1, "period_start"), (2, "period_start"), (3, "period_start"), (4, "period_start"),
                     (5, "value"), (6, "value"), (7, "period_start"), (8, "metric_id"), (9, "metric_id"),
                     (10, "metric_id"), (11, "value")]
    messages = {p.index: p.message for p in raised.value.problems}
    assert "is also in item 0" in messages[1]
    assert "is not a number" in messages[5]
    assert "not its contract manager" in messages[10]
    assert _readings(db) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_correction_needs_a_note_and_keeps_history_with_the_next_version(db, city, factory):
    placed = city["placed"]
    reading = factory.make_reading(placed, date(2025, 7, 1), 19, note="first")

    with pytest.raises(bulk.BulkReadingsError) as raised:
        bulk.write_readings([row(placed, date(2025, 7, 1), "21")], city["manager"], NOW)
    assert [(p.index, p.column) for p in raised.value.problems] == [(0, "note")]
    assert "needs a note" in raised.value.problems[0].message

    check, ids = bulk.write_readings([row(placed, date(2025, 7, 1), "21", "recount", version=1)], city["manager"], NOW)

    assert ids == [reading.id] and len(check.corrections) == 1
    db.session.expire_all()
    reading = db.session.get(Reading, reading.id)
    assert (reading.value, reading.note, reading.version, reading.recorded_by_id) == (Decimal(21), "recount", 2, city["manager"].id)
    revision = db.session.scalar(select(ReadingRevision))
    assert (revision.value, revision.note, revision.version, revision.replaced_by_id) == (Decimal(19), "first", 1, city["manager"].id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.before["value"] == "19" and event.after["value"] == "21" and event.after["version"] == 2


def test_a_stale_version_is_refused_as_changed_since_downloaded(db, city, factory):
    placed = city["placed"]
    factory.make_reading(placed, date(2025, 7, 1), 19, version=3)

    with pytest.raises(bulk.BulkReadingsError) as raised:
        bulk.write_readings([row(placed, date(2025, 7, 1), "21", "recount", version=2)], city["manager"], NOW)

    problem = raised.value.problems[0]
    assert (problem.column, problem.message.startswith("This reading was changed since you downloaded it")) == ("version", True)
    assert _readings(db)[0].value == Decimal(19)


def test_a_row_identical_to_the_reading_is_skipped_as_unchanged(db, city, factory):
    placed = city["placed"]
    factory.make_reading(placed, date(2025, 7, 1), 19, note="first")

    check, ids = bulk.write_readings([row(placed, date(2025, 7, 1), "19.0000"), row(placed, date(2025, 8, 1), "20")],
                                     city["manager"], NOW)

    assert check.unchanged == [0] and len(ids) == 1
    assert db.session.scalar(select(func.count()).select_from(ReadingRevision)) == 0


def test_staff_enter_vendor_reported_metrics_and_officers_any_contract(db, city, users):
    city["others"].reported_by = "vendor"
    db.session.commit()

    check, ids = bulk.write_readings([row(city["others"], date(2025, 7, 1), "5")], users["procurement_officer"], NOW)

    assert len(ids) == 1


def _many_rows(metrics, count):
    starts = [date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1),
              date(2025, 12, 1), date(2026, 1, 1)]
    pairs = [(m, s) for m in metrics for s in starts][:count]
    return [row(m, s, str(10 + i)) for i, (m, s) in enumerate(pairs)]


def test_the_statements_run_do_not_grow_with_the_number_of_rows(db, city, factory):
    contract = city["contract"]
    metrics = [factory.make_metric(contract, name=f"M{i}") for i in range(12)]
    # The same number of metrics (and of contracts) each time; seven times the rows.
    small = [_many_rows([metric], 1)[0] for metric in metrics[:6]]
    large = _many_rows(metrics[6:], 42)
    actor = city["manager"]
    # Warm up (the actor's loader, the first connection) outside the counts.
    bulk.check_readings(small[:1], actor, NOW)

    with count_queries() as few:
        bulk.write_readings(small, actor, NOW)
    assert actor.role  # reloaded after the commit, outside the count
    with count_queries() as many:
        bulk.write_readings(large, actor, NOW)

    assert db.session.scalar(select(func.count()).select_from(Reading)) == 48
    assert many.count == few.count, "\n".join(s[:120] for s in many.statements)
