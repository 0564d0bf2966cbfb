"""The priority page: its contracts with health, sparkline and last check-in; its roll-up per month."""
import re
from datetime import date

from contracts_app.portfolio.models import HealthSnapshot
from tests.portfolio.conftest import SNAPSHOT_MONTHS, CityPattern
from tests.querycount import count_queries
from tests.html import without_cell_labels


def html(response):
    assert response.status_code == 200
    return response.get_data(as_text=True)


def contract_rows(page):
    table = page.split('id="priority-contracts"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<tr data-contract="(\d+)">(.*?)</tr>', table, re.S))


def rollup_rows(page):
    table = page.split('id="rollup"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for month, body in re.findall(r'<tr data-month="([\d-]+)">(.*?)</tr>', table, re.S):
        cells = re.findall(r'<td class="num[^"]*">([\d.]+)%?</td>', body)
        rows[month] = cells
    return rows


def test_it_answers_404_for_an_unknown_priority(client_as):
    assert client_as("cdo").get("/priorities/999999").status_code == 404


def test_its_earlier_address_redirects_to_it(factory, client_as):
    priority = factory.make_priority()
    response = client_as("viewer").get(f"/portfolio/priorities/{priority.id}?page=2")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/priorities/{priority.id}?page=2"
    # The query is passed on as it came, never read as url_for's own arguments.
    for query in ("priority_id=5", "_external=1&_scheme=javascript", "_anchor=x"):
        moved = client_as("viewer").get(f"/portfolio/priorities/{priority.id}?{query}")
        assert moved.status_code == 301 and moved.headers["Location"] == f"/priorities/{priority.id}?{query}"


def test_it_lists_the_strategic_contracts_serving_the_priority(build_city, client_as):
    city = build_city(30)
    page = html(client_as("viewer").get(f"/priorities/{city.priorities[1].id}"))
    expected = {str(city.contract_at(i).id) for i in city.indexes_for_priority(1)}
    assert set(contract_rows(page)) == expected


def test_it_shows_each_contracts_health_and_value(build_city, client_as):
    city = build_city(12)
    page = html(client_as("cdo").get(f"/priorities/{city.priorities[0].id}"))
    rows = contract_rows(page)
    for i in city.indexes_for_priority(0):
        row = rows[str(city.contract_at(i).id)]
        assert f'badge-{CityPattern.health(i)}' in row
        assert f"${CityPattern.value(i):,.0f}" in row


def test_it_orders_contracts_worst_health_first(build_city, client_as):
    city = build_city(20)
    page = html(client_as("cdo").get(f"/priorities/{city.priorities[0].id}"))
    badges = re.findall(r'badge-(\w+)', page.split('id="priority-contracts"', 1)[1].split("</table>", 1)[0])
    order = ("off_track", "overdue", "at_risk", "on_track", "no_data")
    assert badges == sorted(badges, key=order.index)


def test_it_shows_the_roll_up_counts(build_city, client_as):
    city = build_city(30)
    page = html(client_as("cdo").get(f"/priorities/{city.priorities[2].id}"))
    indexes = city.indexes_for_priority(2)
    assert f'id="priority-total">{len(indexes)} ·' in page
    table = without_cell_labels(re.split(r'class="[^"]*health-table[^"]*"', page, maxsplit=1)[1].split("</table>", 1)[0])
    for health, count in city.expected_health_counts(indexes).items():
        assert re.search(rf'<tr data-health="{health}">.*?<td class="num">{count}</td>', table, re.S)


def test_it_draws_a_sparkline_of_the_last_twelve_readings(build_city, client_as):
    city = build_city(4)
    contract = city.contract_at(0)
    page = html(client_as("cdo").get(f"/priorities/{city.priorities[0].id}"))
    row = contract_rows(page)[str(contract.id)]
    assert 'class="chart sparkline" role="img"' in row
    assert "<title>Metric 0 of 0, last 12 readings, against target</title>" in row
    headline = contract.metrics[0]
    latest = max(headline.readings, key=lambda r: r.period_start)
    assert f"latest {latest.value.normalize():f} count" in row
    # 14 readings stored; the line draws 12 points, and the target (dashed) one per reading
    path = re.search(r'<path d="([^"]+)" fill="none" stroke="#1f4e79"', row).group(1)
    assert path.count("L") == 11
    target = re.search(r'<path class="sparkline-target" d="([^"]+)"', row).group(1)
    assert target.count("L") == 11


def test_it_says_when_the_headline_metric_has_no_readings(factory, client_as):
    priority = factory.make_priority()
    contract = factory.make_contract(priorities=[priority])
    factory.make_metric(contract, name="Placements")
    page = html(client_as("cdo").get(f"/priorities/{priority.id}"))
    row = contract_rows(page)[str(contract.id)]
    assert "Placements" in row and "No readings yet" in row


def test_it_shows_the_last_held_checkin(build_city, client_as):
    city = build_city(8)
    page = html(client_as("cdo").get(f"/priorities/{city.priorities[1].id}"))
    rows = contract_rows(page)
    for i in city.indexes_for_priority(1):
        held = date(2025, 1 + i % 6, 15)
        assert held.strftime("%-d %b %Y") in rows[str(city.contract_at(i).id)]


def test_it_shows_the_share_on_track_per_month(build_city, client_as):
    city = build_city(30)
    page = html(client_as("cdo").get(f"/priorities/{city.priorities[3].id}"))
    rows = rollup_rows(page)
    # Snapshots count every unarchived contract serving the priority (the sweep writes them
    # for active ones; completed contracts keep their history).
    indexes = [i for i in city.indexes if 3 in CityPattern.priority_indexes(i) and not CityPattern.archived(i)]
    assert sorted(rows) == [m.isoformat() for m in SNAPSHOT_MONTHS]
    for m, month in enumerate(SNAPSHOT_MONTHS):
        on_track = sum(1 for i in indexes if CityPattern.snapshot_health(i, m) == "on_track")
        cells = rows[month.isoformat()]
        assert int(cells[0]) == len(indexes)
        assert int(cells[1]) == on_track
        assert cells[-1] == f"{100 * on_track / len(indexes):.1f}"
    assert 'class="chart line-chart" role="img"' in page


def test_it_leaves_archived_contracts_out_of_the_roll_up(factory, client_as, db):
    priority = factory.make_priority()
    kept = factory.make_contract(priorities=[priority])
    archived = factory.make_contract(priorities=[priority], archived_at=kept.created_at)
    month = date(2025, 3, 1)
    db.session.add_all([HealthSnapshot(contract_id=kept.id, month=month, health="on_track"),
                        HealthSnapshot(contract_id=archived.id, month=month, health="off_track")])
    db.session.commit()
    page = html(client_as("cdo").get(f"/priorities/{priority.id}"))
    assert rollup_rows(page)["2025-03-01"][-1] == "100.0"


def test_it_says_when_there_are_no_snapshots(factory, client_as):
    priority = factory.make_priority()
    page = html(client_as("cdo").get(f"/priorities/{priority.id}"))
    assert "No monthly snapshots yet" in page


def test_it_pages_long_lists(build_city, client_as):
    city = build_city(240)
    client = client_as("cdo")
    first = html(client.get(f"/priorities/{city.priorities[0].id}"))
    second = html(client.get(f"/priorities/{city.priorities[0].id}?page=2"))
    assert len(contract_rows(first)) == 50
    assert not set(contract_rows(first)) & set(contract_rows(second))
    assert "Page 1 of" in first


def test_it_ignores_a_bad_page_number(build_city, client_as):
    city = build_city(8)
    for bad in ("abc", "0", "-1", "99999999999999999999", "999"):
        page = html(client_as("cdo").get(f"/priorities/{city.priorities[0].id}?page={bad}"))
        assert contract_rows(page)


def test_it_issues_the_same_number_of_queries_at_10_and_200_contracts(build_city, client_as):
    client = client_as("cdo")
    city = build_city(10)
    url = f"/priorities/{city.priorities[0].id}"
    with count_queries() as small:
        html(client.get(url))
    build_city(190)
    with count_queries() as large:
        page = html(client.get(url))
    assert len(contract_rows(page)) == 50
    assert small.count == large.count
