"""Metrics and readings through the API: the metric services judge, store statuses and audit."""
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Reading

PLACEMENTS = {
    "name": "Placements", "unit": "count", "direction": "increase", "baseline_value": 18, "target_value": "30",
    "cadence": "monthly", "due_days": 10, "payment_linked": True,
}


def test_it_adds_a_metric_and_names_every_problem_at_once(api_as, api_city, users):
    officer = api_as("procurement_officer")
    url = f"/contracts/{api_city.contract.id}/metrics"
    response = officer.post(url, {**PLACEMENTS, "target_value": 10, "at_risk_pct": 120, "direction": "increase"})
    assert response.status_code == 422
    assert {"target_value", "at_risk_pct"} <= set(response.get_json()["error"]["fields"])

    response = officer.post(url, PLACEMENTS)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["name"], body["target_value"], body["on_track_pct"], body["status"], body["warnings"]) == (
        "Placements", "30", "100", "overdue", [])  # the term began a year ago
    assert body["position"] == 1 and body["payment_linked"] is True
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "metric"))
    assert event.actor_id == users["procurement_officer"].id

    for n in range(3):
        officer.post(url, {**PLACEMENTS, "name": f"Metric {n}"})
    assert "three to five" in officer.post(url, {**PLACEMENTS, "name": "One too many"}).get_json()["warnings"][0]
    items = officer.get(url).get_json()["items"]
    assert [m["position"] for m in items] == list(range(6))


def test_it_records_readings_and_answers_409_for_a_recorded_period(api_as, api_city, users):
    manager = api_as("contract_manager")
    # This month's period: once it has a reading no later period is due, so the metric's
    # status is that reading's.
    period = api_city.today.replace(day=1).isoformat()
    url = f"/metrics/{api_city.metric.id}/readings"
    response = manager.post(url, {"period_start": period, "value": 5, "note": "Staff shortage"})
    assert response.status_code == 201
    reading = response.get_json()
    assert (reading["period_start"], reading["value"], reading["status"], reading["note"]) == (period, "5", "off_track", "Staff shortage")
    assert reading["recorded_by"]["id"] == users["contract_manager"].id
    assert reading["target"] and float(reading["attainment"]) < 90

    metric = manager.get(f"/metrics/{api_city.metric.id}").get_json()
    assert metric["status"] == "off_track" and metric["latest_reading"]["id"] == reading["id"]
    assert manager.get(f"/contracts/{api_city.contract.id}").get_json()["health"] == "off_track"

    again = manager.post(url, {"period_start": period, "value": 25})
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert (error["code"], error["existing_id"]) == ("reading_exists", reading["id"])
    assert "period_start" in error["fields"]

    for body, field in (
        ({"period_start": rules.add_months(api_city.today.replace(day=1), 1).isoformat(), "value": 5}, "period_start"),
        ({"period_start": "2001-01-01", "value": 5}, "period_start"),
        ({"period_start": rules.add_months(api_city.start, 1).replace(day=2).isoformat(), "value": 5}, "period_start"),
        ({"period_start": period}, "value"),
    ):
        response = manager.post(url, body)
        assert response.status_code in (409, 422) and field in response.get_json()["error"]["fields"], body
    assert db.session.query(Reading).count() == 3  # the city's two, and this one


def test_it_corrects_a_reading_keeping_its_history(api_as, api_city):
    officer = api_as("procurement_officer")
    url = f"/readings/{api_city.reading.id}"
    assert "note" in officer.patch(url, {"value": 25}).get_json()["error"]["fields"]
    response = officer.patch(url, {"value": 25, "note": "Late returns from the shelter"})
    assert response.status_code == 200
    assert (response.get_json()["value"], response.get_json()["corrections"]) == ("25", 1)
    # The same value and note again: nothing to correct against the stored reading (409, issue 12).
    again = officer.patch(url, {"value": 25, "note": "Late returns from the shelter"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "unchanged"
    (item,) = [r for r in officer.get(f"/metrics/{api_city.metric.id}/readings").get_json()["items"]]
    assert item["id"] == api_city.reading.id and item["corrections"] == 1


def test_a_correction_answers_the_reading_as_the_list_shows_it(api_as, api_city, factory):
    """The PATCH answer is read on its own (not from the metric's whole period table), with the
    same target, attainment and count of corrections as the list of readings; in a bounded
    number of statements whatever the number of readings."""
    from datetime import timedelta

    from contracts_app.metrics.models import MetricTarget
    from tests.querycount import count_queries

    officer = api_as("procurement_officer")
    metric = api_city.metric
    periods = rules.periods(api_city.contract.start_date, api_city.contract.end_date, metric.cadence)
    # An explicit target on the corrected reading's period, and a later reading.
    db.session.add(MetricTarget(metric=metric, period_start=api_city.reading.period_start, value=40))
    db.session.commit()
    later_id = factory.make_reading(metric, periods[1].start, 30).id

    def listed(reading_id):
        items = officer.get(f"/metrics/{metric.id}/readings").get_json()["items"]
        return next(item for item in items if item["id"] == reading_id)

    for reading_id, value in ((api_city.reading.id, 25), (api_city.reading.id, 35), (later_id, 31)):
        response = officer.patch(f"/readings/{reading_id}", {"value": value, "note": f"Recount {value}"})
        assert response.status_code == 200
        assert response.get_json() == listed(reading_id)
    assert listed(api_city.reading.id)["target"] == "40" and listed(api_city.reading.id)["corrections"] == 2

    with count_queries() as few:
        officer.patch(f"/readings/{later_id}", {"value": 32, "note": "Recount 32"})
    for period in periods[2:8]:
        factory.make_reading(metric, period.start, 30)
    with count_queries() as many:
        officer.patch(f"/readings/{later_id}", {"value": 33, "note": "Recount 33"})
    assert many.count == few.count

    # A reading left outside the term (the term moved): no target, as in the list.
    contract = api_city.contract
    contract.start_date = periods[1].start
    contract.end_date = periods[1].start + timedelta(days=400)
    db.session.commit()
    response = officer.patch(f"/readings/{api_city.reading.id}", {"value": 36, "note": "Recount 36"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["target"], body["attainment"]) == (None, None)
    assert body == listed(api_city.reading.id)


def test_a_metric_carries_how_its_target_was_set(api_as, api_city):
    officer = api_as("procurement_officer")
    url = f"/contracts/{api_city.contract.id}/metrics"
    body = officer.post(url, {**PLACEMENTS, "target_notes": " The baseline plus 12 "}).get_json()
    assert body["target_notes"] == "The baseline plus 12"
    assert officer.get(f"/metrics/{body['id']}").get_json()["target_notes"] == "The baseline plus 12"
    assert officer.post(url, {**PLACEMENTS, "target_notes": "x" * 5001}).status_code == 422
    assert officer.post(url, PLACEMENTS).get_json()["target_notes"] == ""
