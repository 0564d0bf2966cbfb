"""Queue notifications into the outbox, in the caller's transaction (never commits)."""
from types import SimpleNamespace

from flask_babel import force_locale
from sqlalchemy import select

from contracts_app.db_types import utcnow
from contracts_app.db_utils import chunks, insert_many_ignoring_conflicts
from contracts_app.extensions import db
from contracts_app.i18n import user_language
from contracts_app.notifications.models import Notification

CHUNK = 500


def languages_of(user_ids):
    """{user id: the language to write to them in} (i18n.user_language), in IN lists of CHUNK ids."""
    from contracts_app.auth.models import User

    languages = {}
    for chunk in chunks(sorted(set(user_ids)), CHUNK):
        for user_id, role, language in db.session.execute(
            select(User.id, User.role, User.language).where(User.id.in_(chunk))
        ):
            languages[user_id] = user_language(SimpleNamespace(role=role, language=language))
    return languages


def written_for_recipients(notifications):
    """Write each notification's text in its recipient's language: an item may carry, instead
    of subject and body, ``compose`` (a function returning them), called in that language."""
    pending = [n for n in notifications if "compose" in n]
    if pending:
        languages = languages_of(n["recipient_id"] for n in pending)
        for n in pending:
            with force_locale(languages.get(n["recipient_id"], "en")):
                n.update(n.pop("compose")())
    return notifications


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
