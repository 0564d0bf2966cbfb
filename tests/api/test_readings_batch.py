"""POST /api/v1/readings/batch: up to 1,000 readings, all written or none, every problem by index."""
from datetime import timedelta

from sqlalchemy import func, select

from contracts_app.api import idempotency
from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.querycount import count_queries

URL = "/readings/batch"


def _count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Reading))


def _month(city, n):
    return rules.add_months(city.start, n).isoformat()


def test_it_records_new_readings_and_corrections_in_one_go(api_as, api_city):
    manager = api_as("contract_manager")
    metric = api_city.metric.id
    body = {"readings": [
        {"metric_id": metric, "period_start": _month(api_city, 1), "value": 25},
        {"metric_id": metric, "period_start": _month(api_city, 2), "value": "26.5", "note": "From the feed"},
        {"metric_id": metric, "period_start": api_city.start.isoformat(), "value": 22, "note": "Recount", "version": 1},
    ]}

    response = manager.post(URL, body)

    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert (answer["recorded"], answer["corrected"], answer["unchanged"]) == (2, 1, 0)
    items = answer["items"]
    assert [i["result"] for i in items] == ["recorded", "recorded", "corrected"]
    assert [i["version"] for i in items] == [1, 1, 2]
    assert items[2]["id"] == api_city.reading.id and items[2]["value"] == "22"
    assert all(i["status"] in ("on_track", "at_risk", "off_track") for i in items)
    assert _count() == 4  # the city's two and these two
    assert db.session.scalar(select(func.count()).select_from(ReadingRevision)) == 1
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "reading")).all()
    assert sorted(actions) == ["create", "create", "update"]

    # The same again: every item is now unchanged, nothing is written.
    body["readings"][2].pop("version")
    again = manager.post(URL, body).get_json()
    assert [i["result"] for i in again["items"]] == ["unchanged"] * 3


def test_it_writes_nothing_and_names_every_problem_by_index(api_as, api_city):
    manager = api_as("contract_manager")
    metric = api_city.metric.id
    future = rules.add_months(api_city.today.replace(day=1), 2).isoformat()
    body = {"readings": [
        {"metric_id": metric, "period_start": _month(api_city, 1), "value": 25},  # fine on its own
        {"metric_id": metric, "period_start": _month(api_city, 1), "value": 26},  # the same period again
        {"metric_id": metric, "period_start": future, "value": 5},  # not started
        {"metric_id": metric, "period_start": api_city.start.isoformat(), "value": 30},  # a correction without a note
        {"metric_id": metric, "period_start": api_city.start.isoformat(), "value": 30, "note": "x", "version": 7},
        {"metric_id": 999999, "period_start": _month(api_city, 3), "value": 5},
    ]}

    response = manager.post(URL, body)

    assert response.status_code == 422
    error = response.get_json()["error"]
    found = [(e["index"], e["field"]) for e in error["errors"]]
    assert found == [(1, "period_start"), (2, "period_start"), (3, "note"), (4, "period_start"), (5, "metric_id")]
    assert "is also in item 0" in error["errors"][0]["message"]
    assert error["fields"]["readings.3.note"].startswith("This period already has a reading")
    assert _count() == 2


def test_a_stale_version_is_named_on_its_item(api_as, api_city):
    body = {"readings": [{"metric_id": api_city.metric.id, "period_start": api_city.start.isoformat(), "value": 30,
                          "note": "Recount", "version": 3}]}
    error = api_as("contract_manager").post(URL, body).get_json()["error"]
    assert error["errors"][0]["field"] == "version"
    assert "changed since you downloaded it" in error["errors"][0]["message"]


def test_shape_errors_are_named_by_index_too(api_as, api_city):
    body = {"readings": [
        {"metric_id": api_city.metric.id, "period_start": _month(api_city, 1), "value": 5},
        {"metric_id": api_city.metric.id, "period_start": "soon", "value": "lots"},
    ]}
    error = api_as("contract_manager").post(URL, body).get_json()["error"]
    assert {(e["index"], e["field"]) for e in error["errors"]} == {(1, "period_start"), (1, "value")}
    assert _count() == 2


def test_it_refuses_an_empty_batch_and_more_than_1000(api_as, api_city):
    manager = api_as("contract_manager")
    for readings in ([], [{"metric_id": api_city.metric.id, "period_start": _month(api_city, 1), "value": 1}] * 1001):
        response = manager.post(URL, {"readings": readings})
        assert response.status_code == 422
        assert "Send from 1 to 1,000 readings in one batch." in response.get_json()["error"]["fields"]["readings"]


def test_any_metric_of_another_managers_contract_is_403(api_as, api_city):
    body = {"readings": [
        {"metric_id": api_city.metric.id, "period_start": _month(api_city, 1), "value": 5},
        {"metric_id": api_city.other_metric.id, "period_start": _month(api_city, 1), "value": 5},
    ]}
    response = api_as("contract_manager").post(URL, body)
    assert response.status_code == 403
    assert f"{api_city.other_contract.reference} (items 1)" in response.get_json()["error"]["message"]
    assert _count() == 2


def _weekly_items(factory, api_city):
    """Readings of ten weekly metrics on a contract of the manager's that began three years ago:
    each started week in turn, the ten metrics of each week together."""
    start = rules.add_months(api_city.today.replace(day=1), -36)
    contract = factory.make_contract(start_date=start, end_date=api_city.end,
                                     contract_manager_id=api_city.manager.id)
    metrics = [factory.make_metric(contract, name=f"Weekly {n}", cadence="weekly") for n in range(10)]
    weeks = [p for p in rules.periods(start, api_city.end, "weekly") if p.start <= api_city.today - timedelta(days=7)]
    return [[{"metric_id": m.id, "period_start": week.start.isoformat(), "value": 20 + n % 7} for m in metrics]
            for n, week in enumerate(weeks)]


def test_a_batch_of_1000_runs_as_many_statements_as_a_batch_of_10(api_as, api_city, factory):
    weeks = _weekly_items(factory, api_city)
    assert len(weeks) >= 102
    manager = api_as("contract_manager")
    # The first request's one-off loads outside the counts; and every metric then has a reading.
    manager.post(URL, {"readings": weeks[0]})

    with count_queries() as few:
        assert manager.post(URL, {"readings": weeks[1]}).status_code == 201
    with count_queries() as many:
        response = manager.post(URL, {"readings": [item for week in weeks[2:102] for item in week]})

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["recorded"] == 1000
    assert many.count == few.count, "\n".join(s[:100] for s in many.statements)


def test_a_retried_batch_with_its_idempotency_key_replays_the_answer_and_writes_once(api_as, api_city):
    manager = api_as("contract_manager")
    metric = api_city.metric.id
    body = {"readings": [
        {"metric_id": metric, "period_start": _month(api_city, 1), "value": 25},
        {"metric_id": metric, "period_start": api_city.start.isoformat(), "value": 22, "note": "Recount", "version": 1},
    ]}
    headers = {idempotency.HEADER: "batch-2026-11-feed"}

    first = manager.post(URL, body, headers=headers)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    again = manager.post(URL, body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert again.get_json() == first.get_json()
    assert _count() == 3 and db.session.scalar(select(func.count()).select_from(ReadingRevision)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events  # nothing written again
    # Without the key the same batch is judged afresh: both items are now as stored.
    fresh = manager.post(URL, body)
    assert fresh.status_code == 201 and idempotency.REPLAYED_HEADER not in fresh.headers
    assert [i["result"] for i in fresh.get_json()["items"]] == ["unchanged", "unchanged"]
