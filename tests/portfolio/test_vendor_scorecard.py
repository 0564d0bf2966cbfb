"""The vendor scorecard: contracts, share of periods on track, flags, closeout evaluations."""
import re
from datetime import date
from decimal import Decimal

import pytest

from contracts_app.extensions import db
from contracts_app.management.models import Flag
from contracts_app.portfolio.models import CloseoutEvaluation
from tests.querycount import count_queries


def _page(client_as, vendor, role="viewer"):
    response = client_as(role).get(f"/portfolio/vendors/{vendor.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _evaluate(contract, ratings, narrative="Delivered", vendor_comment=""):
    quality, schedule, cost_control, management = ratings
    evaluation = CloseoutEvaluation(
        contract_id=contract.id, vendor_id=contract.vendor_id, quality=quality, schedule=schedule,
        cost_control=cost_control, management=management, narrative=narrative, vendor_comment=vendor_comment,
        evaluated_on=date(2025, 10, 1),
    )
    db.session.add(evaluation)
    db.session.commit()
    return evaluation


@pytest.fixture
def vendor_city(factory):
    vendor = factory.make_vendor(name="Acme Outcomes")
    other = factory.make_vendor(name="Other Co")
    first = factory.make_contract(vendor=vendor, reference="ACME-1", value=Decimal("250000"), health="off_track")
    second = factory.make_contract(vendor=vendor, reference="ACME-2", status="completed", value=Decimal("50000"))
    elsewhere = factory.make_contract(vendor=other, reference="OTHER-1")
    m1 = factory.make_metric(first)
    m2 = factory.make_metric(first)
    m3 = factory.make_metric(second)
    m4 = factory.make_metric(elsewhere)
    factory.make_reading(m1, date(2025, 7, 1), 20, status="on_track")
    factory.make_reading(m1, date(2025, 8, 1), 20, status="off_track")
    factory.make_reading(m2, date(2025, 7, 1), 20, status="on_track")
    factory.make_reading(m3, date(2025, 7, 1), 20, status="on_track")
    factory.make_reading(m3, date(2025, 8, 1), 20, status="at_risk")
    for month in (7, 8, 9):
        factory.make_reading(m4, date(2025, month, 1), 1, status="off_track")  # another vendor: not counted
    return vendor, other, (first, second, elsewhere), (m1, m2, m3, m4)


def test_it_computes_the_share_of_periods_on_track_across_the_vendors_contracts(client_as, vendor_city):
    vendor = vendor_city[0]
    html = _page(client_as, vendor)
    assert "<strong>60%</strong>" in html
    assert "3 of 5 reported periods on track, across 2 contracts." in _text(html)


def test_it_shows_each_contracts_share_health_value_and_status(client_as, vendor_city):
    vendor, _, (first, second, _), _ = vendor_city
    text = _text(_page(client_as, vendor))
    assert "ACME-1" in text and "$250,000" in text and "Off track" in text and "67% (2 of 3)" in text
    assert "ACME-2" in text and "Completed" in text and "50% (1 of 2)" in text
    assert "OTHER-1" not in text
    assert "Total $300,000" in text


def test_it_counts_open_and_total_flags(client_as, vendor_city):
    vendor, _, (first, second, elsewhere), (m1, _, m3, m4) = vendor_city
    from contracts_app.db_types import utcnow

    for contract, metric, resolved in ((first, m1, False), (first, m1, True), (second, m3, True), (elsewhere, m4, False)):
        db.session.add(Flag(contract_id=contract.id, subject_type="metric", subject_id=metric.id, metric_id=metric.id,
                            period_start=date(2025, 8, 1) if not resolved else date(2025, 7, 1), kind="off_track",
                            severity="high", resolved_at=utcnow() if resolved else None))
    db.session.commit()
    html = _page(client_as, vendor)
    assert "<strong>1</strong> open of 3 raised" in html


def test_it_lists_closeout_evaluations_with_ratings_narrative_and_comment(client_as, vendor_city):
    vendor, _, (_, second, _), _ = vendor_city
    _evaluate(second, (4, 4, 5, 3), narrative="Strong delivery <b>late</b>", vendor_comment="We agree")
    html = _page(client_as, vendor)
    table = _text(re.search(r'<table class="[^"]*evaluations[^"]*">.*?</table>', html, re.S).group(0))
    assert "ACME-2 1 Oct 2025 4 4 5 3 4.00" in table
    assert "Strong delivery &lt;b&gt;late&lt;/b&gt;" in html
    assert "We agree" in table


def test_it_compares_the_vendors_average_rating_with_the_city_average(client_as, factory, vendor_city):
    vendor, other, (_, second, _), _ = vendor_city
    _evaluate(second, (4, 4, 5, 3))  # 4.00
    _evaluate(factory.make_contract(vendor=other, status="completed"), (2, 2, 2, 1))  # 1.75
    text = _text(_page(client_as, vendor))
    assert "Average 4.00 / 5 over 1 evaluation, against a city average of 2.88 / 5 over 2." in text


def test_it_says_when_a_vendor_has_no_evaluations(client_as, factory, vendor_city):
    vendor, other, _, _ = vendor_city
    _evaluate(factory.make_contract(vendor=other, status="completed"), (3, 3, 3, 3))
    text = _text(_page(client_as, vendor))
    assert "Not evaluated yet. City average: 3.00 / 5 over 1 evaluation." in text


def test_it_shows_a_vendor_without_contracts(client_as, factory):
    text = _text(_page(client_as, factory.make_vendor(name="New Vendor")))
    assert "No contracts with this vendor." in text and "No readings reported yet." in text


def test_it_answers_404_for_an_unknown_vendor(client_as):
    assert client_as("viewer").get("/portfolio/vendors/999999").status_code == 404


def test_it_runs_the_same_number_of_queries_at_10_and_200_contracts(client_as, build_city):
    city = build_city(10)
    vendor = city.vendors[4]  # contracts 4, 9, 14...: every other one completed (i % 10 == 9)
    evaluated = set()

    def evaluate_completed():
        for contract in city.contracts:
            if contract.status == "completed" and contract.id not in evaluated:
                _evaluate(contract, (3, 4, 4, 5))
                evaluated.add(contract.id)

    evaluate_completed()
    client = client_as("cdo")
    with count_queries() as small:
        assert client.get(f"/portfolio/vendors/{vendor.id}").status_code == 200
    build_city(190)
    evaluate_completed()
    with count_queries() as large:
        assert client.get(f"/portfolio/vendors/{vendor.id}").status_code == 200
    assert small.count == large.count
    assert small.count <= 10
    assert len(evaluated) == 20
