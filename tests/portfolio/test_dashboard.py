"""The portfolio dashboard: figures match the data, filters, attention list, bounded queries."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from contracts_app.management.models import CheckIn
from contracts_app.metrics.status import today_for
from contracts_app.db_types import utcnow
from tests.portfolio.conftest import CityPattern
from tests.querycount import count_queries


def city_today():
    return today_for(utcnow())


def html(response):
    assert response.status_code == 200
    return response.get_data(as_text=True)


def health_table(page):
    """{health: (count, share text)} from the totals table (the chart's text equivalent)."""
    table = page.split('health-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-health="(\w+)">.*?<td[^>]*class="num">(\d+)</td><td[^>]*class="num">([\d.]+)%</td>', table, re.S)
    return {health: (int(count), share) for health, count, share in rows}


def card_counts(page, priority_id):
    card = page.split(f'data-priority="{priority_id}"', 1)[1].split("</article>", 1)[0]
    counts = {h: int(n) for h, n in re.findall(r'<li data-health="(\w+)">.*?</span> (\d+)</li>', card, re.S)}
    total = int(re.search(r"(\d+) contracts?", card).group(1))
    return total, counts


def stat(page, key):
    return re.search(rf'id="stat-{key}"><span class="figure">([^<]+)</span>', page).group(1)


def test_it_shows_the_totals_of_the_strategic_contracts(build_city, client_as):
    city = build_city(40)
    page = html(client_as("cdo").get("/portfolio"))
    strategic = city.strategic_indexes()
    assert stat(page, "contracts") == str(len(strategic))
    assert stat(page, "value") == f"${city.expected_total_value():,.0f}"


def test_it_shows_each_health_share_from_the_stored_health(build_city, client_as):
    city = build_city(40)
    page = html(client_as("viewer").get("/portfolio"))
    expected = city.expected_health_counts()
    total = sum(expected.values())
    table = health_table(page)
    for health, count in expected.items():
        assert table[health] == (count, f"{Decimal(100) * count / total:.1f}")


def test_it_leaves_out_archived_and_completed_contracts(build_city, client_as):
    city = build_city(20)
    archived = city.contract_at(4)
    completed = city.contract_at(9)
    page = html(client_as("cdo").get("/portfolio"))
    assert stat(page, "contracts") == "17"
    assert archived.reference not in page and completed.reference not in page


def test_it_shows_a_card_per_priority_with_its_roll_up(build_city, client_as):
    city = build_city(30)
    page = html(client_as("cdo").get("/portfolio"))
    for k, priority in enumerate(city.priorities):
        indexes = city.indexes_for_priority(k)
        total, counts = card_counts(page, priority.id)
        assert total == len(indexes)
        expected = {h: n for h, n in city.expected_health_counts(indexes).items() if n}
        assert counts == expected


def test_it_shows_a_priority_with_no_contracts(factory, client_as):
    priority = factory.make_priority(name="Vision Zero")
    page = html(client_as("cdo").get("/portfolio"))
    assert card_counts(page, priority.id)[0] == 0
    assert "No strategic contracts" in page


def test_it_renders_an_empty_portfolio(client_as):
    page = html(client_as("cdo").get("/portfolio"))
    assert stat(page, "contracts") == "0"
    assert "Nothing needs attention" in page


def test_it_escapes_names(build_city, client_as):
    build_city(3)
    page = html(client_as("cdo").get("/portfolio"))
    assert "goal &lt;0&gt;" in page
    assert "goal <0>" not in page


def test_it_draws_the_health_chart_with_a_description(build_city, client_as):
    build_city(10)
    page = html(client_as("cdo").get("/portfolio"))
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart stacked-bar" role="img"' in page
    assert "<title>Health of the strategic contracts</title>" in page


def test_it_counts_open_flags_by_severity(build_city, client_as):
    city = build_city(30)
    page = html(client_as("cdo").get("/portfolio"))
    severities = [CityPattern.open_flag_severity(i) for i in city.strategic_indexes()]
    for severity in ("high", "medium", "low"):
        shown = re.search(rf'data-severity="{severity}">(\d+) ', page).group(1)
        assert int(shown) == severities.count(severity)


def test_it_lists_contracts_with_open_flags_worst_first(build_city, client_as):
    city = build_city(20)
    page = html(client_as("cdo").get("/portfolio"))
    table = page.split('id="attention"', 1)[1].split("</table>", 1)[0]
    listed = [int(x) for x in re.findall(r'<tr data-contract="(\d+)">', table)]
    high = {city.contract_at(i).id for i in city.strategic_indexes() if CityPattern.open_flag_severity(i) == "high"}
    assert set(listed[: len(high)]) == high


def test_it_lists_overdue_pending_checkins(factory, client_as, db):
    contract = factory.make_contract(start_date=city_today() - timedelta(days=30),
                                     end_date=city_today() + timedelta(days=300))
    db.session.add(CheckIn(contract_id=contract.id, status="proposed", pending_contract_id=contract.id,
                           scheduled_for=city_today() - timedelta(days=3)))
    db.session.commit()
    page = html(client_as("cdo").get("/portfolio"))
    assert f'data-contract="{contract.id}"' in page
    assert "Overdue since" in page


def test_it_does_not_list_a_new_contract_with_nothing_wrong(factory, client_as):
    contract = factory.make_contract(start_date=city_today() - timedelta(days=30),
                                     end_date=city_today() + timedelta(days=300))
    page = html(client_as("cdo").get("/portfolio"))
    assert f'data-contract="{contract.id}"' not in page


def test_it_lists_a_checkin_lapse(factory, client_as, db):
    from contracts_app.management.sweep import sweep

    contract = factory.make_contract(start_date=city_today() - timedelta(days=400),
                                     end_date=city_today() + timedelta(days=300))
    db.session.add(CheckIn(contract_id=contract.id, status="held", scheduled_for=city_today() - timedelta(days=120),
                           held_on=city_today() - timedelta(days=120)))
    db.session.commit()
    sweep()  # the sweep opens the "no check-in for 90 days" flag the dashboard lists
    page = html(client_as("cdo").get("/portfolio"))
    assert f'data-contract="{contract.id}"' in page
    assert "No check-in held for more than 90 days" in page  # the sweep's flag, in words
    assert f"Last held {(city_today() - timedelta(days=120)).strftime('%-d %b %Y')}" in page


def test_it_shows_the_last_ten_held_checkins_and_resolved_flags(build_city, client_as):
    build_city(60)
    page = html(client_as("cdo").get("/portfolio"))
    checkins = page.split('id="recent-checkins"', 1)[1].split("</ul>", 1)[0]
    flags = page.split('id="resolved-flags"', 1)[1].split("</ul>", 1)[0]
    assert checkins.count("<li>") == 10
    assert flags.count("<li>") == 10
    assert "15 Jun 2025" in checkins.split("<li>")[1]  # latest first


def test_it_filters_by_department(build_city, client_as):
    city = build_city(30)
    page = html(client_as("cdo").get("/portfolio?department=Transportation"))
    expected = [i for i in city.strategic_indexes() if CityPattern.department(i) == "Transportation"]
    assert stat(page, "contracts") == str(len(expected))


def test_it_filters_by_payment_structure(build_city, client_as):
    city = build_city(30)
    page = html(client_as("cdo").get("/portfolio?payment_structure=pay_for_success"))
    expected = [i for i in city.strategic_indexes() if CityPattern.structure(i) == "pay_for_success"]
    assert stat(page, "contracts") == str(len(expected))
    assert sum(n for n, _ in health_table(page).values()) == len(expected)


def test_it_filters_by_vendor(build_city, client_as):
    city = build_city(30)
    vendor = city.vendors[2]
    page = html(client_as("cdo").get(f"/portfolio?vendor={vendor.id}"))
    expected = [i for i in city.strategic_indexes() if CityPattern.vendor_index(i) == 2]
    assert stat(page, "contracts") == str(len(expected))


@pytest.mark.parametrize("period, expected", [("2024", 0), ("2025-Q3", 17), ("2026-12", 17), ("2027-01", 0)])
def test_it_filters_by_the_period_the_contracts_run(build_city, client_as, period, expected):
    build_city(20)  # every term runs 2025-01-01 .. 2026-12-31
    page = html(client_as("cdo").get(f"/portfolio?period={period}"))
    assert stat(page, "contracts") == str(expected)


def test_it_filters_contracts_ending_soon(factory, client_as, app):
    today = city_today()
    soon = factory.make_contract(start_date=today - timedelta(days=300), end_date=today + timedelta(days=20))
    factory.make_contract(start_date=today - timedelta(days=300), end_date=today + timedelta(days=200))
    page = html(client_as("cdo").get("/portfolio?ending_within=30"))
    assert stat(page, "contracts") == "1"
    assert stat(page, "value") == f"${soon.value:,.0f}"


@pytest.mark.parametrize("query, name", [
    ("department=Nowhere", "department"),
    ("payment_structure=barter", "payment structure"),
    ("vendor=abc", "vendor"),
    ("vendor=999999", "vendor"),
    ("vendor=99999999999999999999", "vendor"),
    ("period=2025-13", "period"),
    ("period=2025-Q5", "period"),
    ("period=abc", "period"),
    ("ending_within=7", "ending within"),
    ("ending_within=-30", "ending within"),
])
def test_it_ignores_an_invalid_filter_with_a_message(build_city, client_as, query, name):
    build_city(10)
    page = html(client_as("cdo").get(f"/portfolio?{query}"))
    assert f"Ignored filter values that were not valid: {name}." in page
    assert stat(page, "contracts") == "8"  # all 10 but the archived and the completed one


@pytest.mark.parametrize("role, home", [
    ("cdo", "/portfolio"), ("viewer", "/portfolio"), ("admin", "/portfolio"),
    ("procurement_officer", "/work"), ("contract_manager", "/work"),
])
def test_it_sends_each_role_to_its_home_page(client_as, role, home):
    response = client_as(role).get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(home)


def test_it_is_open_to_every_role(client_as):
    for role in ("admin", "procurement_officer", "contract_manager", "cdo", "viewer"):
        assert client_as(role).get("/portfolio").status_code == 200


def test_it_issues_the_same_number_of_queries_at_10_and_200_contracts(build_city, client_as):
    client = client_as("cdo")
    build_city(10)
    with count_queries() as small:
        html(client.get("/portfolio"))
    build_city(190)
    with count_queries() as large:
        page = html(client.get("/portfolio"))
    assert stat(page, "contracts") == str(len([i for i in range(200) if CityPattern.is_strategic(i)]))
    assert small.count == large.count


def test_it_issues_the_same_number_of_queries_with_filters(build_city, client_as):
    client = client_as("cdo")
    city = build_city(10)
    url = f"/portfolio?department=Transportation&vendor={city.vendors[1].id}&period=2025&payment_structure=grant"
    with count_queries() as small:
        html(client.get(url))
    build_city(190)
    with count_queries() as large:
        html(client.get(url))
    assert small.count == large.count


def test_it_ranks_an_overdue_checkin_after_high_and_medium_flags_but_before_low_ones(factory, client_as, db):
    from tests.factories import make_flag

    today = city_today()
    term = dict(start_date=today - timedelta(days=30), end_date=today + timedelta(days=300))
    low_only = factory.make_contract(reference="A-LOW", **term)
    for month in (8, 9, 10):
        make_flag(low_only, kind="overdue", severity="low", period_start=today.replace(day=1) - timedelta(days=31 * month))
    medium_and_overdue = factory.make_contract(reference="Z-MED-OVERDUE", **term)
    make_flag(medium_and_overdue, kind="overdue")
    medium = factory.make_contract(reference="B-MED", **term)
    make_flag(medium, kind="overdue")
    overdue_only = factory.make_contract(reference="Y-OVERDUE", **term)
    high = factory.make_contract(reference="Z-HIGH", **term)
    make_flag(high, kind="off_track")
    for contract, days in ((medium_and_overdue, 5), (overdue_only, 2)):
        db.session.add(CheckIn(contract_id=contract.id, status="scheduled", pending_contract_id=contract.id,
                               scheduled_for=today - timedelta(days=days)))
    db.session.commit()

    page = html(client_as("cdo").get("/portfolio"))
    table = page.split('id="attention"', 1)[1].split("</table>", 1)[0]
    listed = [int(x) for x in re.findall(r'<tr data-contract="(\d+)">', table)]
    assert listed == [high.id, medium_and_overdue.id, medium.id, overdue_only.id, low_only.id]
    assert "5 of 5 contracts needing attention" in page
    assert re.search(r'data-severity="low">3 ', page) and re.search(r'data-severity="medium">2 ', page)


@pytest.mark.parametrize("typed, found", [("MERIDIAN consulting", True), ("ridian", True), ("", None), ("Zzz", False), ("%", False)])
def test_it_filters_by_a_vendor_name_typed_in_the_form(factory, client_as, typed, found):
    meridian = factory.make_vendor(name="Meridian Consulting")
    factory.make_vendor(name="Harbor Light")
    factory.make_contract(vendor=meridian)
    factory.make_contract(vendor=factory.make_vendor(name="Harbor Light Two"))
    page = html(client_as("cdo").get("/portfolio", query_string={"vendor_name": typed}))
    if found:
        assert stat(page, "contracts") == "1" and 'value="Meridian Consulting"' in page
    elif found is None:
        assert stat(page, "contracts") == "2"
    else:
        assert "Ignored filter values that were not valid: vendor." in page and stat(page, "contracts") == "2"


def test_it_ignores_a_vendor_name_that_several_vendors_share(factory, client_as):
    for name in ("Harbor Light", "Harbor Light Two"):
        factory.make_contract(vendor=factory.make_vendor(name=name))
    page = html(client_as("cdo").get("/portfolio?vendor_name=harbor"))
    assert "Ignored filter values that were not valid: vendor." in page and stat(page, "contracts") == "2"
    page = html(client_as("cdo").get("/portfolio?vendor_name=harbor+light"))  # the exact name wins
    assert stat(page, "contracts") == "1"


def test_needing_attention_comes_first_above_the_filters_and_totals(build_city, client_as):
    build_city(10)
    page = html(client_as("cdo").get("/portfolio"))
    main = page.split('<main', 1)[1]
    assert main.index('id="attention-heading"') < main.index('class="filters"') < main.index('id="totals-heading"')


def test_each_attention_row_says_why_with_the_metric_how_far_off_and_since_when(factory, client_as):
    from datetime import date

    from tests.factories import make_flag, make_reading

    contract = factory.make_contract(reference="WHY-1")
    metric = factory.make_metric(contract, name="Placements", cadence="quarterly", due_days=30,
                                 targets={date(2025, 10, 1): 39})
    make_reading(metric, date(2025, 7, 1), 30, status="on_track")
    make_reading(metric, date(2025, 10, 1), 33, status="off_track")
    make_reading(metric, date(2026, 1, 1), 31, status="off_track")
    flag = make_flag(contract, metric=metric, kind="off_track", period_start=date(2026, 1, 1))
    page = html(client_as("cdo").get("/portfolio"))
    row = page.split(f'data-contract="{contract.id}"', 1)[1].split("</tr>", 1)[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", row))
    # The target of Q1 2026 is on the line from the baseline (18) to the final target (30).
    assert re.search(r"Placements: 31 against a target of [\d.]+ — off track since Q4 2025", text)
    assert "flag open since 17 Jan 2026" in text
    assert f'href="/flags/{flag.id}"' in row


def test_an_attention_row_links_to_the_contracts_proposed_checkin(factory, client_as):
    from datetime import date

    from tests.factories import make_checkin, make_flag

    contract = factory.make_contract()
    make_flag(contract, kind="no_checkin", period_start=date(2026, 1, 1))
    checkin = make_checkin(contract, status="proposed", scheduled_for=date(2099, 1, 27))
    without = factory.make_contract()
    make_flag(without, kind="no_checkin", period_start=date(2026, 1, 1))
    page = html(client_as("cdo").get("/portfolio"))
    row = page.split(f'data-contract="{contract.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/checkins/{checkin.id}" class="pending-checkin">Proposed for 27 Jan 2099</a>' in row
    assert "No check-in held for more than 90 days (none since 3 Oct 2025)" in re.sub(r"\s+", " ", row)
    other = page.split(f'data-contract="{without.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'href="/contracts/{without.id}/checkins/new"' in other and "pending-checkin" not in other


def test_the_attention_table_has_no_always_empty_columns(build_city, client_as):
    build_city(20)
    page = html(client_as("cdo").get("/portfolio"))
    head = page.split('id="attention"', 1)[1].split("</thead>", 1)[0]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', head)
    assert headers == ["Contract", "Health", "Why", "Open flags", "Check-in"]
