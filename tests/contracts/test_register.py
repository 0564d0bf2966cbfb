"""The register: search, filters, sorting, pagination, and bad query strings."""
from datetime import date
from decimal import Decimal

import pytest


@pytest.fixture
def viewer(client_as):
    return client_as("viewer")


@pytest.fixture
def register_city(factory):
    housing = factory.make_priority(name="Affordable housing")
    streets = factory.make_priority(name="Clean streets")
    harbor = factory.make_vendor(name="Harbor Light Services")
    sweep = factory.make_vendor(name="SweepCo")
    return {
        "a": factory.make_contract(reference="HS-001", title="Street outreach", vendor=harbor, priorities=[housing],
                                   department="Human Services", value=Decimal("1200000"), health="at_risk",
                                   payment_structure="performance_based", end_date=date(2027, 6, 30)),
        "b": factory.make_contract(reference="PW-002", title="Street sweeping", vendor=sweep, priorities=[streets],
                                   department="Public Works", value=Decimal("300000"), health="on_track",
                                   payment_structure="fixed_price", status="completed", end_date=date(2026, 1, 31)),
        "c": factory.make_contract(reference="HS-003", title="Rapid rehousing", vendor=harbor, priorities=[housing, streets],
                                   department="Human Services", value=Decimal("900000"), health="off_track",
                                   payment_structure="pay_for_success", end_date=date(2028, 3, 31)),
        "housing": housing, "streets": streets, "harbor": harbor,
    }


def refs(response):
    import re

    return re.findall(r">((?:HS|PW)-\d{3})</a>", response.get_data(as_text=True))


def test_it_lists_every_unarchived_contract(viewer, register_city):
    assert sorted(refs(viewer.get("/contracts"))) == ["HS-001", "HS-003", "PW-002"]


def test_it_searches_reference_title_and_vendor(viewer, register_city):
    assert refs(viewer.get("/contracts?q=street")) == ["HS-001", "PW-002"]
    assert refs(viewer.get("/contracts?q=sweepco")) == ["PW-002"]
    assert refs(viewer.get("/contracts?q=hs-003")) == ["HS-003"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=completed", ["PW-002"]),
        ("department=Human+Services", ["HS-001", "HS-003"]),
        ("payment_structure=pay_for_success", ["HS-003"]),
        ("health=at_risk", ["HS-001"]),
    ],
)
def test_it_filters(viewer, register_city, query, expected):
    assert refs(viewer.get(f"/contracts?{query}")) == expected


def test_it_filters_by_priority_and_vendor(viewer, register_city):
    assert refs(viewer.get(f"/contracts?priority={register_city['streets'].id}")) == ["HS-003", "PW-002"]
    assert refs(viewer.get(f"/contracts?vendor={register_city['harbor'].id}")) == ["HS-001", "HS-003"]


def test_it_sorts_by_value_and_health(viewer, register_city):
    assert refs(viewer.get("/contracts?sort=value&dir=desc")) == ["HS-001", "HS-003", "PW-002"]
    assert refs(viewer.get("/contracts?sort=health")) == ["HS-003", "HS-001", "PW-002"]
    assert refs(viewer.get("/contracts?sort=end")) == ["PW-002", "HS-001", "HS-003"]


def test_it_paginates(app, viewer, factory):
    app.config["PER_PAGE"] = 2
    vendor = factory.make_vendor()
    for n in range(5):
        factory.make_contract(reference=f"HS-{n:03d}", vendor=vendor)
    assert refs(viewer.get("/contracts")) == ["HS-000", "HS-001"]
    page3 = viewer.get("/contracts?page=3")
    assert refs(page3) == ["HS-004"]
    assert "Page 3 of 3 (5 in all)" in page3.get_data(as_text=True)
    assert refs(viewer.get("/contracts?page=99")) == []


@pytest.mark.parametrize(
    "query", ["page=abc", "page=-1", "priority=xyz", "vendor=1;DROP", "status=nope", "sort=evil", "dir=sideways",
              "health=nope", "q=%27%22%3C", "archived=maybe", "manager=99999999999999999999"]
)
def test_it_ignores_bad_query_values_without_failing(viewer, register_city, query):
    response = viewer.get(f"/contracts?{query}")
    assert response.status_code == 200


def test_it_says_which_filter_values_were_ignored(viewer, register_city):
    response = viewer.get("/contracts?priority=xyz&sort=evil")
    assert "Ignored filter values that were not valid: priority, sort." in response.get_data(as_text=True)


def test_it_escapes_user_text(viewer, factory):
    factory.make_contract(reference="HS-999", title="<script>alert(1)</script>")
    body = viewer.get("/contracts").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_lists_vendors_with_counts_and_values(viewer, register_city):
    body = viewer.get("/vendors").get_data(as_text=True)
    assert "Harbor Light Services" in body
    assert "$2,100,000" in body
