"""The in-app inbox: your own notifications, unread count in the header, mark read."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from contracts_app.notifications.models import Notification
from tests.notifications.conftest import NOW


def _notification(db, key):
    db.session.expire_all()
    return db.session.scalar(select(Notification).where(Notification.dedupe_key == key))


def _unread(db, user):
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    )


@pytest.fixture
def manager(users):
    return users["contract_manager"]


def test_it_lists_your_own_notifications_newest_first(client_as, manager, users, queue):
    queue(manager, "Older item", now=NOW)
    queue(manager, "Newer item", now=NOW + timedelta(hours=1))
    queue(users["cdo"], "Someone else's item")

    page = client_as("contract_manager").get("/inbox").get_data(as_text=True)

    assert page.index("Newer item") < page.index("Older item")
    assert "Someone else&#39;s item" not in page and "Someone else's item" not in page


def test_it_links_each_notification(client_as, manager, queue):
    queue(manager, "Reading overdue", link="/contracts/12")

    page = client_as("contract_manager").get("/inbox").get_data(as_text=True)

    assert '<a href="/contracts/12">Reading overdue</a>' in page


def test_it_highlights_unread_notifications(db, client_as, manager, queue):
    queue(manager, "Unread one")
    read_key = queue(manager, "Read one")
    _notification(db, read_key).read_at = NOW
    db.session.commit()

    page = client_as("contract_manager").get("/inbox").get_data(as_text=True)

    assert page.count('class="unread"') == 1
    assert page.count('class="read"') == 1


def test_it_escapes_notification_text(client_as, manager, queue):
    queue(manager, "<script>alert(1)</script>", body="<b>bold</b>")

    page = client_as("contract_manager").get("/inbox").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_it_pages_the_inbox(app, client_as, manager, queue):
    app.config["PER_PAGE"] = 2
    for n in range(3):
        queue(manager, f"Item number {n}", now=NOW + timedelta(minutes=n))
    manager_client = client_as("contract_manager")

    first = manager_client.get("/inbox").get_data(as_text=True)
    second = manager_client.get("/inbox?page=2").get_data(as_text=True)

    assert "Item number 2" in first and "Item number 1" in first and "Item number 0" not in first
    assert "Item number 0" in second and "Item number 2" not in second
    assert "Page 1 of 2" in first


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999999999999", "7"])
def test_it_shows_a_sensible_page_for_a_bad_page_number(client_as, manager, queue, page):
    queue(manager, "Only item")

    response = client_as("contract_manager").get(f"/inbox?page={page}")

    assert response.status_code == 200
    assert "Only item" in response.get_data(as_text=True)


def test_it_shows_the_unread_count_in_the_header(client_as, manager, users, queue):
    queue(manager, "One")
    queue(manager, "Two")
    queue(users["cdo"], "Not mine")

    page = client_as("contract_manager").get("/contracts").get_data(as_text=True)

    assert "Inbox (2)</a>" in page


@pytest.mark.parametrize("role", ["admin", "procurement_officer", "contract_manager", "cdo", "viewer"])
def test_it_shows_the_inbox_link_to_every_role(client_as, role):
    page = client_as(role).get("/contracts").get_data(as_text=True)

    assert 'href="/inbox"' in page and "Inbox (0)</a>" in page


def test_it_counts_unread_with_one_query_however_many_notifications(app, db, client_as, manager, queue):
    manager_client = client_as("contract_manager")

    def queries_for_inbox():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert manager_client.get("/inbox").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return statements

    queue(manager, "First")
    few = queries_for_inbox()
    for n in range(10):
        queue(manager, f"More {n}")
    many = queries_for_inbox()

    assert len(many) == len(few)
    assert sum("count(" in s.lower() and "read_at IS NULL" in s for s in many) == 1


def test_it_marks_one_notification_read(db, client_as, manager, queue):
    key = queue(manager, "Read me")
    other = queue(manager, "Leave me")

    response = client_as("contract_manager").post(f"/inbox/{_notification(db, key).id}/read")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inbox")
    assert _notification(db, key).read_at is not None
    assert _notification(db, other).read_at is None


def test_it_lowers_the_header_count_after_reading(db, client_as, manager, queue):
    key = queue(manager, "Read me")
    queue(manager, "Leave me")
    manager_client = client_as("contract_manager")

    manager_client.post(f"/inbox/{_notification(db, key).id}/read")
    page = manager_client.get("/inbox").get_data(as_text=True)

    assert "Inbox (1)</a>" in page


def test_it_keeps_the_first_read_time(db, client_as, manager, queue):
    key = queue(manager, "Read twice")
    notification = _notification(db, key)
    notification.read_at = NOW
    db.session.commit()

    response = client_as("contract_manager").post(f"/inbox/{notification.id}/read")

    assert response.status_code == 302
    assert _notification(db, key).read_at == NOW


def test_it_opens_the_notification_link_when_asked(db, client_as, manager, queue):
    key = queue(manager, "Go there", link="/contracts/12")

    response = client_as("contract_manager").post(f"/inbox/{_notification(db, key).id}/read?open=1")

    assert response.status_code == 302
    assert response.headers["Location"] == "/contracts/12"
    assert _notification(db, key).read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_it_never_opens_a_link_off_the_site(db, client_as, manager, queue, link):
    key = queue(manager, "Strange link", link=link)

    response = client_as("contract_manager").post(f"/inbox/{_notification(db, key).id}/read?open=1")

    assert response.headers["Location"].endswith("/inbox")


def test_it_returns_to_the_same_inbox_page(db, client_as, manager, queue):
    key = queue(manager, "On page two")

    response = client_as("contract_manager").post(f"/inbox/{_notification(db, key).id}/read?page=2")

    assert response.headers["Location"].endswith("/inbox?page=2")


def test_it_refuses_to_mark_another_users_notification(db, client_as, users, queue):
    key = queue(users["cdo"], "The CDO's")

    response = client_as("contract_manager").post(f"/inbox/{_notification(db, key).id}/read")

    assert response.status_code == 404
    assert _notification(db, key).read_at is None


@pytest.mark.parametrize("notification_id", ["999999", "99999999999999"])
def test_it_answers_404_for_an_unknown_notification(client_as, notification_id):
    response = client_as("contract_manager").post(f"/inbox/{notification_id}/read")

    assert response.status_code == 404


def test_it_marks_all_your_notifications_read(db, client_as, manager, users, queue):
    queue(manager, "One")
    queue(manager, "Two")
    queue(users["cdo"], "The CDO's")

    response = client_as("contract_manager").post("/inbox/read-all", follow_redirects=True)

    assert response.status_code == 200
    assert "Marked 2 notifications read." in response.get_data(as_text=True)
    assert _unread(db, manager) == 0
    assert _unread(db, users["cdo"]) == 1


def test_it_says_so_when_nothing_was_unread(client_as):
    response = client_as("viewer").post("/inbox/read-all", follow_redirects=True)

    assert "Nothing was unread." in response.get_data(as_text=True)


def test_it_sends_anonymous_users_to_sign_in(client):
    response = client.get("/inbox")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_it_refuses_anonymous_writes(db, client, manager, queue):
    key = queue(manager, "Not yours to read")

    for url in (f"/inbox/{_notification(db, key).id}/read", "/inbox/read-all"):
        response = client.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _unread(db, manager) == 1


def test_it_answers_405_to_get_on_the_write_routes(client_as):
    manager_client = client_as("contract_manager")

    assert manager_client.get("/inbox/1/read").status_code == 405
    assert manager_client.get("/inbox/read-all").status_code == 405
