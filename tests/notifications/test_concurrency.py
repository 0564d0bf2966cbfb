"""Two dispatchers at once against one PostgreSQL database send each notification once."""
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contracts_app.notifications.dispatcher import send_notifications
from contracts_app.notifications.models import Notification
from tests.concurrency import run_together
from tests.notifications.conftest import NOW

RECIPIENTS = 25
PER_RECIPIENT = 4
ROUNDS = 3


def test_it_sends_each_notification_once_with_two_dispatchers_at_once(backend, app, db, factory, smtp, queue):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    people = [factory.make_user("contract_manager") for _ in range(RECIPIENTS)]
    subjects = []
    for round_number in range(ROUNDS):
        now = NOW + timedelta(minutes=round_number)
        for person in people:
            for n in range(PER_RECIPIENT):
                subjects.append(f"Round {round_number} item {n} for user {person.id}")
                queue(person, subjects[-1], now=now)

        results, _ = run_together(app, lambda _: send_notifications(now=now))

        assert sum(r["notifications_sent"] for r in results) == RECIPIENTS * PER_RECIPIENT
        assert sum(r["failed"] for r in results) == 0

    delivered = Counter(
        line[2:] for message in smtp.messages for line in message.text.splitlines() if re.match(r"\* Round ", line)
    )
    assert set(delivered) == set(subjects)
    assert set(delivered.values()) == {1}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None))) == 0
    assert db.session.scalar(select(func.max(Notification.attempts))) == 1


def test_two_dispatchers_at_once_count_each_permanent_refusal_once(backend, app, db, factory, smtp, queue):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    from contracts_app.notifications.dispatcher import backoff

    app.config["NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS"] = 2
    gone = [factory.make_user("contract_manager", email=f"gone{n}@city.test") for n in range(10)]
    fine = [factory.make_user("contract_manager", email=f"fine{n}@city.test") for n in range(10)]
    for person in gone + fine:
        queue(person, f"For {person.email}")
    smtp.handler.refuse_recipients = {person.email for person in gone}

    first, _ = run_together(app, lambda _: send_notifications(now=NOW))
    second, _ = run_together(app, lambda _: send_notifications(now=NOW + backoff(1)))
    third, _ = run_together(app, lambda _: send_notifications(now=NOW + timedelta(days=1)))

    assert sum(r["given_up"] for r in first) == 0 and sum(r["given_up"] for r in second) == len(gone)
    assert sum(r["recipients"] for r in third) == 0
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(person.email for person in fine)
    assert smtp.handler.rcpt_attempts.count("gone0@city.test") == 2
    db.session.expire_all()
    rows = db.session.scalars(select(Notification).where(Notification.failed_at.is_not(None))).all()
    assert len(rows) == len(gone) and {row.attempts for row in rows} == {2}
