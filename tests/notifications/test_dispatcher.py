"""The dispatcher: one digest per recipient over real SMTP, retries with backoff, exactly once."""
import logging
from datetime import timedelta

from sqlalchemy import func, select, update

from contracts_app.notifications.dispatcher import INACTIVE_RECIPIENT, backoff, claim_due, send_notifications
from contracts_app.notifications.models import Notification
from tests.notifications.conftest import BASE_URL, NOW, SENDER, SMTPServer


def _rows(db):
    db.session.expire_all()
    return db.session.scalars(select(Notification).order_by(Notification.id)).all()


def _unsent(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None)))


def test_it_sends_one_digest_per_recipient(factory, smtp, queue):
    ben = factory.make_user("contract_manager", name="Ben Okafor", email="ben@city.test")
    ana = factory.make_user("cdo", name="Ana Ruiz", email="ana@city.test")
    queue(ben, "Reading overdue: Job placements, Feb 2026", link="/contracts/12")
    queue(ben, "Check-in proposed for C-0012", kind="checkin_proposed", link="/checkins/3")
    queue(ana, "Flag open 15 days: C-0012", kind="escalation", link="/flags/7")

    counts = send_notifications(now=NOW)

    assert counts == dict(recipients=2, digests_sent=2, notifications_sent=3, failed=0, deferred=0, skipped=0, cancelled=0, given_up=0)
    by_rcpt = {tuple(m.rcpt_tos): m for m in smtp.messages}
    assert set(by_rcpt) == {("ben@city.test",), ("ana@city.test",)}


def test_it_addresses_the_digest_from_the_sender_to_the_recipient(factory, smtp, queue):
    ben = factory.make_user("contract_manager", name="Ben Okafor", email="ben@city.test")
    queue(ben, "Reading overdue")

    send_notifications(now=NOW)

    [message] = smtp.messages
    assert message.rcpt_tos == ["ben@city.test"]
    assert message["To"].addresses[0].addr_spec == "ben@city.test"
    assert message["To"].addresses[0].display_name == "Ben Okafor"
    assert message["From"] == SENDER
    assert message["Auto-Submitted"] == "auto-generated"


def test_it_counts_the_items_in_the_subject(factory, smtp, queue):
    ben = factory.make_user("contract_manager", name="Ben Okafor")
    queue(ben, "One")
    queue(ben, "Two")

    send_notifications(now=NOW)

    assert smtp.messages[0]["Subject"] == "RDC Tracker: 2 new items for Ben Okafor"


def test_it_counts_escalations_in_the_subject(factory, smtp, queue):
    cdo = factory.make_user("cdo", name="Ana Ruiz")
    queue(cdo, "Escalated", kind="escalation")

    send_notifications(now=NOW)

    assert smtp.messages[0]["Subject"] == "RDC Tracker: 1 new item for Ana Ruiz (1 escalation)"


def test_it_lists_each_item_with_its_absolute_link(factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Reading overdue: Job placements", body="Due 10 Feb 2026, grace 3 days.", link="/contracts/12")
    queue(ben, "Milestone past due: Launch", link="/contracts/12#milestones")

    send_notifications(now=NOW)

    text = smtp.messages[0].text
    assert "Reading overdue: Job placements" in text
    assert "Due 10 Feb 2026, grace 3 days." in text
    assert f"{BASE_URL}/contracts/12\n" in text
    assert "Milestone past due: Launch" in text
    assert f"{BASE_URL}/contracts/12#milestones" in text
    assert f"{BASE_URL}/inbox" in text


def test_it_puts_escalations_first(factory, smtp, queue):
    cdo = factory.make_user("cdo")
    queue(cdo, "A flag opened", kind="flag_opened")
    queue(cdo, "A check-in proposed", kind="checkin_proposed")
    queue(cdo, "An escalation", kind="escalation")

    send_notifications(now=NOW)

    text = smtp.messages[0].text
    assert text.index("Escalations (1)") < text.index("An escalation") < text.index("Flags opened (1)")
    assert text.index("A flag opened") < text.index("Check-ins proposed (1)") < text.index("A check-in proposed")


def test_it_escapes_the_html_alternative(factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "<script>alert(1)</script>", link="/contracts/1?a=1&b=2")

    send_notifications(now=NOW)

    html = smtp.messages[0].html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'href="{BASE_URL}/contracts/1?a=1&amp;b=2"' in html


def test_it_keeps_a_name_with_a_line_break_out_of_other_headers(factory, smtp, queue):
    user = factory.make_user("contract_manager", name="Ben\r\nBcc: victim@evil.test")
    queue(user, "Hello")

    counts = send_notifications(now=NOW)

    [message] = smtp.messages
    assert counts["digests_sent"] == 1
    assert message["Bcc"] is None
    assert message.rcpt_tos == [user.email]
    assert "\n" not in message["Subject"]


def test_it_marks_sent_notifications_and_does_not_send_them_again(db, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Once")

    send_notifications(now=NOW)
    second = send_notifications(now=NOW + timedelta(hours=1))

    [row] = _rows(db)
    assert row.sent_at == NOW
    assert row.attempts == 1
    assert row.claimed_at is None and row.claim_token is None
    assert second["recipients"] == 0
    assert len(smtp.messages) == 1


def test_it_sends_nothing_before_a_notification_is_due(db, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Later", now=NOW + timedelta(minutes=5))

    counts = send_notifications(now=NOW)

    assert counts["recipients"] == 0
    assert smtp.messages == []
    assert _unsent(db) == 1


def test_it_keeps_notifications_queued_while_the_smtp_server_is_down(db, factory, mail_config, app, queue):
    down = SMTPServer()  # never started: its port refuses connections
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=down.port)
    ben = factory.make_user("contract_manager")
    ana = factory.make_user("cdo")
    queue(ben, "For Ben")
    queue(ana, "For Ana", kind="escalation")

    counts = send_notifications(now=NOW)

    assert counts == dict(recipients=2, digests_sent=0, notifications_sent=0, failed=2, deferred=2, skipped=0, cancelled=0, given_up=0)
    for row in _rows(db):
        assert row.sent_at is None
        assert row.attempts == 1
        assert "Connection refused" in row.last_error or "Errno" in row.last_error
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert row.claimed_at is None and row.claim_token is None


def test_it_does_not_retry_before_the_backoff_has_passed(db, factory, mail_config, app, queue):
    server = SMTPServer()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    ben = factory.make_user("contract_manager")
    queue(ben, "For Ben")
    send_notifications(now=NOW)
    server.start()
    try:
        counts = send_notifications(now=NOW + timedelta(seconds=59))
    finally:
        server.stop()

    assert counts["recipients"] == 0
    assert server.messages == []
    assert _rows(db)[0].attempts == 1


def test_it_delivers_everything_once_when_the_smtp_server_is_back(db, factory, mail_config, app, queue):
    server = SMTPServer()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    people = [factory.make_user("contract_manager") for _ in range(3)]
    subjects = []
    for person in people:
        for n in range(2):
            subjects.append(f"Item {n} for {person.email}")
            queue(person, subjects[-1])
    send_notifications(now=NOW)  # down: every row backs off one minute
    send_notifications(now=NOW + timedelta(minutes=2))  # still down: two minutes more
    assert {row.attempts for row in _rows(db)} == {2}

    server.start()
    try:
        back = send_notifications(now=NOW + timedelta(minutes=5))
        again = send_notifications(now=NOW + timedelta(minutes=30))
    finally:
        server.stop()

    assert back == dict(recipients=3, digests_sent=3, notifications_sent=6, failed=0, deferred=0, skipped=0, cancelled=0, given_up=0)
    assert again["recipients"] == 0
    bodies = "".join(message.text for message in server.messages)
    assert len(server.messages) == 3
    assert all(bodies.count(subject + "\n") == 1 for subject in subjects)
    assert _unsent(db) == 0
    assert {row.attempts for row in _rows(db)} == {3}


def test_it_retries_a_digest_the_server_refused(db, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Refused at first")
    smtp.handler.refuse_data = "554 5.7.1 Message rejected"

    refused = send_notifications(now=NOW)

    [row] = _rows(db)
    assert refused["failed"] == 1 and refused["deferred"] == 1
    assert smtp.messages == []
    assert row.sent_at is None and row.attempts == 1
    assert "554" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(minutes=1)

    smtp.handler.refuse_data = None
    accepted = send_notifications(now=NOW + timedelta(minutes=1))

    assert accepted["notifications_sent"] == 1
    assert len(smtp.messages) == 1
    assert _unsent(db) == 0


def test_it_sends_the_other_digests_when_one_recipient_is_refused(db, factory, smtp, queue):
    ben = factory.make_user("contract_manager", email="ben@city.test")
    ana = factory.make_user("cdo", email="ana@city.test")
    queue(ben, "For Ben")
    queue(ana, "For Ana")
    smtp.handler.refuse_recipients = {"ben@city.test"}

    counts = send_notifications(now=NOW)

    assert counts["digests_sent"] == 1 and counts["failed"] == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["ana@city.test"]]
    ben_row = next(row for row in _rows(db) if row.recipient_id == ben.id)
    assert ben_row.sent_at is None and "550" in ben_row.last_error


def test_it_backs_off_exponentially_up_to_a_cap(app):
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(9) == timedelta(hours=4, minutes=16)
    assert backoff(10) == timedelta(hours=6)
    assert backoff(10_000) == timedelta(hours=6)


def test_it_takes_the_backoff_from_config(app):
    app.config.update(NOTIFICATIONS_BACKOFF_BASE_SECONDS=10, NOTIFICATIONS_BACKOFF_MAX_SECONDS=30)

    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (10, 20, 30)]


def test_it_waits_longer_after_each_failure(db, factory, mail_config, app, queue):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=SMTPServer().port)
    ben = factory.make_user("contract_manager")
    queue(ben, "Keeps failing")
    now, waits = NOW, []
    for _ in range(4):
        send_notifications(now=now)
        row = _rows(db)[0]
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert _rows(db)[0].attempts == 4


def test_it_picks_up_a_stale_claim_from_a_crashed_dispatcher(db, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Claimed then crashed")
    db.session.execute(update(Notification).values(claimed_at=NOW - timedelta(minutes=11), claim_token="crashed-run"))
    db.session.commit()

    counts = send_notifications(now=NOW)

    [row] = _rows(db)
    assert counts["notifications_sent"] == 1
    assert len(smtp.messages) == 1
    assert row.sent_at == NOW and row.claim_token is None


def test_it_leaves_a_fresh_claim_to_its_dispatcher(db, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Being sent by another run")
    db.session.execute(update(Notification).values(claimed_at=NOW - timedelta(minutes=9), claim_token="running"))
    db.session.commit()

    counts = send_notifications(now=NOW)

    assert counts["recipients"] == 0
    assert smtp.messages == []
    assert _rows(db)[0].claim_token == "running"


def test_it_takes_the_claim_timeout_from_config(db, app, factory, smtp, queue):
    app.config["NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS"] = 60
    ben = factory.make_user("contract_manager")
    queue(ben, "Claimed two minutes ago")
    db.session.execute(update(Notification).values(claimed_at=NOW - timedelta(minutes=2), claim_token="crashed-run"))
    db.session.commit()

    assert send_notifications(now=NOW)["notifications_sent"] == 1


def test_it_claims_a_row_for_one_run_only(db, factory, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Claim me")

    first = claim_due(NOW, "run-1")
    second = claim_due(NOW, "run-2")

    assert (first, second) == (1, 0)
    assert _rows(db)[0].claim_token == "run-1"


def test_it_does_not_email_an_inactive_user(db, factory, smtp, queue):
    gone = factory.make_user("contract_manager", active=False)
    queue(gone, "Nobody reads this")

    counts = send_notifications(now=NOW)

    [row] = _rows(db)
    assert counts["skipped"] == 1 and counts["digests_sent"] == 0
    assert smtp.messages == []
    assert row.sent_at == NOW
    assert row.last_error == INACTIVE_RECIPIENT
    assert row.attempts == 0


def test_it_logs_the_message_when_no_smtp_server_is_configured(db, app, factory, mail_config, queue, caplog):
    app.config["MAIL_SERVER"] = None
    ben = factory.make_user("contract_manager", name="Ben Okafor", email="ben@city.test")
    queue(ben, "Logged, not sent", link="/contracts/4")
    caplog.set_level(logging.INFO, logger="notifications.mail")

    counts = send_notifications(now=NOW)

    [record] = [r for r in caplog.records if r.name == "notifications.mail"]
    assert "Subject: RDC Tracker: 1 new item for Ben Okafor" in record.getMessage()
    assert "To: Ben Okafor <ben@city.test>" in record.getMessage()
    assert f"{BASE_URL}/contracts/4" in record.getMessage()
    assert counts["notifications_sent"] == 1
    assert _rows(db)[0].sent_at == NOW


def test_it_does_nothing_with_an_empty_outbox(smtp):
    assert send_notifications(now=NOW) == dict(
        recipients=0, digests_sent=0, notifications_sent=0, failed=0, deferred=0, skipped=0, cancelled=0, given_up=0
    )


def test_it_treats_a_server_without_starttls_as_down(db, app, factory, smtp, queue):
    app.config["MAIL_USE_TLS"] = True  # the test server offers no STARTTLS
    queue(factory.make_user("contract_manager"), "For Ben")
    queue(factory.make_user("cdo"), "For Ana")

    counts = send_notifications(now=NOW)

    assert counts["failed"] == 2 and counts["deferred"] == 2
    assert smtp.messages == []
    assert all("SMTPNotSupportedError" in row.last_error for row in _rows(db))


def test_it_retries_an_address_the_server_cannot_take_without_holding_up_others(db, factory, smtp, queue):
    odd = factory.make_user("contract_manager", email="bén@city.test")  # needs SMTPUTF8, not offered
    ana = factory.make_user("cdo", email="ana@city.test")
    queue(odd, "For the odd address")
    queue(ana, "For Ana")

    counts = send_notifications(now=NOW)

    assert counts["digests_sent"] == 1 and counts["failed"] == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["ana@city.test"]]
    odd_row = next(row for row in _rows(db) if row.recipient_id == odd.id)
    assert odd_row.sent_at is None and odd_row.attempts == 1 and odd_row.claim_token is None


def test_it_retries_a_digest_it_could_not_build_without_holding_up_others(db, factory, smtp, queue, monkeypatch):
    from contracts_app.notifications import dispatcher

    broken = factory.make_user("contract_manager")
    ana = factory.make_user("cdo", email="ana@city.test")
    queue(broken, "Cannot be built")
    queue(ana, "For Ana")
    real_build = dispatcher.build_digest

    def build(recipient, notifications, now):
        if recipient.id == broken.id:
            raise ValueError("bad data")
        return real_build(recipient, notifications, now)

    monkeypatch.setattr(dispatcher, "build_digest", build)

    counts = send_notifications(now=NOW)

    assert counts["digests_sent"] == 1 and counts["failed"] == 1
    broken_row = next(row for row in _rows(db) if row.recipient_id == broken.id)
    assert broken_row.sent_at is None and broken_row.last_error == "ValueError: bad data"
    assert broken_row.claim_token is None and broken_row.next_attempt_at == NOW + timedelta(minutes=1)
