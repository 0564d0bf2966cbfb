"""Operations commands: putting a failed notification back in the outbox."""
from sqlalchemy import update

from contracts_app.audit.services import record
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.notifications.models import Notification


@command
def retry_failed_notification(notification_id, actor, now):
    """Give a failed notification a fresh start: due now, its attempts counted from zero (so it
    gets NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS more tries), its last error kept for reference.

    A conditional UPDATE ... WHERE failed_at IS NOT NULL: two admins pressing "Retry" at once
    put it back once (the second is told it is no longer failed), and a row that was retried
    and sent meanwhile is not touched."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.failed_at is None or notification.sent_at is not None:
        raise ServiceError("That notification is not failed (it may have been retried already).")
    before = dict(failed_at=notification.failed_at.isoformat(), attempts=notification.attempts)
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.failed_at.is_not(None), Notification.sent_at.is_(None))
        .values(failed_at=None, attempts=0, next_attempt_at=now, claimed_at=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError("That notification is not failed (it may have been retried already).")
    record(actor, "retry", notification, before=before, after=dict(failed_at=None, attempts=0),
           contract_id=notification.contract_id, summary=f"Retry notification to {notification.recipient.email}",
           insert_now=True)
    db.session.commit()
    db.session.expire(notification)
    return notification
