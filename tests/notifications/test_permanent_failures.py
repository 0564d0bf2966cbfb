"""Permanent refusals (SMTP 5xx for a recipient or a message) end in a failed notification after
NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS attempts; temporary ones (4xx, the server down) keep
backing off. Against a real SMTP server (aiosmtpd)."""
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.notifications.dispatcher import backoff, send_notifications
from contracts_app.notifications.mail import is_permanent_refusal
from contracts_app.notifications.models import Notification
from contracts_app.operations.services import retry_failed_notification
from tests.notifications.conftest import NOW


def _row(db, user):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.recipient_id == user.id)).one()


def _run_until(db, times):
    """Run the dispatcher at each of ``times``; return their counts."""
    return [send_notifications(now=at) for at in times]


@pytest.fixture
def three(factory, smtp, queue):
    """Ben's mailbox does not exist (550), Cy's is busy (451), Ana's takes mail."""
    people = dict(
        ben=factory.make_user("contract_manager", email="ben@city.test"),
        cy=factory.make_user("contract_manager", email="cy@city.test"),
        ana=factory.make_user("cdo", email="ana@city.test"),
    )
    for person in people.values():
        queue(person, f"For {person.email}")
    smtp.handler.refuse_recipients = {"ben@city.test"}
    smtp.handler.defer_recipients = {"cy@city.test"}
    return people


def test_it_marks_a_permanently_refused_notification_failed_after_the_set_attempts(db, app, smtp, three):
    assert app.config["NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS"] == 3
    first = send_notifications(now=NOW)
    ben = _row(db, three["ben"])
    assert first["given_up"] == 0 and first["failed"] == 2
    assert ben.failed_at is None and ben.attempts == 1 and ben.next_attempt_at == NOW + backoff(1)

    second = send_notifications(now=ben.next_attempt_at)
    ben = _row(db, three["ben"])
    assert second["given_up"] == 0 and ben.attempts == 2 and ben.failed_at is None

    at = ben.next_attempt_at
    third = send_notifications(now=at)
    ben = _row(db, three["ben"])
    assert third["given_up"] == 1
    assert ben.failed_at == at and ben.attempts == 3 and ben.sent_at is None
    assert "550" in ben.last_error and ben.claim_token is None

    # Never claimed again, however long one waits.
    tried = smtp.handler.rcpt_attempts.count("ben@city.test")
    later = send_notifications(now=at + timedelta(days=30))
    assert smtp.handler.rcpt_attempts.count("ben@city.test") == tried == 3
    assert later["given_up"] == 0 and _row(db, three["ben"]).attempts == 3


def test_it_sends_the_others_once_and_keeps_retrying_a_temporary_refusal(db, smtp, three):
    times = [NOW]
    for _ in range(5):
        send_notifications(now=times[-1])
        times.append(_row(db, three["cy"]).next_attempt_at)

    assert [m.rcpt_tos for m in smtp.messages] == [["ana@city.test"]]
    assert _row(db, three["ana"]).sent_at == NOW
    cy = _row(db, three["cy"])
    assert cy.failed_at is None and cy.sent_at is None and cy.attempts == 5
    assert "451" in cy.last_error
    # The backoff doubles after each temporary failure.
    assert [later - earlier for earlier, later in zip(times, times[1:])] == [backoff(n) for n in range(1, 6)]

    smtp.handler.defer_recipients = set()
    send_notifications(now=times[-1])
    assert _row(db, three["cy"]).sent_at == times[-1]


def test_it_takes_the_number_of_attempts_from_config(db, app, smtp, three):
    app.config["NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS"] = 1

    counts = send_notifications(now=NOW)

    assert counts["given_up"] == 1 and counts["deferred"] == 1  # Ben given up, Cy deferred
    assert _row(db, three["ben"]).failed_at == NOW
    assert _row(db, three["cy"]).failed_at is None


def test_it_gives_up_on_a_message_the_server_refuses_for_good(db, app, factory, smtp, queue):
    app.config["NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS"] = 2
    ben = factory.make_user("contract_manager")
    queue(ben, "Refused content")
    smtp.handler.refuse_data = "554 5.6.0 Message content rejected"

    send_notifications(now=NOW)
    send_notifications(now=NOW + backoff(1))

    row = _row(db, ben)
    assert row.failed_at == NOW + backoff(1) and row.attempts == 2 and "554" in row.last_error


def test_it_counts_earlier_temporary_failures_towards_the_attempts(db, app, factory, smtp, queue):
    ben = factory.make_user("contract_manager", email="ben@city.test")
    queue(ben, "Busy, then gone")
    smtp.handler.defer_recipients = {"ben@city.test"}
    send_notifications(now=NOW)
    send_notifications(now=NOW + backoff(1))
    smtp.handler.defer_recipients = set()
    smtp.handler.refuse_recipients = {"ben@city.test"}

    send_notifications(now=NOW + backoff(1) + backoff(2))

    assert _row(db, ben).failed_at is not None and _row(db, ben).attempts == 3


def test_it_never_gives_up_while_the_server_is_down(db, app, factory, mail_config, queue):
    from tests.notifications.conftest import free_port

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS=1)
    ben = factory.make_user("contract_manager")
    queue(ben, "Server down")

    counts = send_notifications(now=NOW)

    assert counts["given_up"] == 0
    row = _row(db, ben)
    assert row.failed_at is None and row.next_attempt_at == NOW + backoff(1)


def test_it_tells_permanent_refusals_from_temporary_ones():
    assert is_permanent_refusal(smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"No such user")}))
    assert is_permanent_refusal(smtplib.SMTPDataError(554, b"Rejected"))
    assert not is_permanent_refusal(smtplib.SMTPRecipientsRefused({"a@x.test": (451, b"Busy")}))
    assert not is_permanent_refusal(smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"No"), "b@x.test": (452, b"Full")}))
    assert not is_permanent_refusal(smtplib.SMTPDataError(451, b"Later"))
    # A refused sender is the configuration's fault: kept retrying until the operator fixes it.
    assert not is_permanent_refusal(smtplib.SMTPSenderRefused(550, b"Not allowed", "alerts@city.test"))
    assert not is_permanent_refusal(ConnectionRefusedError())
    assert not is_permanent_refusal(TimeoutError())
    assert not is_permanent_refusal(smtplib.SMTPServerDisconnected("gone"))


def test_an_admin_retry_puts_it_back_once_and_it_is_sent(db, app, smtp, three, users):
    app.config["NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS"] = 1
    send_notifications(now=NOW)
    ben = _row(db, three["ben"])
    assert ben.failed_at is not None

    retried_at = NOW + timedelta(hours=1)
    retry_failed_notification(ben.id, users["admin"], retried_at)
    ben = _row(db, three["ben"])
    assert ben.failed_at is None and ben.attempts == 0 and ben.next_attempt_at == retried_at
    assert "550" in ben.last_error  # kept, for reference
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "notification")).one()
    assert event.action == "retry" and event.actor_id == users["admin"].id and event.entity_id == ben.id

    from contracts_app.errors import ServiceError

    with pytest.raises(ServiceError):
        retry_failed_notification(ben.id, users["admin"], retried_at)  # no longer failed
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.entity_type == "notification").offset(1)) is None

    smtp.handler.refuse_recipients = set()  # the mailbox was fixed
    send_notifications(now=retried_at)
    assert _row(db, three["ben"]).sent_at == retried_at
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["ana@city.test", "ben@city.test"]
