"""Creating and editing metrics through the forms: happy paths, every bad input, roles, audit."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, Reading
from tests.metrics.helpers import count, metric_form


def test_it_creates_a_metric_with_every_field(po, contract):
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form())
    assert response.status_code == 302
    metric = db.session.scalar(select(Metric).where(Metric.contract_id == contract.id))
    # Back to the contract's metrics, where the next one can be added.
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}#metrics")
    assert metric.name == "Placements into shelter or housing"
    assert metric.unit == "count" and metric.direction == "increase" and metric.cadence == "monthly"
    assert metric.baseline_value == Decimal(18) and metric.baseline_date == date(2025, 6, 30)
    assert metric.target_value == Decimal(30)
    assert metric.due_days == 10 and metric.on_track_pct == 100 and metric.at_risk_pct == 90
    assert metric.data_source == "HMIS monthly extract" and metric.indicator_type == "lagging"
    assert metric.payment_linked is True
    assert metric.range_low is None and metric.range_high is None


def test_it_shows_the_new_metric_on_its_page(po, contract):
    po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form())
    metric = db.session.scalar(select(Metric).where(Metric.contract_id == contract.id))
    page = po.get(f"/metrics/{metric.id}")
    assert page.status_code == 200
    assert b"Placements into shelter or housing" in page.data
    assert b"People placed from the street" in page.data


def test_it_returns_to_the_contract_offering_another_metric(po, contract):
    page = po.get(f"/contracts/{contract.id}")
    assert b"Add another metric" not in page.data and b">Add metric<" in page.data
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == f"/contracts/{contract.id}"
    assert "Metric Placements into shelter or housing added." in html
    assert ">Add another metric<" in html and f"/contracts/{contract.id}/metrics/new" in html


def test_it_audits_a_new_metric_with_its_contract(po, contract, users):
    po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form())
    metric = db.session.scalar(select(Metric))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "metric"))
    assert event.action == "create" and event.entity_id == metric.id
    assert event.contract_id == contract.id and event.actor_id == users["procurement_officer"].id
    assert event.after["name"] == metric.name


def test_it_saves_a_range_metric_without_a_target(po, contract):
    data = metric_form(direction="range", target_value="", range_low="85", range_high="95", unit="percent")
    assert po.post(f"/contracts/{contract.id}/metrics/new", data=data).status_code == 302
    metric = db.session.scalar(select(Metric))
    assert (metric.range_low, metric.range_high, metric.target_value) == (Decimal(85), Decimal(95), None)


def test_it_accepts_a_metric_without_a_baseline_date(po, contract):
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(baseline_date=""))
    assert response.status_code == 302
    assert db.session.scalar(select(Metric)).baseline_date is None


def test_it_stores_a_new_metrics_status_at_once(po, contract):
    po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form())
    # The contract began a year ago: earlier periods are overdue at once.
    assert db.session.scalar(select(Metric)).status == "overdue"
    db.session.refresh(contract)
    assert contract.health == "overdue"


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"direction": "increase", "baseline_value": "18", "target_value": "12"}, b"For an increase the final target must be above the baseline (18)"),
        ({"direction": "increase", "baseline_value": "18", "target_value": "18"}, b"For an increase the final target must be above the baseline"),
        ({"direction": "decrease", "baseline_value": "64", "target_value": "70"}, b"For a decrease the final target must be below the baseline (64)"),
        ({"direction": "increase", "target_value": ""}, b"A increase metric needs a final target"),
        ({"direction": "decrease", "target_value": ""}, b"A decrease metric needs a final target"),
        ({"direction": "maintain", "target_value": ""}, b"A maintain metric needs a final target"),
        ({"direction": "range", "range_low": "", "range_high": "95"}, b"A range metric needs a low bound"),
        ({"direction": "range", "range_low": "85", "range_high": ""}, b"A range metric needs a high bound"),
        ({"direction": "range", "range_low": "95", "range_high": "85"}, b"The high bound must be at least the low bound (95)"),
        ({"baseline_value": "-1"}, b"Must be zero or more: attainment compares actual and target as a ratio"),
        ({"target_value": "-5", "baseline_value": ""}, b"Must be zero or more"),
        ({"direction": "range", "range_low": "-1", "range_high": "5"}, b"Must be zero or more"),
        ({"at_risk_pct": "-1"}, b"Must be zero or more"),
        ({"on_track_pct": "90", "at_risk_pct": "95"}, b"The at-risk threshold cannot be above the on-track threshold (90%)"),
        ({"on_track_pct": ""}, b"Give the on-track threshold in percent"),
        ({"due_days": "-1"}, b"Use a whole number of days from 0 to 366"),
        ({"due_days": "ten"}, b"Not a valid integer value"),
        ({"target_value": "thirty"}, "“thirty” is not a number".encode()),
        ({"target_value": "NaN"}, "“NaN” is not a number".encode()),
        ({"target_value": "1e30"}, "“1e30” is not a number".encode()),
        ({"target_value": "1,000,000,000,000,000"}, b"That number is too large"),
        ({"baseline_date": "30/06/2025"}, b"Enter a date as YYYY-MM-DD"),
        ({"direction": "sideways"}, b"Choose increase, decrease, maintain or stay within a range"),
        ({"cadence": "hourly"}, b"Choose weekly, monthly, quarterly or annually"),
        ({"indicator_type": "sideways"}, b"Choose leading or lagging"),
        ({"name": ""}, b"Give the metric a name"),
        ({"name": "x" * 201}, b"Field cannot be longer than 200 characters"),
        ({"unit": ""}, b"Give the unit"),
        ({"direction": "maintain", "tolerance_pct": "150"}, b"Use a tolerance from 0 to 100 percent"),
    ],
)
def test_it_refuses_bad_metric_input_and_writes_nothing(po, contract, overrides, field_message):
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(**overrides))
    assert response.status_code == 200
    assert field_message in response.data
    assert b"nothing was saved" in response.data
    assert count(Metric) == 0
    assert count(AuditEvent) == 0


def test_it_warns_above_five_metrics_but_saves(po, factory, contract):
    for n in range(5):
        factory.make_metric(contract, name=f"Metric {n}")
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(), follow_redirects=True)
    assert response.status_code == 200
    assert count(Metric, Metric.contract_id == contract.id) == 6
    assert b"This contract now has 6 metrics" in response.data
    assert b"flash-warning" in response.data


def test_it_does_not_warn_at_five_metrics(po, factory, contract):
    for n in range(4):
        factory.make_metric(contract, name=f"Metric {n}")
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(), follow_redirects=True)
    assert count(Metric, Metric.contract_id == contract.id) == 5
    assert b"metrics. The practice is three to five" not in response.data


def test_it_tells_on_the_form_when_the_contract_already_has_five(po, factory, contract):
    for n in range(5):
        factory.make_metric(contract, name=f"Metric {n}")
    response = po.get(f"/contracts/{contract.id}/metrics/new")
    assert b"already has 5 metrics" in response.data


def test_it_prefills_the_edit_form_with_plain_numbers(po, metric):
    response = po.get(f"/metrics/{metric.id}/edit")
    assert response.status_code == 200
    assert b'value="18"' in response.data and b'value="30"' in response.data


def test_it_updates_a_metric_and_audits_the_change(po, metric):
    response = po.post(f"/metrics/{metric.id}/edit", data=metric_form(name="Placements (monthly)", target_value="36"))
    assert response.status_code == 302
    db.session.refresh(metric)
    assert metric.name == "Placements (monthly)" and metric.target_value == Decimal(36)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.contract_id == metric.contract_id
    assert event.before["target_value"] == "30" and event.after["target_value"] == "36"


def test_it_refuses_a_bad_edit_and_keeps_the_metric(po, metric):
    response = po.post(f"/metrics/{metric.id}/edit", data=metric_form(target_value="10"))
    assert response.status_code == 200
    assert b"must be above the baseline" in response.data
    db.session.expire_all()
    assert db.session.get(Metric, metric.id).target_value == Decimal(30)
    assert count(AuditEvent) == 0


def test_it_rejudges_readings_when_the_target_changes(po, factory, metric, term):
    start = term[0]
    reading = factory.make_reading(metric, start, "19", status="on_track")
    # Raise the final target so far that 19 is well short of the first period's target.
    po.post(f"/metrics/{metric.id}/edit", data=metric_form(baseline_value="18", target_value="1000"))
    db.session.expire_all()
    assert db.session.get(Reading, reading.id).status == "off_track"


def test_it_rejudges_readings_when_thresholds_change(po, factory, metric, term):
    reading = factory.make_reading(metric, term[0], "10", status="on_track")
    po.post(f"/metrics/{metric.id}/edit", data=metric_form(on_track_pct="50", at_risk_pct="40"))
    db.session.expire_all()
    assert db.session.get(Reading, reading.id).status == "on_track"
    po.post(f"/metrics/{metric.id}/edit", data=metric_form(on_track_pct="100", at_risk_pct="50"))
    db.session.expire_all()
    assert db.session.get(Reading, reading.id).status == "at_risk"


def test_it_refreshes_contract_health_when_a_metric_changes(po, factory, metric, contract, term):
    # The latest reading is on track only against a low target; the last period is recorded so
    # nothing is overdue.
    for period in factory_periods(metric, term):
        factory.make_reading(metric, period.start, "1000", status="on_track")
    po.post(f"/metrics/{metric.id}/edit", data=metric_form(target_value="100000"))
    db.session.expire_all()
    assert db.session.get(Metric, metric.id).status == "off_track"
    assert db.session.get(type(contract), contract.id).health == "off_track"


def factory_periods(metric, term):
    from contracts_app.metrics import rules
    from contracts_app.metrics.status import today_for
    from contracts_app.db_types import utcnow

    today = today_for(utcnow())
    return [p for p in rules.periods(term[0], term[1], metric.cadence) if p.start <= today]


def test_it_refuses_a_cadence_change_once_readings_exist(po, factory, metric, term):
    factory.make_reading(metric, term[0], "20")
    response = po.post(f"/metrics/{metric.id}/edit", data=metric_form(cadence="quarterly"))
    assert response.status_code == 200
    assert b"The cadence cannot change once readings are recorded" in response.data
    db.session.expire_all()
    assert db.session.get(Metric, metric.id).cadence == "monthly"


def test_it_drops_explicit_targets_that_no_longer_start_a_period(po, factory, contract, term):
    from contracts_app.metrics import rules

    second_month = rules.add_months(term[0], 1)
    metric = factory.make_metric(contract, targets={term[0]: 19, second_month: 20})
    po.post(f"/metrics/{metric.id}/edit", data=metric_form(cadence="quarterly"))
    db.session.expire_all()
    assert [t.period_start for t in db.session.get(Metric, metric.id).targets] == [term[0]]


WRITE_ROUTES = [
    ("get", "/contracts/{contract}/metrics/new"),
    ("post", "/contracts/{contract}/metrics/new"),
    ("get", "/metrics/{metric}/edit"),
    ("post", "/metrics/{metric}/edit"),
    ("get", "/metrics/{metric}/targets"),
    ("post", "/metrics/{metric}/targets"),
]


@pytest.mark.parametrize("role", ["admin", "cdo", "viewer", "contract_manager"])
@pytest.mark.parametrize("method, url", WRITE_ROUTES)
def test_it_forbids_metric_changes_to_everyone_but_procurement_officers(client_as, role, metric, method, url):
    client = client_as(role)
    url = url.format(contract=metric.contract_id, metric=metric.id)
    response = getattr(client, method)(url, data=metric_form(name="Hijacked"))
    assert response.status_code == 403
    db.session.expire_all()
    assert count(Metric) == 1
    assert db.session.get(Metric, metric.id).name != "Hijacked"


@pytest.mark.parametrize("role", ["admin", "cdo", "viewer", "contract_manager", "procurement_officer"])
def test_it_shows_a_metric_to_every_role(client_as, role, metric):
    assert client_as(role).get(f"/metrics/{metric.id}").status_code == 200


def test_it_forbids_metric_changes_on_an_archived_contract(po, factory, term, users):
    from contracts_app.db_types import utcnow

    contract = factory.make_contract(start_date=term[0], end_date=term[1], archived_at=utcnow())
    assert po.get(f"/contracts/{contract.id}/metrics/new").status_code == 403


READ_ONLY_URLS = {"/metrics/9999", "/metrics/99999999999999999999"}


@pytest.mark.parametrize(
    "url",
    ["/contracts/9999/metrics/new", "/metrics/9999", "/metrics/9999/edit", "/metrics/9999/targets",
     "/metrics/9999/readings/new", "/readings/9999/edit",
     "/metrics/99999999999999999999", "/metrics/2147483648/edit", "/readings/9223372036854775808/edit",
     "/contracts/99999999999999999999/metrics/new"],
)
def test_it_answers_404_for_unknown_ids(po, url):
    assert po.get(url).status_code == 404
    if url not in READ_ONLY_URLS:
        assert po.post(url, data={}).status_code == 404


def test_it_drops_nul_characters_from_text(po, contract):
    # PostgreSQL text cannot hold NUL: it must never reach the database (a 500 otherwise).
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(name="Place\x00ments", definition="a\x00b"))
    assert response.status_code == 302
    metric = db.session.scalar(select(Metric))
    assert (metric.name, metric.definition) == ("Placements", "ab")


def test_a_metric_is_public_unless_the_box_is_cleared(po, contract):
    page = po.get(f"/contracts/{contract.id}/metrics/new").get_data(as_text=True)
    import re

    (box,) = re.findall(r'<input[^>]*name="is_public"[^>]*>', page)
    assert 'type="checkbox"' in box and "checked" in box
    po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(name="Placements"))
    po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(name="Staff incidents", is_public=None))
    public = dict(db.session.execute(select(Metric.name, Metric.is_public).where(Metric.contract_id == contract.id)).all())
    assert public == {"Placements": True, "Staff incidents": False}


def test_it_keeps_how_the_target_was_set_and_shows_it(po, contract):
    note = "The 2024 average plus two outreach teams"
    assert po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(target_notes=f"  {note}  ")).status_code == 302
    metric = db.session.scalar(select(Metric).where(Metric.contract_id == contract.id))
    assert metric.target_notes == note
    assert "How the target was set" in po.get(f"/metrics/{metric.id}").get_data(as_text=True)
    # Editing without touching the note keeps it; the audit event records a change to it.
    form = po.get(f"/metrics/{metric.id}/edit").get_data(as_text=True)
    assert note in form
    po.post(f"/metrics/{metric.id}/edit", data=metric_form(target_notes="From the budget"))
    db.session.expire_all()
    assert db.session.get(Metric, metric.id).target_notes == "From the budget"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "metric", AuditEvent.action == "update")).all()[-1]
    assert event.before["target_notes"] == note and event.after["target_notes"] == "From the budget"


def test_a_too_long_target_note_is_refused(po, contract):
    response = po.post(f"/contracts/{contract.id}/metrics/new", data=metric_form(target_notes="x" * 5001))
    assert response.status_code == 200 and "5000" in response.get_data(as_text=True)
    assert count(Metric) == 0
