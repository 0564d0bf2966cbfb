"""The API takes and returns group values on reading create and correct; GET /dimensions."""
from decimal import Decimal

from sqlalchemy import select

from contracts_app.dimensions.models import ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, Reading
from tests.api.conftest import ApiClient, make_token  # noqa: F401
from tests.metrics.test_readings import started_periods


def _client(app, user):
    return ApiClient(app, make_token(user))


def test_dimensions_are_listed_with_their_groups(app, users, districts):
    body = _client(app, users["viewer"]).get("/api/v1/dimensions").get_json()
    assert body["items"][0]["name"] == "Council district"
    assert [g["name"] for g in body["items"][0]["groups"]] == ["District 1", "District 2", "District 3"]


def test_a_reading_is_created_and_corrected_with_group_values(app, users, metric, districts):
    api = _client(app, users["contract_manager"])
    one, two, three = [g.id for g in districts.groups]
    groups = [{"group_id": one, "value": 1}, {"group_id": two, "value": "2"}, {"group_id": three, "value": 3}]
    start = started_periods(metric)[0].start.isoformat()
    bad = api.post(f"/api/v1/metrics/{metric.id}/readings", {"period_start": start, "value": 7, "groups": groups})
    assert bad.status_code == 422 and "add up to 6 but the total is 7" in bad.get_json()["error"]["message"]
    assert db.session.query(Reading).count() == 0
    created = api.post(f"/api/v1/metrics/{metric.id}/readings", {"period_start": start, "value": 6, "groups": groups})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["groups"] == [{"group_id": one, "value": "1"}, {"group_id": two, "value": "2"}, {"group_id": three, "value": "3"}]
    # The total alone cannot move away from its groups.
    stale = api.patch(f"/api/v1/readings/{body['id']}", {"value": 9, "note": "typo"})
    assert stale.status_code == 422 and "add up to 6 but the total is 9" in stale.get_json()["error"]["message"]
    groups[2]["value"] = 6
    fixed = api.patch(f"/api/v1/readings/{body['id']}", {"value": 9, "note": "District 3 late", "groups": groups})
    assert fixed.status_code == 200, fixed.get_json()
    assert fixed.get_json()["groups"][2] == {"group_id": three, "value": "6"}
    assert db.session.scalar(select(ReadingGroupValue.value).where(ReadingGroupValue.group_id == three)) == Decimal(6)


def test_a_group_of_another_dimension_is_refused(app, users, metric):
    api = _client(app, users["contract_manager"])
    start = started_periods(metric)[0].start.isoformat()
    response = api.post(f"/api/v1/metrics/{metric.id}/readings", {"period_start": start, "value": 6, "groups": [{"group_id": 999, "value": 6}]})
    assert response.status_code == 422 and "not a group of this metric" in response.get_json()["error"]["message"]


def test_a_metric_is_created_as_a_count_by_dimension(app, users, contract, districts):
    api = _client(app, users["procurement_officer"])
    response = api.post(f"/api/v1/contracts/{contract.id}/metrics", {
        "name": "Meals", "unit": "count", "direction": "increase", "baseline_value": 0, "target_value": 100,
        "is_count": True, "dimension_ids": [districts.id],
    })
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["is_count"] is True
    metric = db.session.get(Metric, response.get_json()["id"])
    assert [d.id for d in metric.dimensions] == [districts.id]


def test_the_batch_takes_group_values_all_or_nothing(app, users, metric, districts):
    from contracts_app.metrics.models import ReadingRevision
    api = _client(app, users["contract_manager"])
    one, two, three = [g.id for g in districts.groups]
    first, second = [p.start.isoformat() for p in started_periods(metric)[:2]]
    good = [{"group_id": one, "value": 1}, {"group_id": two, "value": 2}, {"group_id": three, "value": 3}]
    bad = api.post("/api/v1/readings/batch", {"readings": [
        {"metric_id": metric.id, "period_start": first, "value": 6, "groups": good},
        {"metric_id": metric.id, "period_start": second, "value": 5, "groups": good},
    ]})
    assert bad.status_code == 422
    assert "add up to 6 but the total is 5" in bad.get_json()["error"]["fields"]["readings.1.groups"]
    assert db.session.query(Reading).count() == 0
    ok = api.post("/api/v1/readings/batch", {"readings": [
        {"metric_id": metric.id, "period_start": first, "value": 6, "groups": good},
        {"metric_id": metric.id, "period_start": second, "value": 4},
    ]})
    assert ok.status_code == 201, ok.get_json()
    assert db.session.query(ReadingGroupValue).count() == 3
    # A correction of the total alone must still agree with the stored groups...
    stale = api.post("/api/v1/readings/batch", {"readings": [
        {"metric_id": metric.id, "period_start": first, "value": 7, "note": "recount"}]})
    assert stale.status_code == 422 and "add up to 6 but the total is 7" in stale.get_json()["error"]["fields"]["readings.0.groups"]
    # ...and a correction with groups replaces them, the old ones kept in the history.
    good[2]["value"] = 4
    fixed = api.post("/api/v1/readings/batch", {"readings": [
        {"metric_id": metric.id, "period_start": first, "value": 7, "note": "recount", "groups": good}]})
    assert fixed.status_code == 201, fixed.get_json()
    assert db.session.scalar(select(ReadingGroupValue.value).where(ReadingGroupValue.group_id == three)) == 4
    assert db.session.scalar(select(ReadingRevision.group_values)) == {str(one): "1", str(two): "2", str(three): "3"}
