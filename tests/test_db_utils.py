"""db_utils: the end of a request's transaction (a read-only one is committed on PostgreSQL so
that the driver keeps its prepared statements, one that wrote is still rolled back), the claim
insert, driver statements and the row lookups built on them."""
from decimal import Decimal

import pytest

from sqlalchemy import bindparam, select, text, update

from contracts_app.auth.models import User
from contracts_app.db_utils import end_read_only_transaction


def test_a_transaction_that_wrote_is_not_committed_at_the_end(db, factory):
    user = factory.make_user("viewer", name="Before")
    db.session.execute(update(User).where(User.id == user.id).values(name="Written, not committed"))
    end_read_only_transaction()
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Before"

    user.name = "Pending"  # unflushed
    end_read_only_transaction()
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.id == user.id)) == "Before"


def test_a_read_only_request_keeps_the_connections_prepared_statements(app, db, backend, factory, users):
    if backend != "postgresql":
        pytest.skip("prepared statements are psycopg's")
    from tests.api.conftest import ApiClient, make_token

    contract_id = factory.make_contract().id
    client = ApiClient(app, make_token(users["viewer"]))
    db.session.remove()
    for _ in range(8):  # psycopg prepares a statement on its fifth execution
        assert client.get(f"/contracts/{contract_id}").status_code == 200
    prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared > 0


def _notification(user_id, key, now, **extra):
    return dict(
        recipient_id=user_id, kind="flag_opened", dedupe_key=key, subject=f"About {key}", body="", link="",
        contract_id=None, flag_id=None, checkin_id=None, metric_id=None, period_start=None,
        payload=extra.get("payload"), created_at=now, next_attempt_at=now, attempts=0,
    )


def test_the_claim_insert_returns_only_the_rows_it_inserted_in_the_order_given(db, factory):
    from datetime import date, datetime, timezone

    from contracts_app.db_utils import insert_many_ignoring_conflicts
    from contracts_app.notifications.models import Notification

    now = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
    user = factory.make_user("viewer")
    existing = insert_many_ignoring_conflicts(
        Notification, [_notification(user.id, "k2", now)], ["dedupe_key"], ["dedupe_key"]
    )
    assert existing == [("k2",)]

    rows = [
        _notification(user.id, "k3", now, payload={"kind": "off_track", "n": 1}),
        _notification(user.id, "k1", now),
        _notification(user.id, "k2", now),  # stored already: skipped
        _notification(user.id, "k3", now),  # twice in one call: the first one counts
        _notification(user.id, "k4", now),
    ]
    rows[4]["period_start"] = date(2026, 2, 1)
    claimed = insert_many_ignoring_conflicts(Notification, rows, ["dedupe_key"], ["id", "dedupe_key"])

    assert sorted(key for _, key in claimed) == ["k1", "k3", "k4"]
    stored = db.session.execute(
        select(Notification.dedupe_key, Notification.payload, Notification.period_start, Notification.created_at)
        .where(Notification.dedupe_key != "k2").order_by(Notification.id)
    ).all()
    # Inserted in the order given (ids follow it), with the values of the first of each key.
    assert [row.dedupe_key for row in stored] == ["k3", "k1", "k4"]
    assert stored[0].payload == {"kind": "off_track", "n": 1}
    assert stored[1].payload is None
    assert stored[2].period_start == date(2026, 2, 1)
    assert stored[0].created_at == now
    assert insert_many_ignoring_conflicts(Notification, rows, ["dedupe_key"], ["dedupe_key"]) == []
    assert insert_many_ignoring_conflicts(Notification, [], ["dedupe_key"], ["dedupe_key"]) == []


def test_a_driver_statement_gives_what_session_execute_gives_and_its_errors(db, backend, factory, monkeypatch):
    """Values go in and come out through the columns' types (a UTC timestamp given in another
    zone, JSON, a Numeric), as through session.execute; a driver error is SQLAlchemy's."""
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    from sqlalchemy import bindparam, insert
    from sqlalchemy.exc import IntegrityError

    from contracts_app.audit.models import AuditEvent
    from contracts_app.db_utils import DriverStatement
    from contracts_app.metrics.models import Reading

    user = factory.make_user("viewer")
    events = AuditEvent.__table__
    add = DriverStatement(insert(events).returning(events.c.id, events.c.created_at, events.c.after))
    paris = timezone(timedelta(hours=1))
    values = {"actor_id": user.id, "action": "update", "entity_type": "reading", "entity_id": 7, "contract_id": None,
              "summary": "s", "before": None, "after": {"value": "1.5", "groups": {"3": "2"}},
              "created_at": datetime(2026, 3, 2, 16, 30, tzinfo=paris)}
    (event_id, created_at, after), = add.execute(values)
    assert created_at == datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc) and created_at.tzinfo == timezone.utc
    assert after == {"value": "1.5", "groups": {"3": "2"}}
    read = select(events.c.created_at, events.c.before, events.c.after).where(events.c.id == bindparam("event_id"))
    assert DriverStatement(read).execute({"event_id": event_id}) == [tuple(db.session.execute(read, {"event_id": event_id}).one())]

    metric = factory.make_metric()
    reading = factory.make_reading(metric, metric.contract.start_date, "12.5")
    value = select(Reading.value, Reading.recorded_at).where(Reading.id == bindparam("reading_id"))
    rows = DriverStatement(value).execute({"reading_id": reading.id})
    assert rows == [tuple(db.session.execute(value, {"reading_id": reading.id}).one())]
    assert rows[0][0] == Decimal("12.5") and rows[0][1].tzinfo == timezone.utc
    db.session.commit()

    duplicate = DriverStatement(insert(Reading.__table__))
    with pytest.raises(IntegrityError):
        duplicate.execute({"metric_id": metric.id, "period_start": reading.period_start, "period_end": reading.period_end,
                           "value": 1, "note": "", "status": "on_track", "recorded_at": created_at, "version": 1})
    db.session.rollback()


def _reading_lookup():
    from contracts_app.contracts.models import Contract
    from contracts_app.db_utils import RowLookup, loaded_keys
    from contracts_app.metrics.models import Metric, Reading

    metric_keys = loaded_keys(Metric)
    contract_keys = loaded_keys(Contract, only={"end_date"})
    return RowLookup(
        select(*(getattr(Metric, key) for key in metric_keys), *(getattr(Contract, key) for key in contract_keys),
               Reading.value)
        .join(Contract, Contract.id == Metric.contract_id)
        .join(Reading, Reading.metric_id == Metric.id)
        .where(Reading.id == bindparam("id")),
        [(Metric, metric_keys), (Contract, contract_keys)],
        relations=[(0, "contract", 1)],
    ), contract_keys


def test_loaded_keys_are_all_columns_or_those_named_and_the_primary_key():
    from contracts_app.contracts.models import Contract
    from contracts_app.db_utils import loaded_keys

    every = loaded_keys(Contract)
    assert "id" in every and "title" in every and "end_date" in every
    assert loaded_keys(Contract, only={"end_date"}) == ["id", "end_date"]


def test_a_row_lookup_builds_the_objects_a_query_would_give_without_loading_them(db, backend, factory):
    """A new identity: an object in the session, persistent, not dirty, its selected columns
    loaded without another statement, the others loaded on first use, the relation set."""
    from sqlalchemy import inspect as sa_inspect

    from tests.querycount import count_queries

    metric = factory.make_metric(name="Potholes filled")
    reading = factory.make_reading(metric, metric.contract.start_date, "12.5")
    contract_id, metric_id, title = metric.contract_id, metric.id, metric.contract.title
    end_date, reading_id = metric.contract.end_date, reading.id
    db.session.commit()
    db.session.expunge_all()
    lookup, contract_keys = _reading_lookup()

    with count_queries() as counter:
        (found_metric, found_contract), (value,) = lookup.first({"id": reading_id})
        assert found_metric.name == "Potholes filled" and found_metric.contract is found_contract
        assert found_contract.id == contract_id and found_contract.end_date == end_date
    assert counter.count == (0 if backend == "postgresql" else 1), counter.statements
    assert value == Decimal("12.5") and found_metric.id == metric_id
    state = sa_inspect(found_metric)
    assert state.persistent and found_metric not in db.session.dirty and not db.session.new
    assert "title" not in sa_inspect(found_contract).dict
    with count_queries() as counter:
        assert found_contract.title == title  # loaded on first use
    assert counter.count == 1
    assert db.session.get(type(found_metric), metric_id) is found_metric  # the session's identity

    found_metric.name = "Renamed"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(type(found_metric), metric_id).name == "Renamed"  # changes flush as usual

    assert lookup.first({"id": reading_id + 1000}) is None


def test_a_row_lookup_keeps_an_object_the_session_has_and_its_pending_changes(db, factory):
    """An identity the session holds: the same object, a pending change kept (a query without
    populate_existing), an expired column filled from the row, a loaded relation left alone."""
    from sqlalchemy import inspect as sa_inspect

    metric = factory.make_metric(name="Potholes filled", unit="holes")
    reading = factory.make_reading(metric, metric.contract.start_date, "12.5")
    own_contract_id = metric.contract_id
    other = factory.make_contract(title="Another")
    db.session.commit()
    held = db.session.get(type(metric), metric.id)
    lookup, _ = _reading_lookup()
    with db.session.no_autoflush:  # the row then differs from the object
        held.unit = "changed, not flushed"
        held.contract = other
        db.session.expire(held, ["name"])
        (found_metric, found_contract), _ = lookup.first({"id": reading.id})
    assert found_metric is held
    assert held.unit == "changed, not flushed" and held in db.session.dirty
    assert "name" in sa_inspect(held).dict and held.name == "Potholes filled"
    assert held.contract is other and found_contract.id == own_contract_id
    db.session.rollback()


def test_keep_values_leaves_the_object_as_set_committed_value_would(db, factory):
    """Loaded, with no history: on a clean object (one step), on one with a pending change of
    another attribute or of the same one, and on an expired one (key by key)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm.attributes import set_committed_value

    from contracts_app.db_utils import keep_values

    def by_key(obj, values):
        for key, value in values.items():
            set_committed_value(obj, key, value)

    def state_after(setup, values, keep=keep_values):
        metric = factory.make_metric(name="Before", unit="holes")
        setup(metric)
        keep(metric, values)
        state = sa_inspect(metric)
        result = ({key: state.dict.get(key) for key in ("name", "unit")},
                  set(state.committed_state), set(state.expired_attributes) & {"name", "unit"},
                  metric in db.session.dirty)
        db.session.rollback()
        return result

    def clean(metric):
        assert metric.name == "Before"

    def pending_other(metric):
        clean(metric)
        metric.unit = "changed"

    def pending_same(metric):
        clean(metric)
        metric.name = "Pending"

    def expired(metric):
        clean(metric)
        db.session.expire(metric, ["name"])

    for setup in (clean, pending_other, pending_same, expired):
        expected = state_after(setup, {"name": "Kept"}, by_key)
        assert state_after(setup, {"name": "Kept"}) == expected, setup.__name__
        assert expected[0]["name"] == "Kept"
    assert state_after(pending_other, {"name": "Kept"}, by_key)[1:] == ({"unit"}, set(), True)
    assert state_after(clean, {"name": "Kept"}, by_key)[1:] == (set(), set(), False)


def test_a_refreshing_row_lookup_gives_the_row_as_read_like_populate_existing(db, factory):
    """A part in ``refresh`` that the session holds takes every value of the row (a value loaded
    before another connection changed it, a pending change), its relationships reloaded on
    next use, the lookup's relation set; a new one is built as without ``refresh``."""
    from sqlalchemy import inspect as sa_inspect

    from contracts_app.db_utils import RowLookup, loaded_keys
    from contracts_app.metrics.models import Metric, Reading

    metric = factory.make_metric()
    reading = factory.make_reading(metric, metric.contract.start_date, "12.5")
    other = factory.make_reading(metric, metric.contract.end_date.replace(day=1), "3")
    reading_keys, metric_keys = loaded_keys(Reading), loaded_keys(Metric)
    lookup = RowLookup(
        select(*(getattr(Reading, key) for key in reading_keys), *(getattr(Metric, key) for key in metric_keys))
        .join(Metric, Metric.id == Reading.metric_id).where(Reading.id == bindparam("id")),
        [(Reading, reading_keys), (Metric, metric_keys)], relations=[(0, "metric", 1)], refresh={0},
    )
    held = db.session.get(Reading, reading.id)
    assert held.metric is metric and held.revisions == []
    with db.engine.begin() as elsewhere:  # another connection changes the row
        elsewhere.execute(update(Reading).where(Reading.id == reading.id).values(note="From elsewhere"))
    held.value = Decimal("99")  # pending, not flushed
    with db.session.no_autoflush:
        (found, found_metric), _ = lookup.first({"id": reading.id})
    assert found is held and found.note == "From elsewhere" and found.value == Decimal("12.5")
    assert not db.session.is_modified(held)  # the pending value discarded, as set_committed_value does
    assert "revisions" not in sa_inspect(held).dict and found.metric is found_metric is metric
    other_id = other.id
    db.session.expunge(other)
    (new, _), _ = lookup.first({"id": other_id})
    assert new is not other and new.value == Decimal("3") and new.metric is metric
    db.session.rollback()
