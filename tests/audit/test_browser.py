"""The audit log browser: admin only, newest first, filters, pagination, never a 500."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import event as sa_event

from contracts_app.priorities.services import create_priority, update_priority
from tests.html import without_cell_labels


def _html(response):
    return response.get_data(as_text=True)


def _at(day, hour=15):
    return datetime(2026, 3, day, hour, 0, tzinfo=timezone.utc)


def test_it_shows_admins_who_changed_what_with_before_and_after(admin_client, users):
    priority = create_priority(users["cdo"], "Vision Zero", "No deaths", target_year=2030)
    update_priority(priority, users["cdo"], "Vision Zero", "No traffic deaths", target_year=2031)

    response = admin_client.get("/audit")

    page = _html(response)
    assert response.status_code == 200
    assert "Updated priority Vision Zero" in page
    assert "Created priority Vision Zero" in page
    assert users["cdo"].name in page
    assert "<del>2030</del> → <ins>2031</ins>" in page
    assert "<del>No deaths</del> → <ins>No traffic deaths</ins>" in page
    assert f'href="/priorities/{priority.id}"' in page


def test_it_lists_the_newest_event_first(admin_client, users, make_event):
    make_event(users["cdo"], summary="the older one", created_at=_at(1))
    make_event(users["cdo"], summary="the newer one", created_at=_at(2))

    page = _html(admin_client.get("/audit"))

    assert page.index("the newer one") < page.index("the older one")


def test_it_shows_times_in_the_city_time_zone(admin_client, users, make_event):
    make_event(users["cdo"], created_at=datetime(2026, 3, 10, 3, 30, tzinfo=timezone.utc))

    page = _html(admin_client.get("/audit"))

    assert "9 Mar 2026, 22:30 CDT" in page
    assert "America/Chicago" in page


def test_it_names_the_system_for_events_without_a_user(admin_client, make_event):
    make_event(None, summary="Loaded by the command line")

    page = _html(admin_client.get("/audit"))

    assert "Loaded by the command line" in page
    assert "<td>System</td>" in without_cell_labels(page)


def test_it_links_events_to_their_contract(admin_client, users, factory, make_event):
    contract = factory.make_contract()
    make_event(users["procurement_officer"], entity_type="metric", entity_id=7, contract_id=contract.id)

    page = _html(admin_client.get("/audit"))

    assert "metric #7" in page
    assert f'href="/contracts/{contract.id}"' in page


@pytest.mark.parametrize("role", ["procurement_officer", "contract_manager", "cdo", "viewer"])
def test_it_forbids_everyone_but_admins(client_as, role):
    assert client_as(role).get("/audit").status_code == 403


def test_it_filters_by_entity_type(admin_client, users, make_event):
    make_event(users["cdo"], entity_type="priority", summary="about a priority")
    make_event(users["cdo"], entity_type="vendor", summary="about a vendor")

    page = _html(admin_client.get("/audit?type=vendor"))

    assert "about a vendor" in page
    assert "about a priority" not in page


def test_it_filters_by_actor(admin_client, users, make_event):
    make_event(users["cdo"], summary="done by the cdo")
    make_event(users["procurement_officer"], summary="done by the officer")

    page = _html(admin_client.get(f"/audit?actor={users['cdo'].id}"))

    assert "done by the cdo" in page
    assert "done by the officer" not in page


def test_it_filters_events_without_a_user(admin_client, users, make_event):
    make_event(None, summary="done by the system")
    make_event(users["cdo"], summary="done by the cdo")

    page = _html(admin_client.get("/audit?actor=system"))

    assert "done by the system" in page
    assert "done by the cdo" not in page


def test_it_filters_by_action(admin_client, users, make_event):
    make_event(users["cdo"], action="create", summary="a creation")
    make_event(users["cdo"], action="archive", summary="an archiving")

    page = _html(admin_client.get("/audit?action=archive"))

    assert "an archiving" in page
    assert "a creation" not in page


def test_it_filters_by_date_range_inclusive(admin_client, users, make_event):
    make_event(users["cdo"], summary="before the range", created_at=_at(1))
    make_event(users["cdo"], summary="first day", created_at=_at(2))
    make_event(users["cdo"], summary="last day", created_at=_at(4))
    make_event(users["cdo"], summary="after the range", created_at=_at(5))

    page = _html(admin_client.get("/audit?from=2026-03-02&to=2026-03-04"))

    assert "first day" in page and "last day" in page
    assert "before the range" not in page and "after the range" not in page


def test_it_reads_the_date_range_in_the_city_time_zone(admin_client, users, make_event):
    # 02:00 UTC on 3 March is the evening of 2 March in Chicago.
    make_event(users["cdo"], summary="Chicago evening", created_at=datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc))

    on_the_2nd = _html(admin_client.get("/audit?from=2026-03-02&to=2026-03-02"))
    on_the_3rd = _html(admin_client.get("/audit?from=2026-03-03&to=2026-03-03"))

    assert "Chicago evening" in on_the_2nd
    assert "Chicago evening" not in on_the_3rd


def test_it_combines_filters(admin_client, users, make_event):
    make_event(users["cdo"], action="create", entity_type="vendor", summary="cdo created a vendor")
    make_event(users["cdo"], action="update", entity_type="vendor", summary="cdo updated a vendor")
    make_event(users["admin"], action="create", entity_type="vendor", summary="admin created a vendor")

    page = _html(admin_client.get(f"/audit?type=vendor&action=create&actor={users['cdo'].id}"))

    assert "cdo created a vendor" in page
    assert "cdo updated a vendor" not in page
    assert "admin created a vendor" not in page


def test_it_offers_the_types_and_actions_in_the_log(admin_client, users, make_event):
    make_event(users["cdo"], action="restore", entity_type="milestone")

    page = _html(admin_client.get("/audit"))

    assert '<option value="milestone">Milestone</option>' in page
    assert '<option value="restore">Restore</option>' in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("page=abc", "is not a page number"),
        ("page=0", "is not a page number"),
        ("page=-3", "is not a page number"),
        ("page=99999999999999999999999", "is not a page number"),
        ("from=notadate", "Not a valid date value."),
        ("to=2026-02-30", "Not a valid date value."),
        ("from=0001-01-01", "Enter a date between 1970 and 2999."),
        ("to=9999-12-31", "Enter a date between 1970 and 2999."),
        ("from=2026-03-05&to=2026-03-01", "The end date is before the start date."),
        ("actor=abc", "Not a valid choice."),
        ("actor=999999", "Not a valid choice."),
        ("type=nonsense", "Not a valid choice."),
        ("action=%3Cscript%3E", "Not a valid choice."),
    ],
)
def test_it_reports_and_ignores_a_bad_filter(admin_client, users, make_event, query, message):
    make_event(users["cdo"], summary="still listed", created_at=_at(3))

    response = admin_client.get(f"/audit?{query}")

    page = _html(response)
    assert response.status_code == 200
    assert message in page
    assert "still listed" in page


def test_it_keeps_the_good_filters_when_one_is_bad(admin_client, users, make_event):
    make_event(users["cdo"], entity_type="vendor", summary="about a vendor")
    make_event(users["cdo"], entity_type="priority", summary="about a priority")

    page = _html(admin_client.get("/audit?type=vendor&from=notadate"))

    assert "about a vendor" in page
    assert "about a priority" not in page


def test_it_paginates_newest_first(app, admin_client, users, make_event):
    app.config["PER_PAGE"] = 2
    for day in range(1, 6):
        make_event(users["cdo"], summary=f"event of day {day}", created_at=_at(day))

    first = _html(admin_client.get("/audit"))
    last = _html(admin_client.get("/audit?page=3"))

    assert "event of day 5" in first and "event of day 4" in first
    assert "event of day 3" not in first
    assert "Page 1 of 3 (5 in all)" in first
    assert "event of day 1" in last and "event of day 2" not in last


def test_it_keeps_the_filters_in_the_page_links(app, admin_client, users, make_event):
    app.config["PER_PAGE"] = 1
    for _ in range(2):
        make_event(users["cdo"], entity_type="vendor")

    page = _html(admin_client.get("/audit?type=vendor"))

    assert 'href="/audit?type=vendor&amp;page=2"' in page


def test_it_shows_the_last_page_for_a_page_past_the_end(app, admin_client, users, make_event):
    app.config["PER_PAGE"] = 2
    for day in range(1, 4):
        make_event(users["cdo"], summary=f"event of day {day}", created_at=_at(day))

    response = admin_client.get("/audit?page=40")

    page = _html(response)
    assert response.status_code == 200
    assert "There is no page 40; showing the last page." in page
    assert "event of day 1" in page


def test_it_says_so_when_no_event_matches(admin_client, users, make_event):
    make_event(users["cdo"], action="create")

    page = _html(admin_client.get("/audit?action=create&from=2030-01-01"))

    assert "No events match these filters." in page


def test_it_loads_the_actors_without_a_query_per_row(db, admin_client, factory, make_event):
    def queries_for_page():
        statements = []

        def count(*args):
            statements.append(1)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert admin_client.get("/audit").status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    make_event(factory.make_user("cdo"))
    few = queries_for_page()
    for _ in range(6):
        make_event(factory.make_user("viewer"))
    many = queries_for_page()

    assert many == few
