"""My work for every role, the landing page after sign-in, the navigation, and bounded queries."""
import re
from datetime import date

import pytest

from tests.conftest import ROLES
from tests.querycount import count_queries
from tests.work.conftest import page_of, section


@pytest.mark.parametrize("role, home", [
    ("contract_manager", "/work"), ("procurement_officer", "/work"),
    ("cdo", "/portfolio"), ("admin", "/portfolio"), ("viewer", "/portfolio"),
])
def test_each_role_lands_on_its_own_work(client_as, role, home):
    response = client_as(role).get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith(home)


def test_signing_in_lands_a_contract_manager_on_my_work(client, users):
    response = client.post("/login", data={"email": users["contract_manager"].email, "password": "correct-horse-battery"},
                           follow_redirects=True)
    assert response.request.path == "/work"


@pytest.mark.parametrize("role", ["cdo", "admin", "viewer"])
def test_other_roles_get_a_short_page_pointing_to_the_portfolio(client_as, role):
    page = page_of(client_as(role))
    assert 'href="/portfolio"' in page.split('<main', 1)[1]
    assert "No open action items." in section(page, "action-items")
    assert 'id="overdue"' not in page and 'id="drafts"' not in page


def test_other_roles_see_the_action_items_they_own(factory, users, client_as):
    checkin = factory.make_checkin(factory.make_contract(), status="held", scheduled_for=date(2026, 1, 5))
    item = factory.make_action_item(checkin, owner=users["cdo"].name)
    assert f'data-action-item="{item.id}"' in page_of(client_as("cdo"))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/work")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_my_work_is_first_in_the_navigation_and_current_only_on_its_page(client_as, role):
    client = client_as(role)
    page = page_of(client)
    nav = page.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links[0] == "/work" and "/contracts" in links
    assert nav.count("aria-current") == 1 and 'href="/work" aria-current="page"' in nav
    for url, current in (("/contracts", "/contracts"), ("/vendors", "/vendors"), ("/portfolio", "/portfolio")):
        other = client.get(url).get_data(as_text=True).split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
        assert other.count("aria-current") == 1 and f'href="{current}" aria-current="page"' in other


def _manager_city(factory, manager, n):
    """n contracts managed by ``manager``, each with two metrics, readings, open flags of every
    kind, a proposed check-in and an action item the manager owns."""
    for _ in range(n):
        contract = factory.make_contract(contract_manager_id=manager.id,
                                         procurement_officer_id=None)
        monthly = factory.make_metric(contract, cadence="monthly", due_days=10)
        quarterly = factory.make_metric(contract, cadence="quarterly", due_days=30)
        factory.make_reading(monthly, date(2025, 7, 1), 20, status="off_track")
        factory.make_reading(quarterly, date(2025, 7, 1), 20, status="at_risk")
        factory.make_flag(contract, metric=monthly, kind="off_track", period_start=date(2025, 7, 1))
        factory.make_flag(contract, metric=monthly, kind="overdue", period_start=date(2025, 12, 1))
        milestone = factory.make_milestone(contract, due_date=date(2026, 1, 10))
        factory.make_flag(contract, milestone=milestone, kind="milestone_missed", period_start=date(2026, 1, 10))
        factory.make_flag(contract, kind="no_checkin", period_start=date(2026, 1, 1))
        checkin = factory.make_checkin(contract, status="proposed", scheduled_for=date(2026, 1, 27))
        factory.make_action_item(checkin, owner=manager.email)


def test_it_issues_the_same_number_of_queries_for_2_and_12_contracts(factory, users, client_as):
    manager = users["contract_manager"]
    client = client_as("contract_manager")
    _manager_city(factory, manager, 2)
    with count_queries() as small:
        page_of(client)
    _manager_city(factory, manager, 10)
    with count_queries() as large:
        page = page_of(client)
    assert page.count("data-checkin=") == 12 and page.count("data-action-item=") == 12
    assert section(page, "flags").count('class="card work-group"') == 12
    assert small.count == large.count <= 10, (small.count, large.count)


def test_a_procurement_officers_page_issues_the_same_number_of_queries_at_two_sizes(factory, users, client_as):
    officer = users["procurement_officer"]
    client = client_as("procurement_officer")

    def build(n):
        for _ in range(n):
            contract = factory.make_contract(procurement_officer_id=officer.id)
            factory.make_contract(procurement_officer_id=officer.id, status="draft")
            factory.make_flag(contract, kind="no_checkin", period_start=date(2026, 1, 1))

    build(2)
    with count_queries() as small:
        page_of(client)
    build(10)
    with count_queries() as large:
        page_of(client)
    assert small.count == large.count <= 10
