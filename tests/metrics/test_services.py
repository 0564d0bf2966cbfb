"""The reading services at pinned times: the Tuesday scenario, overdue data, and the summaries
the contract page shows (with a bounded number of queries)."""
from datetime import date
from decimal import Decimal

import pytest
from flask import render_template
from flask_login import login_user

from contracts_app.extensions import db
from contracts_app.metrics import services
from contracts_app.metrics.summaries import contract_metric_summaries
from contracts_app.metrics.models import Metric, Reading
from tests.metrics.helpers import QueryCounter, at, count

TERM = dict(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
AUG = date(2025, 8, 1)
SEP = date(2025, 9, 1)


@pytest.fixture
def harbor_light(factory, users):
    """HS-2025-014 from the scenarios: street outreach, two monthly metrics."""
    contract = factory.make_contract(reference="HS-2025-014", contract_manager_id=users["contract_manager"].id, **TERM)
    placements = factory.make_metric(
        contract, name="Placements into shelter or housing", direction="increase",
        baseline_value=Decimal(18), target_value=Decimal(30), due_days=10, payment_linked=True,
    )
    median = factory.make_metric(
        contract, name="Median days from first contact to placement", unit="days", direction="decrease",
        baseline_value=Decimal(64), target_value=Decimal(40), due_days=10, indicator_type="leading",
    )
    return contract, placements, median


def test_it_judges_the_tuesday_readings(harbor_light, users):
    contract, placements, median = harbor_light
    ben = users["contract_manager"]
    now = at(2025, 9, 9)
    services.record_reading(placements, ben, AUG, Decimal(21), "", now=now)
    services.record_reading(median, ben, AUG, Decimal(70), "", now=now)
    db.session.expire_all()
    assert db.session.get(Metric, placements.id).status == "on_track"   # 21 against ~19
    assert db.session.get(Metric, median.id).status == "off_track"      # 70 against ~62
    assert db.session.get(type(contract), contract.id).health == "off_track"


def test_it_stores_the_reading_status_against_the_linear_target(harbor_light, users):
    _, placements, median = harbor_light
    services.record_reading(placements, users["contract_manager"], AUG, Decimal(21), now=at(2025, 9, 9))
    services.record_reading(median, users["contract_manager"], AUG, Decimal(70), now=at(2025, 9, 9))
    assert {r.metric_id: r.status for r in db.session.scalars(db.select(Reading))} == {
        placements.id: "on_track", median.id: "off_track"
    }


def test_it_refuses_september_before_it_starts(harbor_light, users):
    _, placements, _ = harbor_light
    with pytest.raises(services.MetricError) as error:
        services.record_reading(placements, users["contract_manager"], SEP, Decimal(21), now=at(2025, 8, 31))
    assert error.value.field == "period" and "has not started yet" in str(error.value)
    db.session.rollback()
    assert count(Reading) == 0


def test_it_accepts_a_period_on_its_first_day(harbor_light, users):
    _, placements, _ = harbor_light
    services.record_reading(placements, users["contract_manager"], SEP, Decimal(5), now=at(2025, 9, 1))
    assert count(Reading) == 1


def test_it_marks_september_overdue_after_the_grace_days(harbor_light, users):
    from contracts_app.metrics import status

    contract, placements, _ = harbor_light
    services.record_reading(placements, users["contract_manager"], AUG, Decimal(21), now=at(2025, 9, 9))
    # Due 10 October, plus 3 days' grace: still the August status on the 13th, overdue on the 14th.
    assert status.refresh_metric(placements, at(2025, 10, 13)) == "on_track"
    assert status.refresh_metric(placements, at(2025, 10, 14)) == "overdue"


def test_it_clears_overdue_when_the_late_reading_arrives(harbor_light, users):
    contract, placements, median = harbor_light
    ben = users["contract_manager"]
    services.record_reading(median, ben, AUG, Decimal(50), now=at(2025, 9, 9))
    services.record_reading(median, ben, SEP, Decimal(50), now=at(2025, 10, 1))
    services.record_reading(placements, ben, AUG, Decimal(21), now=at(2025, 9, 9))
    services.refresh_statuses(now=at(2025, 10, 20))
    assert db.session.get(Metric, placements.id).status == "overdue"
    assert db.session.get(type(contract), contract.id).health == "overdue"
    services.record_reading(placements, ben, SEP, Decimal(24), now=at(2025, 10, 20))
    assert db.session.get(Metric, placements.id).status == "on_track"
    assert db.session.get(type(contract), contract.id).health == "on_track"


def test_it_corrects_a_reading_and_rejudges_it(harbor_light, users):
    _, _, median = harbor_light
    ben = users["contract_manager"]
    reading = services.record_reading(median, ben, AUG, Decimal(70), "first extract", now=at(2025, 9, 9))
    services.correct_reading(reading, ben, Decimal(58), "Extract counted weekends twice", now=at(2025, 9, 12))
    assert reading.status == "on_track" and reading.value == Decimal(58)
    assert [(r.value, r.status, r.note) for r in reading.revisions] == [(Decimal(70), "off_track", "first extract")]
    assert db.session.get(Metric, median.id).status == "on_track"


def test_it_summarises_each_metric_with_its_latest_reading(harbor_light, users):
    contract, placements, median = harbor_light
    ben = users["contract_manager"]
    services.record_reading(placements, ben, date(2025, 7, 1), Decimal(15), now=at(2025, 9, 9))
    services.record_reading(placements, ben, AUG, Decimal(21), now=at(2025, 9, 9))
    summaries = contract_metric_summaries(contract, now=at(2025, 9, 9))
    assert [s.metric.id for s in summaries] == [placements.id, median.id]
    first, second = summaries
    assert first.latest.period_start == AUG and first.latest_label == "Aug 2025"
    assert round(first.target, 2) == Decimal("19.00")
    assert round(first.attainment) == 111
    assert first.status == "on_track"
    assert first.next_period.start == SEP
    assert "Payment-linked" in first.tags and "Lagging" in first.tags
    assert second.latest is None and second.status == db.session.get(Metric, median.id).status
    assert "Leading" in second.tags


def test_it_uses_the_explicit_target_in_the_summary(factory, users):
    contract = factory.make_contract(**TERM)
    metric = factory.make_metric(contract, targets={AUG: 25})
    services.record_reading(metric, users["procurement_officer"], AUG, Decimal(21), now=at(2025, 9, 9))
    [summary] = contract_metric_summaries(contract, now=at(2025, 9, 9))
    assert summary.target == Decimal(25)
    assert summary.latest.status == "off_track"  # 84%


def _render_partial(app, contract, user, now):
    with app.test_request_context():
        login_user(user)
        summaries = contract_metric_summaries(contract, now=now)
        return render_template("metrics/_contract_metrics.html", contract=contract, metric_summaries=summaries)


def _contract_with_metrics(factory, how_many, user):
    contract = factory.make_contract(**TERM)
    for n in range(how_many):
        metric = factory.make_metric(contract, name=f"Metric {n}", targets={AUG: 20})
        services.record_reading(metric, user, AUG, Decimal(21), now=at(2025, 9, 9))
    return contract


def test_it_renders_the_contract_metrics_in_a_bounded_number_of_queries(app, factory, users):
    po = users["procurement_officer"]
    small = _contract_with_metrics(factory, 2, po)
    large = _contract_with_metrics(factory, 8, po)
    counts = []
    for contract in (small, large):
        db.session.expire_all()
        contract = db.session.get(type(contract), contract.id)
        with QueryCounter(db.engine) as counter:
            _render_partial(app, contract, po, at(2025, 9, 9))
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[1] <= 5


def test_it_shows_each_metric_with_status_and_the_actions_allowed(app, harbor_light, users):
    contract, placements, median = harbor_light
    services.record_reading(placements, users["contract_manager"], AUG, Decimal(21), now=at(2025, 9, 9))
    html = _render_partial(app, contract, users["procurement_officer"], at(2025, 9, 9))
    assert "Placements into shelter or housing" in html and f"/metrics/{placements.id}" in html
    assert "Aug 2025: <strong>21</strong>" in html
    assert "badge-on_track" in html
    assert "Payment-linked" in html and "Leading" in html
    # The contract has metrics, so the procurement officer is offered another.
    assert "Add another metric" in html and f"/contracts/{contract.id}/metrics/new" in html
    assert "Enter reading" in html and f"/metrics/{median.id}/targets" in html


def test_it_hides_the_metric_actions_from_a_viewer(app, harbor_light, users):
    contract, _, _ = harbor_light
    html = _render_partial(app, contract, users["viewer"], at(2025, 9, 9))
    assert "/metrics/new" not in html and "Enter reading" not in html and "/edit" not in html


def test_it_offers_a_contract_manager_only_readings(app, harbor_light, users):
    contract, _, _ = harbor_light
    html = _render_partial(app, contract, users["contract_manager"], at(2025, 9, 9))
    assert "Enter reading" in html and "/metrics/new" not in html


def test_it_warns_in_the_partial_above_five_metrics(app, factory, users):
    contract = factory.make_contract(**TERM)
    for n in range(6):
        factory.make_metric(contract, name=f"Metric {n}")
    html = _render_partial(app, contract, users["viewer"], at(2025, 9, 9))
    assert "This contract has 6 metrics" in html


def test_it_shows_the_metrics_on_the_contract_page(client_as, harbor_light):
    contract, placements, _ = harbor_light
    html = client_as("viewer").get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Placements into shelter or housing" in html
    assert f"/metrics/{placements.id}" in html
