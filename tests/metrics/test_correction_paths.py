"""A correction writes the same rows whichever way its statements run: on PostgreSQL on the
driver's cursor (db_utils.DriverStatement) with the swap, the revision and the metric's latest
reading in one statement, the metric's status and the contract's health inputs in one, the
contract's health and the audit event in one; or through session.execute one by one, as on
SQLite."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract
from contracts_app import db_utils
from contracts_app.db_utils import DriverStatement
from contracts_app.dimensions import services as dimensions
from contracts_app.dimensions.models import ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.metrics import services
from contracts_app.metrics.models import Metric, Reading, ReadingRevision
from contracts_app.metrics.rules import periods
from tests.metrics.helpers import at, recent_term

NOW = at(2026, 1, 15)


def _city(factory, users, districts, name):
    """A contract whose metric (by district, with an explicit target on its first period) has
    two readings, the first with group values, and a missed milestone."""
    start, end = recent_term()
    contract = factory.make_contract(start_date=start, end_date=end, contract_manager_id=users["contract_manager"].id)
    terms = periods(start, end, "monthly")
    metric = factory.make_metric(contract, name=name, baseline_value=Decimal(0), target_value=Decimal(30),
                                 is_count=True, targets={terms[0].start: 20})
    dimensions.set_metric_dimensions(metric, users["procurement_officer"], [districts.id])
    first = factory.make_reading(metric, terms[0].start, 18, recorded_at=NOW - timedelta(days=40))
    one, two, _three = [g.id for g in districts.groups]
    dimensions.write_group_values(first.id, {one: Decimal(8), two: Decimal(10)})
    latest = factory.make_reading(metric, terms[1].start, 25, recorded_at=NOW - timedelta(days=10))
    factory.make_milestone(contract, due_date=start + timedelta(days=20), status="scheduled")
    db.session.commit()
    return first.id, latest.id


def _correct_and_read_back(reading_id, users, value, note, groups=None):
    reading = db.session.get(Reading, reading_id)
    correction = services.correct_reading_values(
        reading, users["procurement_officer"], value, note, now=NOW, expected_version=1, groups=groups,
    )
    answer = {
        **{k: v for k, v in correction.values.items() if k not in ("id", "metric_id")},
        "target": correction.target, "attainment": correction.attainment, "corrections": correction.corrections,
        "recorded_by": correction.recorded_by, "groups": correction.groups,
    }
    db.session.expire_all()
    stored = db.session.get(Reading, reading_id)
    metric = db.session.get(Metric, stored.metric_id)
    contract = db.session.get(Contract, metric.contract_id)
    revisions = [
        {c.key: getattr(r, c.key) for c in ReadingRevision.__table__.c if c.key not in ("id", "reading_id")}
        for r in db.session.scalars(select(ReadingRevision).where(ReadingRevision.reading_id == reading_id))
    ]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "reading", AuditEvent.entity_id == reading_id)
    ).one()

    def without_ids(snapshot):
        return {k: v for k, v in snapshot.items() if k not in ("id", "metric_id")}

    groups = dict(db.session.execute(
        select(ReadingGroupValue.group_id, ReadingGroupValue.value).where(ReadingGroupValue.reading_id == reading_id)
    ).all())
    return {
        "answer": answer,
        "reading": {c.key: getattr(stored, c.key) for c in Reading.__table__.c if c.key not in ("id", "metric_id")},
        "groups": groups,
        "revisions": revisions,
        "metric": (metric.status, metric.status_period_start, metric.status_updated_at),
        "health": (contract.health, contract.health_updated_at),
        "event": (event.action, event.actor_id, event.summary.replace(metric.name, "M"), without_ids(event.before),
                  without_ids(event.after)),
    }


def _count_driver_runs(monkeypatch):
    runs = []
    run = db_utils._DriverSql.run

    def counted(self, connection, params):
        runs.append(self.sql.split()[0])
        return run(self, connection, params)

    monkeypatch.setattr(db_utils._DriverSql, "run", counted)
    return runs


@pytest.mark.parametrize("groups", [None, "changed"])
def test_a_correction_writes_the_same_rows_on_the_driver_and_through_the_session(
        app, backend, factory, users, monkeypatch, groups):
    if backend != "postgresql":
        pytest.skip("SQLite runs every statement through the session")
    districts = dimensions.create_dimension(users["procurement_officer"], "Council district", "D1\nD2\nD3")
    one, two, three = [g.id for g in districts.groups]
    new_groups = [{"group_id": one, "value": "9.5"}, {"group_id": three, "value": 10}] if groups else None
    fast_id, _latest = _city(factory, users, districts, "Fast")
    generic_id, _latest = _city(factory, users, districts, "Generic")

    runs = _count_driver_runs(monkeypatch)
    fast = _correct_and_read_back(fast_id, users, Decimal("19.5"), "Recount", new_groups)
    if not groups:
        # The lock, the reads after it, the swap (with the revision and the latest reading),
        # the metric's status (with the health inputs), the contract's health (with the event).
        assert runs == ["SELECT", "SELECT", "WITH", "WITH", "WITH"]
    monkeypatch.setattr(DriverStatement, "enabled", False)
    generic = _correct_and_read_back(generic_id, users, Decimal("19.5"), "Recount", new_groups)

    for key in fast:
        assert (key, fast[key]) == (key, generic[key])
    assert fast["reading"]["version"] == 2 and fast["reading"]["value"] == Decimal("19.5")
    assert len(fast["revisions"]) == 1 and fast["revisions"][0]["value"] == Decimal(18)
    assert fast["answer"]["corrections"] == 1 and fast["answer"]["target"] == Decimal(20)
    if groups:
        assert fast["groups"] == {one: Decimal("9.5"), three: Decimal(10)} and fast["answer"]["groups"] is None
    else:
        assert fast["groups"] == {one: Decimal(8), two: Decimal(10)} == fast["answer"]["groups"]
    assert fast["revisions"][0]["group_values"] == {str(one): "8", str(two): "10"}


@pytest.mark.parametrize("value", [Decimal(1), Decimal(29)])
def test_correcting_the_latest_reading_stores_the_same_statuses_on_the_driver_and_through_the_session(
        app, backend, factory, users, monkeypatch, value):
    """The metric's status comes from its latest reading, read in the swap's statement on the
    driver (as it was before the swap): when that is the corrected reading, its new status."""
    if backend != "postgresql":
        pytest.skip("SQLite runs every statement through the session")
    districts = dimensions.create_dimension(users["procurement_officer"], "Council district", "D1\nD2\nD3")
    _first, fast_id = _city(factory, users, districts, "Fast")
    _first, generic_id = _city(factory, users, districts, "Generic")
    before = db.session.get(Reading, fast_id).status

    fast = _correct_and_read_back(fast_id, users, value, "Recount")
    monkeypatch.setattr(DriverStatement, "enabled", False)
    generic = _correct_and_read_back(generic_id, users, value, "Recount")

    for key in fast:
        assert (key, fast[key]) == (key, generic[key])
    assert fast["metric"][0] == fast["reading"]["status"]
    if value == 1:
        assert fast["reading"]["status"] != before  # the status the metric takes is the new one


def test_after_a_correction_in_statements_the_objects_stay_loaded_with_what_was_stored(
        app, backend, factory, users):
    """The correction commits without expiring the session's objects (db_utils.
    commit_keeping_objects): the reading, its metric and the contract then hold, column by
    column, what another connection reads from their rows; the session expires on commit
    again afterwards."""
    from sqlalchemy import inspect as sa_inspect

    if backend != "postgresql":
        pytest.skip("SQLite's correction commits as usual (its statements run through the session)")
    districts = dimensions.create_dimension(users["procurement_officer"], "Council district", "D1\nD2\nD3")
    first_id, _latest = _city(factory, users, districts, "Kept")
    reading = db.session.get(Reading, first_id)
    metric, contract = reading.metric, reading.metric.contract
    services.correct_reading_values(reading, users["procurement_officer"], Decimal("19.5"), "Recount", now=NOW)

    assert db.session().expire_on_commit
    for obj in (reading, metric, contract):
        state = sa_inspect(obj)
        loaded = {attr.key for attr in state.mapper.column_attrs} & state.dict.keys()
        assert {"id", "status"} <= loaded, obj
        table = state.mapper.local_table
        with db.engine.connect() as elsewhere:
            row = elsewhere.execute(select(table).where(table.c.id == obj.id)).mappings().one()
        held = {key: state.dict[key] for key in loaded}
        assert held == {key: row[state.mapper.get_property(key).columns[0].key] for key in loaded}, obj
    assert reading.value == Decimal("19.5") and reading.version == 2
    db.session.commit()  # a later commit expires as usual
    assert "value" not in sa_inspect(reading).dict
