"""`flask --app contracts_app notifications send [--now ISO-8601]`."""
from datetime import timedelta

from sqlalchemy import func, select

from contracts_app.db_types import utcnow
from contracts_app.notifications.models import Notification
from tests.notifications.conftest import NOW


def _unsent(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None)))


def test_it_prints_the_counts(runner, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "One")
    queue(ben, "Two")

    result = runner.invoke(args=["notifications", "send", "--now", NOW.isoformat()])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "recipients: 1, digests sent: 1, notifications sent: 2, failed: 0, deferred: 0, skipped (inactive users): 0, "
        "cancelled (reminders answered): 0, given up (refused permanently): 0"
    )
    assert len(smtp.messages) == 1


def test_it_reads_a_time_without_an_offset_as_utc(db, runner, factory, smtp, queue):
    ben = factory.make_user("contract_manager")
    queue(ben, "Due at 15:00 UTC", now=NOW)

    early = runner.invoke(args=["notifications", "send", "--now", "2026-03-02T14:59:59"])
    due = runner.invoke(args=["notifications", "send", "--now", "2026-03-02T10:00:00-05:00"])

    assert "notifications sent: 0" in early.output
    assert "notifications sent: 1" in due.output
    assert _unsent(db) == 0


def test_it_reports_failures_and_keeps_them_queued(db, app, runner, factory, mail_config, queue):
    from tests.notifications.conftest import SMTPServer

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=SMTPServer().port)
    queue(factory.make_user("contract_manager"), "Stays queued")

    result = runner.invoke(args=["notifications", "send", "--now", NOW.isoformat()])

    assert result.exit_code == 0, result.output
    assert "failed: 1, deferred: 1" in result.output
    assert _unsent(db) == 1


def test_it_refuses_a_bad_now(db, runner, factory, smtp, queue):
    queue(factory.make_user("contract_manager"), "Not sent")

    result = runner.invoke(args=["notifications", "send", "--now", "yesterday"])

    assert result.exit_code == 2
    assert "is not an ISO-8601 date and time" in result.output
    assert _unsent(db) == 1


def test_it_uses_the_clock_without_now(runner, factory, smtp, queue):
    queue(factory.make_user("contract_manager"), "Queued a minute ago", now=utcnow() - timedelta(minutes=1))

    result = runner.invoke(args=["notifications", "send"])

    assert "notifications sent: 1" in result.output
