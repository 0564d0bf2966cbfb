"""Issue 5's "done when", through the API and the CLI only: a script creates a contract with a
metric and readings far below target, `flask sweep` flags it, and the flag is at /api/v1/flags."""
from datetime import timedelta

from contracts_app.db_types import utcnow
from contracts_app.metrics import rules
from contracts_app.metrics.status import today_for
from tests.api.conftest import ApiClient


def test_a_script_creates_a_contract_the_sweep_flags(app, runner, users, factory):
    factory.make_priority(name="Housing first")  # the city's priorities exist already
    created = runner.invoke(args=["tokens", "create", users["procurement_officer"].email, "--name", "script"])
    assert created.exit_code == 0
    api = ApiClient(app, created.stdout.strip())

    now = utcnow()
    this_month = today_for(now).replace(day=1)
    start = rules.add_months(this_month, -5)
    (priority,) = api.get("/priorities").get_json()["items"]
    contract = api.post("/contracts", {
        "reference": "HS-2026-API", "title": "Street outreach", "department": "Human Services",
        "new_vendor_name": "Harbor Light", "value": 480000, "start_date": start.isoformat(),
        "end_date": (rules.add_months(start, 24) - timedelta(days=1)).isoformat(), "payment_structure": "performance_based",
        "payment_terms": "10% withheld until placements meet target", "problem": "People sleeping outside",
        "outcomes": "More placements into housing", "priority_ids": [priority["id"]],
    }).get_json()
    metric = api.post(f"/contracts/{contract['id']}/metrics", {
        "name": "Placements", "unit": "people", "direction": "increase", "baseline_value": 18, "target_value": 30,
    }).get_json()
    for months in range(6):
        response = api.post(f"/metrics/{metric['id']}/readings", {
            "period_start": rules.add_months(start, months).isoformat(), "value": 2,
        })
        assert response.status_code == 201 and response.get_json()["status"] == "off_track"

    assert api.get(f"/flags?status=open&contract={contract['id']}").get_json()["total"] == 0
    swept = runner.invoke(args=["sweep", "--now", now.isoformat()])
    assert swept.exit_code == 0, swept.output

    flags = api.get(f"/flags?status=open&contract={contract['id']}").get_json()["items"]
    off_track = [(f["severity"], f["metric_id"], f["period_start"]) for f in flags if f["kind"] == "off_track"]
    assert off_track == [("high", metric["id"], this_month.isoformat())]
    # Five months without a check-in is flagged too.
    assert {f["kind"] for f in flags} == {"off_track", "no_checkin"}
    assert api.get(f"/contracts/{contract['id']}").get_json()["health"] == "off_track"
