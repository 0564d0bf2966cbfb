"""The priorities list and detail pages."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from tests.html import without_cell_labels


def _html(response):
    return response.get_data(as_text=True)


def test_it_lists_priorities_with_outcome_owner_and_target_year(client_as, factory, users):
    factory.make_priority(name="Vision Zero", outcome="No traffic deaths by 2030", owner=users["cdo"], target_year=2030)

    page = _html(client_as("viewer").get("/priorities"))

    assert "Vision Zero" in page
    assert "No traffic deaths by 2030" in page
    assert users["cdo"].name in page
    assert "2030" in page


def test_it_counts_non_archived_contracts_and_totals_their_value(factory):
    housing = factory.make_priority(name="Affordable housing")
    other = factory.make_priority(name="Clean streets")
    factory.make_contract(priorities=[housing], value=Decimal("100000.00"))
    factory.make_contract(priorities=[housing, other], value=Decimal("250000.50"))
    factory.make_contract(
        priorities=[housing], value=Decimal("999999.00"), archived_at=datetime(2026, 1, 5, tzinfo=timezone.utc)
    )
    factory.make_contract(priorities=[other], value=Decimal("7.00"))

    from contracts_app.priorities.services import list_priorities

    rows = {row.priority.name: row for row in list_priorities()}

    assert rows["Affordable housing"].contract_count == 2
    assert rows["Affordable housing"].totals == {"USD": Decimal("350000.50")}
    assert rows["Clean streets"].contract_count == 2
    assert rows["Clean streets"].totals == {"USD": Decimal("250007.50")}


def test_it_counts_the_active_contracts_as_the_portfolio_does(factory):
    housing = factory.make_priority(name="Affordable housing")
    factory.make_contract(priorities=[housing], status="active")
    factory.make_contract(priorities=[housing], status="completed")
    factory.make_contract(priorities=[housing], status="draft")

    from contracts_app.portfolio.queries import priority_rollups, strategic_conditions
    from contracts_app.priorities.services import list_priorities

    (row,) = list_priorities()
    assert row.contract_count == 1
    assert [card["total"] for card in priority_rollups(strategic_conditions())] == [1]


def test_it_shows_the_counts_and_totals_on_the_list_page(client_as, factory):
    housing = factory.make_priority(name="Affordable housing")
    factory.make_contract(priorities=[housing], value=Decimal("100000.00"))
    factory.make_contract(priorities=[housing], value=Decimal("250000.50"))
    factory.make_contract(
        priorities=[housing], value=Decimal("999999.00"), archived_at=datetime(2026, 1, 5, tzinfo=timezone.utc)
    )

    page = _html(client_as("viewer").get("/priorities"))

    assert '<td class="num">2</td>' in without_cell_labels(page)
    assert "$350,000.50" in page
    assert "999,999" not in page


def test_it_totals_each_currency_separately(factory):
    priority = factory.make_priority()
    factory.make_contract(priorities=[priority], value=Decimal("100"), currency="USD")
    factory.make_contract(priorities=[priority], value=Decimal("40"), currency="EUR")

    from contracts_app.priorities.services import list_priorities

    (row,) = list_priorities()
    assert row.contract_count == 2
    assert row.totals == {"EUR": Decimal("40"), "USD": Decimal("100")}


def test_it_shows_zero_contracts_for_a_priority_without_any(client_as, factory):
    factory.make_priority(name="Digital services")

    page = _html(client_as("viewer").get("/priorities"))

    assert '<td class="num">0</td>' in without_cell_labels(page)


def test_it_lists_priorities_without_a_query_per_row(client_as, factory, users, count_queries):
    client = client_as("viewer")

    def add_priorities(n):
        for _ in range(n):
            priority = factory.make_priority(owner=users["cdo"])
            factory.make_contract(priorities=[priority])

    add_priorities(2)
    few = count_queries(lambda: client.get("/priorities"))
    add_priorities(8)
    many = count_queries(lambda: client.get("/priorities"))

    assert many == few


def test_it_shows_a_priority_with_its_outcome_owner_and_target_year(client_as, factory, users):
    priority = factory.make_priority(
        name="Homelessness", outcome="Halve unsheltered homelessness", owner=users["cdo"], target_year=2028
    )

    response = client_as("viewer").get(f"/priorities/{priority.id}")

    page = _html(response)
    assert response.status_code == 200
    assert "Halve unsheltered homelessness" in page
    assert users["cdo"].name in page
    assert "2028" in page


def test_it_shows_the_contracts_serving_a_priority(client_as, factory, needs_contract_page):
    priority = factory.make_priority()
    vendor = factory.make_vendor(name="Acme Outreach")
    contract = factory.make_contract(
        priorities=[priority], reference="HS-2025-01", title="Street outreach", vendor=vendor,
        value=Decimal("1250000.00"), health="at_risk",
    )

    page = _html(client_as("viewer").get(f"/priorities/{priority.id}"))

    contracts = page.split('id="priority-contracts"', 1)[1].split("</table>", 1)[0]
    assert "HS-2025-01" in contracts and "Street outreach" in contracts and "Acme Outreach" in contracts
    assert 'class="badge badge-at_risk"' in contracts
    assert "$1,250,000" in contracts
    assert f'href="/portfolio/contracts/{contract.id}"' in contracts
    assert 'id="other-contracts"' not in page


def test_it_lists_the_contracts_that_are_not_active_apart(client_as, factory):
    priority = factory.make_priority()
    factory.make_contract(priorities=[priority], reference="LIVE-1", status="active")
    draft = factory.make_contract(priorities=[priority], reference="DRAFT-1", status="draft", title="Next year's outreach")
    factory.make_contract(priorities=[priority], reference="DONE-1", status="completed")

    page = _html(client_as("viewer").get(f"/priorities/{priority.id}"))

    assert '<dd id="priority-total">1 ·' in page
    others = page.split('id="other-contracts"', 1)[1].split("</table>", 1)[0]
    assert "DRAFT-1" in others and "Next year&#39;s outreach" in others and "Draft" in others
    assert "DONE-1" in others and "Completed" in others
    assert "LIVE-1" not in others
    assert f'href="/contracts/{draft.id}"' in others


def test_it_offers_the_edit_form_to_those_who_may_edit_priorities(client_as, factory):
    priority = factory.make_priority()
    edit = f'href="/priorities/{priority.id}/edit"'
    assert edit in _html(client_as("cdo").get(f"/priorities/{priority.id}"))
    assert edit not in _html(client_as("viewer").get(f"/priorities/{priority.id}"))


def test_it_leaves_archived_contracts_off_the_priority_page(client_as, factory):
    priority = factory.make_priority()
    factory.make_contract(
        priorities=[priority], reference="OLD-1", archived_at=datetime(2026, 1, 5, tzinfo=timezone.utc)
    )
    factory.make_contract(
        priorities=[priority], reference="OLD-2", status="completed", archived_at=datetime(2026, 1, 5, tzinfo=timezone.utc)
    )

    page = _html(client_as("viewer").get(f"/priorities/{priority.id}"))

    assert "OLD-1" not in page and "OLD-2" not in page
    assert "No active contracts serve this priority yet." in page


def test_it_leaves_other_priorities_contracts_off_the_priority_page(client_as, factory):
    priority = factory.make_priority()
    factory.make_contract(priorities=[factory.make_priority()], reference="ELSEWHERE-1")

    page = _html(client_as("viewer").get(f"/priorities/{priority.id}"))

    assert "ELSEWHERE-1" not in page


@pytest.mark.parametrize("path", ["/priorities/999999", "/priorities/999999/edit"])
def test_it_returns_404_for_an_unknown_priority(client_as, path):
    assert client_as("admin").get(path).status_code == 404


def test_it_escapes_user_text(client_as, factory):
    factory.make_priority(name="<script>alert(1)</script>")

    page = _html(client_as("viewer").get("/priorities"))

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
