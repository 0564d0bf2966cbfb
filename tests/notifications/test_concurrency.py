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
