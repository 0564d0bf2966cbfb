"""Per-period targets: the form lists every period, blank means linear, explicit ones override."""
from decimal import ROUND_CEILING, Decimal

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.metrics import rules, services
from contracts_app.metrics.models import MetricTarget, Reading
from tests.metrics.helpers import count


def field(period):
    return "t_" + period.start.strftime("%Y%m%d")


def all_periods(metric):
    contract = metric.contract
    return rules.periods(contract.start_date, contract.end_date, metric.cadence)


def test_it_lists_every_period_with_the_linear_target_as_placeholder(po, metric):
    periods = all_periods(metric)
    html = po.get(f"/metrics/{metric.id}/targets").get_data(as_text=True)
    assert len(periods) == 24
    for period in periods:
        assert f'name="{field(period)}"' in html
        assert period.label("monthly") in html
    first_linear = services.linear_targets(metric)[periods[0].start]
    # To the metric's precision (whole numbers here), rounded up: the value that meets it.
    assert first_linear != first_linear.to_integral_value()
    assert f'placeholder="{first_linear.to_integral_value(rounding=ROUND_CEILING)}"' in html
    assert "Blank uses the linear target" in html


def test_it_prefills_explicit_targets(po, factory, contract):
    first = rules.periods(contract.start_date, contract.end_date, "monthly")[0]
    metric = factory.make_metric(contract, targets={first.start: "19.5"})
    html = po.get(f"/metrics/{metric.id}/targets").get_data(as_text=True)
    assert f'name="{field(first)}"' in html and 'value="19.5"' in html


def test_it_saves_explicit_targets_and_leaves_blanks_linear(po, metric):
    periods = all_periods(metric)
    data = {field(p): "" for p in periods}
    data[field(periods[0])] = "20"
    data[field(periods[5])] = "22.25"
    response = po.post(f"/metrics/{metric.id}/targets", data=data)
    assert response.status_code == 302
    stored = dict(db.session.execute(select(MetricTarget.period_start, MetricTarget.value)).all())
    assert stored == {periods[0].start: Decimal(20), periods[5].start: Decimal("22.25")}


def test_it_replaces_the_explicit_targets(po, factory, contract):
    periods = rules.periods(contract.start_date, contract.end_date, "monthly")
    metric = factory.make_metric(contract, targets={periods[0].start: 19, periods[1].start: 20})
    data = {field(p): "" for p in periods}
    data[field(periods[1])] = "21"
    data[field(periods[2])] = "22"
    po.post(f"/metrics/{metric.id}/targets", data=data)
    stored = dict(db.session.execute(select(MetricTarget.period_start, MetricTarget.value)).all())
    assert stored == {periods[1].start: Decimal(21), periods[2].start: Decimal(22)}


def test_it_audits_the_targets(po, metric):
    period = all_periods(metric)[0]
    po.post(f"/metrics/{metric.id}/targets", data={field(period): "20"})
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "update" and event.entity_type == "metric" and event.contract_id == metric.contract_id
    assert event.before == {"targets": {}}
    assert event.after == {"targets": {period.start.isoformat(): "20"}}


@pytest.mark.parametrize("value, message", [("-2", "Must be zero or more"), ("lots", "“lots” is not a number"), ("NaN", "“NaN” is not a number")])
def test_it_refuses_a_bad_target_on_its_row_and_writes_nothing(po, metric, value, message):
    periods = all_periods(metric)
    response = po.post(f"/metrics/{metric.id}/targets", data={field(periods[0]): "20", field(periods[3]): value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    # The message sits in the row of the bad period.
    row = html[html.index(f'name="{field(periods[3])}"'):]
    assert row.index(message) < row.index(f'name="{field(periods[4])}"')
    assert count(MetricTarget) == 0 and count(AuditEvent) == 0


def test_it_judges_a_reading_against_the_explicit_target_not_the_linear_one(po, factory, metric):
    first = all_periods(metric)[0]
    # Linear target for the first month is just above 18: 19 is on track against it.
    reading = factory.make_reading(metric, first.start, "19", status="on_track")
    po.post(f"/metrics/{metric.id}/targets", data={field(first): "25"})
    db.session.expire_all()
    assert db.session.get(Reading, reading.id).status == "off_track"  # 19 / 25 = 76%


def test_it_uses_the_explicit_target_for_a_new_reading(po, factory, contract):
    first = rules.periods(contract.start_date, contract.end_date, "monthly")[0]
    metric = factory.make_metric(contract, targets={first.start: "20"})
    po.post(f"/metrics/{metric.id}/readings/new", data={"period": first.start.isoformat(), "value": "19"})
    assert db.session.scalar(select(Reading)).status == "at_risk"  # 95% of the explicit 20


def test_it_refuses_a_target_for_a_date_that_starts_no_period(app, metric, users):
    with pytest.raises(services.MetricError):
        services.set_targets(metric, users["procurement_officer"], {metric.contract.start_date.replace(day=15): Decimal(1)})
    db.session.rollback()
    assert count(MetricTarget) == 0


def test_it_says_range_metrics_need_no_period_targets(po, factory, contract):
    metric = factory.make_metric(contract, direction="range", target_value=None, range_low=Decimal(85), range_high=Decimal(95))
    html = po.get(f"/metrics/{metric.id}/targets").get_data(as_text=True)
    assert "per-period targets are not used" in html
    assert po.post(f"/metrics/{metric.id}/targets", data={}).status_code == 302
    assert count(MetricTarget) == 0


def test_the_metric_page_shows_linear_targets_in_whole_placements(po, metric):
    first = all_periods(metric)[0]
    linear = services.linear_targets(metric)[first.start]
    html = po.get(f"/metrics/{metric.id}").get_data(as_text=True)
    row = html.split(f"<td>{first.label('monthly')}", 1)[1].split("</tr>", 1)[0]
    assert f'<td data-label="Target" class="num">{linear.to_integral_value(rounding=ROUND_CEILING)}</td>' in row
    assert f"{linear:.2f}" not in html and f"{linear:.1f}" not in html
