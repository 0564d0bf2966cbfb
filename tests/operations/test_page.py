"""The operations page: scheduler heartbeat, the stale-scheduler warning, outbox health with
the failed notifications and their retry, and the schema's revision. Admins only."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.notifications.models import Notification
from contracts_app.operations.queries import scheduler_health, scheduler_warning


def page_text(response):
    """The page's visible text with tags dropped and white space squeezed."""
    import html
    import re

    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


def _failed(user, key="failed-1", now=None):
    now = now or utcnow()
    row = Notification(
        recipient_id=user.id, kind="flag_opened", dedupe_key=key, subject="Reading overdue: Job placements",
        created_at=now - timedelta(hours=3), failed_at=now - timedelta(hours=1), attempts=3,
        last_error="SMTPRecipientsRefused: {'ben@city.test': (550, b'5.1.1 No such mailbox here')}",
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_it_says_when_the_scheduler_last_ran(client_as, beat):
    now = utcnow()
    beat("sweep", now - timedelta(minutes=5, seconds=10), seconds=3.25)
    beat("dispatch", now - timedelta(minutes=7), error="SMTPServerDisconnected: Connection unexpectedly closed")

    text = page_text(client_as("admin").get("/admin/operations"))

    assert "Scheduler last ran 5 minutes ago" in text
    assert "3.2 s" in text or "3.3 s" in text
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in text
    assert "dispatch failed on its last run" in text
    assert "sched-1" in text and "pid 321" in text
    assert "reminders never ran" in text
    assert "The scheduler is not running" not in text


def test_it_warns_when_the_scheduler_has_not_run_for_two_hours(client_as, beat):
    beat("sweep", utcnow() - timedelta(hours=2, minutes=5))

    admin = client_as("admin")
    text = page_text(admin.get("/admin/operations"))

    assert "The scheduler is not running" in text and "last job started 125 minutes ago" in text
    # Also where admins land, and on My work.
    assert "The scheduler is not running" in page_text(admin.get("/portfolio"))
    assert "The scheduler is not running" in page_text(admin.get("/work"))
    # Not for other roles, who can do nothing about it.
    assert "The scheduler is not running" not in page_text(client_as("cdo").get("/portfolio"))


def test_it_warns_when_the_scheduler_never_ran(client_as):
    text = page_text(client_as("admin").get("/portfolio"))
    assert "No scheduler job has ever run against this database" in text


def test_it_judges_staleness_from_the_setting(app, beat):
    beat("sweep", NOW - timedelta(minutes=119))
    assert not scheduler_health(NOW).stale and scheduler_warning(NOW) is None
    assert scheduler_health(NOW + timedelta(minutes=2)).stale
    app.config["SCHEDULER_STALE_MINUTES"] = 30
    assert scheduler_health(NOW).stale and scheduler_warning(NOW).minutes_ago == 119


def test_it_lists_the_failed_notifications_and_the_outbox(client_as, users, factory):
    ben = factory.make_user("contract_manager", name="Ben Okafor", email="ben@city.test")
    _failed(ben)
    db.session.add(Notification(recipient_id=ben.id, kind="escalation", dedupe_key="pending", subject="Waiting",
                                created_at=utcnow() - timedelta(minutes=42)))
    db.session.commit()

    text = page_text(client_as("admin").get("/admin/operations"))

    assert "Waiting to be sent 1 notification" in text
    assert "(42 minutes)" in text
    assert "Failed 1 notification refused permanently" in text
    assert "Ben Okafor" in text and "ben@city.test" in text
    assert "Reading overdue: Job placements" in text and "Flag opened" in text
    assert "550" in text and "5.1.1 No such mailbox here" in text


def test_it_shows_whether_the_schema_is_at_head(client_as, at_head, stamp_revision):
    admin = client_as("admin")
    assert "Up to date" in page_text(admin.get("/admin/operations"))
    stamp_revision("0a2901dfe4be")
    text = page_text(admin.get("/admin/operations"))
    assert "Not up to date" in text and "0a2901dfe4be" in text


def test_an_admin_retries_a_failed_notification(client_as, factory):
    ben = factory.make_user("contract_manager", email="ben@city.test")
    row = _failed(ben)
    admin = client_as("admin")

    response = admin.post(f"/admin/operations/notifications/{row.id}/retry")

    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/operations#failed")
    db.session.expire_all()
    row = db.session.get(Notification, row.id)
    assert row.failed_at is None and row.attempts == 0
    assert "queued again" in page_text(admin.get("/admin/operations"))

    again = admin.post(f"/admin/operations/notifications/{row.id}/retry", follow_redirects=True)
    assert "is not failed" in page_text(again)
    # Audited: the audit log shows who put it back.
    audit = admin.get("/audit")
    assert audit.status_code == 200 and "Retry notification to ben@city.test" in page_text(audit)


def test_a_retry_of_something_not_failed_changes_nothing(client_as, factory):
    ben = factory.make_user("contract_manager")
    db.session.add(Notification(recipient_id=ben.id, kind="flag_opened", dedupe_key="sent", subject="Sent",
                                sent_at=utcnow(), attempts=1))
    db.session.commit()
    sent = db.session.scalars(select(Notification)).one()

    response = client_as("admin").post(f"/admin/operations/notifications/{sent.id}/retry", follow_redirects=True)
    missing = client_as("admin").post("/admin/operations/notifications/999999/retry", follow_redirects=True)

    assert "is not failed" in page_text(response) and "is not failed" in page_text(missing)
    db.session.expire_all()
    assert db.session.get(Notification, sent.id).attempts == 1


def test_the_retry_needs_the_csrf_token(app, client_as, factory):
    row = _failed(factory.make_user("contract_manager"))
    admin = client_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True

    response = admin.post(f"/admin/operations/notifications/{row.id}/retry")

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Notification, row.id).failed_at is not None


def test_the_nav_links_admins_to_it(client_as):
    assert 'href="/admin/operations"' in client_as("admin").get("/portfolio").get_data(as_text=True)
    assert 'href="/admin/operations"' not in client_as("cdo").get("/portfolio").get_data(as_text=True)


def test_the_page_has_no_inline_script_or_style(client_as, beat, factory):
    beat("sweep", utcnow() - timedelta(hours=3))
    _failed(factory.make_user("contract_manager"))
    html = client_as("admin").get("/admin/operations").get_data(as_text=True)
    assert "<script" not in html and "<style" not in html and "style=" not in html
