"""The dimensions pages: list for staff, create and edit for administrators and procurement officers."""
from sqlalchemy import select

from contracts_app.dimensions.models import Dimension
from contracts_app.extensions import db


def test_staff_see_the_dimensions_and_their_groups(client_as, districts):
    page = client_as("contract_manager").get("/dimensions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Council district" in html and "District 1, District 2, District 3" in html
    assert "/dimensions/new" not in html


def test_only_admins_and_procurement_officers_edit(client_as, districts):
    assert client_as("contract_manager").get("/dimensions/new").status_code == 403
    assert client_as("viewer").post("/dimensions/new", data={"name": "X", "groups": "a\nb"}).status_code == 403
    assert client_as("admin").get(f"/dimensions/{districts.id}/edit").status_code == 200


def test_a_procurement_officer_creates_a_dimension(po):
    response = po.post("/dimensions/new", data={"name": "Age band", "groups": "Under 25\n25 to 54\n55 and over\n"})
    assert response.status_code == 302
    dimension = db.session.scalar(select(Dimension).where(Dimension.name == "Age band"))
    assert [g.name for g in dimension.groups] == ["Under 25", "25 to 54", "55 and over"]


def test_bad_input_is_refused_with_a_message_and_nothing_saved(po, districts):
    page = po.post("/dimensions/new", data={"name": "Council district", "groups": "A\nB"})
    assert page.status_code == 200 and "already exists" in page.get_data(as_text=True)
    page = po.post("/dimensions/new", data={"name": "Age band", "groups": "A\nA"})
    assert "listed twice" in page.get_data(as_text=True)
    assert db.session.query(Dimension).count() == 1


def test_editing_shows_the_groups_one_a_line_and_saves_changes(po, districts):
    page = po.get(f"/dimensions/{districts.id}/edit").get_data(as_text=True)
    assert "District 1\nDistrict 2\nDistrict 3" in page
    response = po.post(f"/dimensions/{districts.id}/edit", data={"name": "Council district", "groups": "District 1\nDistrict 2\nDistrict 3\nDistrict 4"})
    assert response.status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Dimension, districts.id).groups) == 4


def _period(metric):
    from tests.metrics.test_readings import started_periods
    return started_periods(metric)[0]


def test_the_reading_form_takes_a_value_per_group(cm, metric, districts):
    from contracts_app.dimensions.models import ReadingGroupValue
    one, two, three = [g.id for g in districts.groups]
    page = cm.get(f"/metrics/{metric.id}/readings/new").get_data(as_text=True)
    assert "By Council district (optional)" in page and f'name="group-{three}"' in page
    bad = cm.post(f"/metrics/{metric.id}/readings/new", data={
        "period": _period(metric).start.isoformat(), "value": "9", f"group-{one}": "1", f"group-{two}": "2", f"group-{three}": "3",
    })
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "add up to 6 but the total is 9" in html and 'value="3"' in html
    assert db.session.query(ReadingGroupValue).count() == 0
    good = cm.post(f"/metrics/{metric.id}/readings/new", data={
        "period": _period(metric).start.isoformat(), "value": "6", f"group-{one}": "1", f"group-{two}": "2", f"group-{three}": "3",
    })
    assert good.status_code == 302
    assert db.session.query(ReadingGroupValue).count() == 3


def test_the_correction_form_shows_and_replaces_the_group_values(cm, metric, districts, users):
    from contracts_app.dimensions.models import ReadingGroupValue
    from contracts_app.metrics import services
    one, two, three = [g.id for g in districts.groups]
    reading = services.record_reading(metric, users["contract_manager"], _period(metric).start, "6",
                                      groups={one: "1", two: "2", three: "3"})
    page = cm.get(f"/readings/{reading.id}/edit").get_data(as_text=True)
    assert f'name="group-{three}" type="text" inputmode="decimal" value="3"' in page
    response = cm.post(f"/readings/{reading.id}/edit", data={
        "value": "7", "note": "late report", "version": "1", f"group-{one}": "1", f"group-{two}": "2", f"group-{three}": "4",
    })
    assert response.status_code == 302
    assert db.session.scalar(select(ReadingGroupValue.value).where(ReadingGroupValue.group_id == three)) == 4


def test_the_period_form_takes_a_value_per_group(cm, metric, contract, districts):
    from contracts_app.dimensions.models import ReadingGroupValue
    one, two, three = [g.id for g in districts.groups]
    day = _period(metric).start.isoformat()
    page = cm.get(f"/contracts/{contract.id}/readings?period={day}").get_data(as_text=True)
    assert f'name="readings-0-group-{one}"' in page
    response = cm.post(f"/contracts/{contract.id}/readings?period={day}", data={
        "readings-0-metric_id": str(metric.id), "readings-0-value": "5", "readings-0-note": "",
        f"readings-0-group-{one}": "1", f"readings-0-group-{two}": "1", f"readings-0-group-{three}": "1",
    })
    assert response.status_code == 200 and "add up to 3 but the total is 5" in response.get_data(as_text=True)
    response = cm.post(f"/contracts/{contract.id}/readings?period={day}", data={
        "readings-0-metric_id": str(metric.id), "readings-0-value": "5", "readings-0-note": "",
        f"readings-0-group-{one}": "1", f"readings-0-group-{two}": "1", f"readings-0-group-{three}": "3",
    })
    assert response.status_code == 302
    assert db.session.query(ReadingGroupValue).count() == 3


def test_the_metric_form_sets_count_and_dimensions(po, contract, districts):
    from contracts_app.metrics.models import Metric
    page = po.get(f"/contracts/{contract.id}/metrics/new").get_data(as_text=True)
    assert "Broken down by" in page and "Council district" in page
    response = po.post(f"/contracts/{contract.id}/metrics/new", data={
        "name": "Meals", "unit": "count", "direction": "increase", "baseline_value": "0", "target_value": "100",
        "cadence": "monthly", "due_days": "10", "on_track_pct": "100", "at_risk_pct": "90", "indicator_type": "lagging",
        "reported_by": "contract_manager", "is_count": "y", "dimension_ids": str(districts.id),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    metric = db.session.scalar(select(Metric).where(Metric.name == "Meals"))
    assert metric.is_count and [d.name for d in metric.dimensions] == ["Council district"]


def test_the_metric_page_shows_each_group_against_its_target(cm, metric, districts, users):
    from contracts_app.metrics import services
    one, two, three = [g.id for g in districts.groups]
    services.record_reading(metric, users["contract_manager"], _period(metric).start, "30",
                            groups={one: "15", two: "15", three: "0"})
    html = cm.get(f"/metrics/{metric.id}").get_data(as_text=True)
    assert "By Council district" in html and "equal share" in html
    section = html.split("By Council district")[1].split("Correction history")[0]
    assert "District 3" in section and "Off track" in section and "On track" in section
    # The chart of the period: a bar per group in its status colour, the target dashed.
    chart = section.split('<span class="chart-wide">')[1].split("</span>")[0]
    assert "each group against its target" in chart and 'class="chart group-bars"' in chart
    from contracts_app.portfolio.charts import STATUS_COLORS
    assert chart.count(f'fill="{STATUS_COLORS["on_track"]}"') == 2
    assert "District 3: 0 · 0%" in chart and 'stroke-dasharray="6 4"' in chart


def test_an_empty_edit_post_is_refused_with_a_message(po, districts):
    page = po.post(f"/dimensions/{districts.id}/edit", data={"name": "", "groups": ""})
    assert page.status_code == 200 and "Give the dimension a name" in page.get_data(as_text=True)
    assert po.post(f"/dimensions/{districts.id}/edit", data={}).status_code in (200, 302)  # nothing changed
    db.session.expire_all()
    assert db.session.get(Dimension, districts.id).name == "Council district"
