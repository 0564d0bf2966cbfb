"""Queue notifications into the outbox, in the caller's transaction (never commits)."""
from contracts_app.db_types import utcnow
from contracts_app.db_utils import insert_many_ignoring_conflicts
from contracts_app.notifications.models import Notification


def queue_many(notifications, now=None):
    """Queue several notifications in a few statements; returns the dedupe keys this call added.

    Each item is a dict: recipient_id, kind, dedupe_key, subject, and optionally body, link,
    contract_id, flag_id, checkin_id, metric_id, period_start (a reminder's), payload. A
    notification whose dedupe key exists already (or comes twice) is not added, so whoever
    queues a notification twice sends it once; rows are inserted in the order given, so the
    outbox's ids follow it.
    """
    now = now or utcnow()
    rows = [
        dict(
            recipient_id=n["recipient_id"], kind=n["kind"], dedupe_key=n["dedupe_key"][:120],
            subject=n["subject"][:255], body=n.get("body", ""), link=n.get("link", "")[:255],
            contract_id=n.get("contract_id"), flag_id=n.get("flag_id"), checkin_id=n.get("checkin_id"),
            metric_id=n.get("metric_id"), period_start=n.get("period_start"),
            payload=n.get("payload"), created_at=now, next_attempt_at=now, attempts=0,
        )
        for n in notifications
    ]
    return {key for (key,) in insert_many_ignoring_conflicts(Notification, rows, ["dedupe_key"], ["dedupe_key"])}
