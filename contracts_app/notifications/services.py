"""The in-app inbox: a user's own notifications, read and unread.

Marking a notification read is a person's own bookkeeping, not a change to the city's data, so
it writes no audit event (one per click would bury the audit log).
"""
from sqlalchemy import func, select, update

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.notifications.models import Notification


def unread_count(user):
    """How many of ``user``'s notifications are unread (one COUNT query)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    )


def inbox_query(user):
    """``user``'s notifications, newest first."""
    return (
        select(Notification)
        .where(Notification.recipient_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def notification_for(user, notification_id):
    """The notification with this id if it is ``user``'s, else None (someone else's is not found)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != user.id:
        return None
    return notification


def mark_read(notification, now=None):
    """Mark one notification read; reading it again keeps the first time."""
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        db.session.commit()
    return notification


def mark_all_read(user, now=None):
    """Mark every unread notification of ``user`` read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount
