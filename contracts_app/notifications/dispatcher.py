"""The dispatcher: send the notification outbox as one email digest per recipient, exactly once.

The pattern (../shared/DESIGN.md, "Exactly once"):

1. Claim: one conditional UPDATE stamps every due, unclaimed row with this run's ``claim_token``
   and commits. Only rows carrying the token belong to this run, so two dispatchers running at
   once never load the same row.
2. Reminders claimed whose reading has come in since they were queued (or whose recipient no
   longer owes it) are finished without email (``reminders.cancel_answered_reminders``).
   Send one digest per recipient: everything due for a person goes in one email, so their
   reminders for several metrics arrive together, on the next run after they are queued.
3. Mark the recipient's rows sent (``WHERE claim_token = token``) and commit; on failure release
   the claim with ``attempts + 1`` and a later ``next_attempt_at`` (exponential backoff). A
   permanent refusal (SMTP 5xx for the recipient or the message) on the
   ``NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS``-th attempt marks the rows failed instead
   (``failed_at``): they are never claimed again unless an admin retries them
   (operations page). Temporary failures (4xx, the server down) back off forever.
4. A dispatcher that crashes after claiming leaves claimed, unsent rows; once the claim is older
   than ``NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS`` the next run claims them again.

Email cannot join a database transaction, so one window remains: a crash after the SMTP server
accepted a digest and before its rows were marked sent re-sends that digest after the claim
timeout. Nothing is ever lost; a duplicate needs a crash at exactly that moment.
"""
import logging
import smtplib
import uuid
from collections import defaultdict
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from flask import current_app
from flask_babel import gettext as _, ngettext

from contracts_app.i18n import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.i18n import in_language_of
from contracts_app.notifications.mail import MESSAGE_ERRORS, Mailer, MailServerError, is_permanent_refusal
from contracts_app.notifications.models import Notification
from contracts_app.notifications.reminders import cancel_answered_reminders

# Digest sections, most urgent first; kinds not listed follow in alphabetical order.
KIND_ORDER = ["escalation", "flag_opened", "decision_due", "reminder_due", "reminder_before", "checkin_proposed",
              "statement_drafted"]
KIND_HEADINGS = {
    "escalation": _l("Escalations"), "flag_opened": _l("Flags opened"),
    "decision_due": _l("Renewal and option decisions due"), "reminder_due": _l("Readings due today"),
    "reminder_before": _l("Readings due soon"), "checkin_proposed": _l("Check-ins proposed"),
    "statement_drafted": _l("Payment statements to review"),
}
# Sent as an email of their own, never in a digest; their link holds a one-time secret (an
# invitation token), so it is blanked once the email has gone (or was not sent: inactive user).
OWN_EMAIL_KINDS = {"vendor_invitation"}

logger = logging.getLogger("notifications.dispatcher")

INACTIVE_RECIPIENT = "Not emailed: the recipient's account is inactive."


def send_notifications(now=None):
    """Send every due notification, one email digest per recipient; return counts.

    Counts: ``recipients`` (people with claimed notifications this run), ``digests_sent``,
    ``notifications_sent``, ``failed`` (digests not delivered), ``deferred`` (notifications put
    back for a later attempt), ``skipped`` (notifications of inactive users, marked done
    without email: they stay in the in-app inbox), ``cancelled`` (reminders whose reading came
    in after they were queued: done without email, and marked read), ``given_up`` (notifications
    refused permanently for the last allowed time: marked failed, not retried).
    """
    now = now or utcnow()
    counts = dict(recipients=0, digests_sent=0, notifications_sent=0, failed=0, deferred=0, skipped=0, cancelled=0,
                  given_up=0)
    token = str(uuid.uuid4())
    if not claim_due(now, token):
        return counts
    # After the claim's commit: a reading saved before it is seen, and only our rows change.
    counts["cancelled"] = cancel_answered_reminders(token, now)

    rows = db.session.scalars(
        select(Notification)
        .options(joinedload(Notification.recipient))
        .where(Notification.claim_token == token)
        .order_by(Notification.recipient_id, Notification.created_at, Notification.id)
    ).all()
    by_recipient = defaultdict(list)
    for row in rows:
        by_recipient[row.recipient].append(row)
    # Build everything before the first commit: committing expires the loaded rows.
    batches = []
    for recipient, items in by_recipient.items():
        # An email of its own for each notification that must not wait inside a digest (an
        # invitation link); the rest go together in one digest.
        alone = [[item] for item in items if item.kind in OWN_EMAIL_KINDS]
        together = [item for item in items if item.kind not in OWN_EMAIL_KINDS]
        for group in alone + ([together] if together else []):
            build = build_single if group[0].kind in OWN_EMAIL_KINDS else build_digest
            try:
                # In the recipient's language (their notifications' text was written in it
                # when they were queued).
                with in_language_of(recipient):
                    message = build(recipient, group, now) if recipient.active else None
            except Exception as error:
                # One unbuildable digest (bad data) must not hold up everyone else's: it is retried
                # later like a refused one, and logged with its traceback.
                logger.exception("Could not build the digest for user %s", recipient.id)
                message = error
            batches.append((recipient.active, {row.id: row.attempts for row in group}, message))
    counts["recipients"] = len(by_recipient)

    server_error = None
    with Mailer(current_app.config) as mailer:
        for active, attempts_by_id, message in batches:
            ids = list(attempts_by_id)
            if not active:
                _finish_without_email(ids, token, now)
                counts["skipped"] += len(ids)
                continue
            error = message if isinstance(message, Exception) else server_error
            if error is None:
                try:
                    mailer.send(message)
                except MESSAGE_ERRORS as refused:
                    # This digest was refused; the server is fine, so the others still go.
                    error = refused
                except (smtplib.SMTPException, OSError) as down:
                    # The server is down or unusable: the rest of this run would fail the same
                    # way, so back them all off without more connection attempts (and timeouts).
                    error = server_error = down
            if error is None:
                _mark_sent(ids, token, now)
                counts["digests_sent"] += 1
                counts["notifications_sent"] += len(ids)
            else:
                given_up = _retry_later(attempts_by_id, token, now, error, permanent=is_permanent_refusal(error))
                counts["failed"] += 1
                counts["deferred"] += len(ids) - given_up
                counts["given_up"] += given_up
    return counts


def claim_due(now, token):
    """Stamp every due, unclaimed notification with ``token`` and commit; return how many.

    Due: not sent, not failed, ``next_attempt_at <= now``, and not claimed, or claimed longer ago than the
    claim timeout (its dispatcher crashed). The row conditions are repeated in the UPDATE's
    WHERE so that it claims only rows still claimable when it runs. On PostgreSQL the inner
    SELECT ... FOR UPDATE locks the rows in id order: a second dispatcher waits for the first to
    commit its claim, then re-checks the conditions (READ COMMITTED) and finds those rows
    claimed; the fixed order means two claims never deadlock. SQLite runs one writer at a time.
    """
    stale = now - timedelta(seconds=int(current_app.config["NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS"]))
    claimable = (
        Notification.sent_at.is_(None),
        Notification.failed_at.is_(None),
        or_(Notification.claimed_at.is_(None), Notification.claimed_at < stale),
    )
    due_ids = (
        select(Notification.id)
        .where(Notification.next_attempt_at <= now, *claimable)
        .order_by(Notification.id)
        .with_for_update()
    )
    result = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(due_ids.scalar_subquery()), *claimable)
        .values(claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def backoff(attempts):
    """Delay before the next try after ``attempts`` failed ones: base, 2 x base, 4 x base ... capped."""
    base = int(current_app.config["NOTIFICATIONS_BACKOFF_BASE_SECONDS"])
    cap = int(current_app.config["NOTIFICATIONS_BACKOFF_MAX_SECONDS"])
    return timedelta(seconds=min(base * 2 ** min(max(attempts - 1, 0), 32), cap))


def _ours(ids, token):
    # Only rows still carrying this run's token: never touch a row another run has claimed.
    return (Notification.id.in_(ids), Notification.claim_token == token)


def _update(ids, token, **values):
    db.session.execute(
        update(Notification).where(*_ours(ids, token)).values(**values).execution_options(synchronize_session=False)
    )


def _forget_secret_links(ids):
    db.session.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.kind.in_(OWN_EMAIL_KINDS))
        .values(link="").execution_options(synchronize_session=False)
    )


def _mark_sent(ids, token, now):
    _update(ids, token, sent_at=now, attempts=Notification.attempts + 1, claimed_at=None, claim_token=None)
    _forget_secret_links(ids)
    db.session.commit()


def _finish_without_email(ids, token, now):
    """An inactive user gets no email: the rows count as done (sent_at set, attempts unchanged)
    with a note in last_error, so the outbox does not retry them forever."""
    _update(ids, token, sent_at=now, last_error=INACTIVE_RECIPIENT, claimed_at=None, claim_token=None)
    _forget_secret_links(ids)
    db.session.commit()


def max_permanent_attempts():
    """How many permanent refusals (counting every attempt) a notification gets before it is
    marked failed; at least 1."""
    return max(1, int(current_app.config["NOTIFICATIONS_MAX_PERMANENT_ATTEMPTS"]))


def _retry_later(attempts_by_id, token, now, error, permanent=False):
    """Release the claim, count the attempt and wait longer after each failure; a permanent
    refusal on the last allowed attempt marks the rows failed instead. Returns how many were
    marked failed."""
    text = (str(error) if isinstance(error, MailServerError) else f"{type(error).__name__}: {error}")[:1000]
    by_attempts = defaultdict(list)
    for notification_id, attempts in attempts_by_id.items():
        by_attempts[attempts].append(notification_id)
    given_up = 0
    for attempts, ids in by_attempts.items():
        released = dict(claimed_at=None, claim_token=None, attempts=Notification.attempts + 1, last_error=text)
        if permanent and attempts + 1 >= max_permanent_attempts():
            _update(ids, token, failed_at=now, **released)
            given_up += len(ids)
            logger.warning("Notifications %s refused permanently %s times, marked failed: %s", ids, attempts + 1, text)
        else:
            _update(ids, token, next_attempt_at=now + backoff(attempts + 1), **released)
    db.session.commit()
    return given_up


def _one_line(text):
    # Header values must not contain line breaks (header injection); names come from forms.
    return " ".join(str(text).split())


def absolute_url(link):
    """The notification's link inside the app made absolute with APP_BASE_URL."""
    base = str(current_app.config["APP_BASE_URL"]).rstrip("/")
    if link.startswith(("http://", "https://")):
        return link
    return f"{base}/{link.lstrip('/')}" if link else f"{base}/inbox"


def digest_sections(notifications):
    """[(heading, [notification, ...]), ...] grouped by kind, escalations first."""
    groups = defaultdict(list)
    for notification in notifications:
        groups[notification.kind].append(notification)
    order = [kind for kind in KIND_ORDER if kind in groups] + sorted(set(groups) - set(KIND_ORDER))
    return [(str(KIND_HEADINGS.get(kind) or groups[kind][0].kind_label), groups[kind]) for kind in order]


def digest_subject(recipient, notifications):
    count = len(notifications)
    subject = ngettext("RDC Tracker: %(num)s new item for %(name)s", "RDC Tracker: %(num)s new items for %(name)s",
                       count, name=_one_line(recipient.name))
    escalations = sum(1 for n in notifications if n.kind == "escalation")
    if escalations:
        subject += " " + ngettext("(%(num)s escalation)", "(%(num)s escalations)", escalations)
    return subject


def build_digest(recipient, notifications, now):
    """One email listing ``notifications`` for ``recipient``: plain text plus an HTML alternative."""
    sections = digest_sections(notifications)
    # Vendor contacts have no inbox (they reach only their own pages): point them there.
    inbox_url = absolute_url("/vendor/" if recipient.role == "vendor" else "/inbox")
    lines = [_("Hello %(name)s,", name=_one_line(recipient.name)), "",
             _("%(count)s new in RDC Tracker:", count=len(notifications)), ""]
    for heading, items in sections:
        title = f"{heading} ({len(items)})"
        lines += [title, "-" * len(title)]
        for item in items:
            lines.append(f"* {_one_line(item.subject)}")
            lines += [f"  {line}" for line in item.body.splitlines() if line.strip()]
            lines += [f"  {absolute_url(item.link)}", ""]
    lines += [_("All your notifications: %(url)s", url=inbox_url), ""]

    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "rdc-tracker@localhost"
    message = EmailMessage()
    message["Subject"] = digest_subject(recipient, notifications)
    message["From"] = sender
    message["To"] = formataddr((_one_line(recipient.name), recipient.email))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("<> ") or "localhost")
    # RFC 3834: no out-of-office replies to an automatic digest.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines))
    html = current_app.jinja_env.get_template("notifications/digest_email.html").render(
        recipient=recipient, sections=sections, absolute_url=absolute_url, inbox_url=inbox_url,
        subject=message["Subject"], count=len(notifications),
    )
    message.add_alternative(html, subtype="html")
    return message


def build_single(recipient, notifications, now):
    """One notification as an email of its own (an invitation): its subject, its text and its
    absolute link, plain text only."""
    (item,) = notifications
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "rdc-tracker@localhost"
    message = EmailMessage()
    message["Subject"] = _one_line(item.subject)
    message["From"] = sender
    message["To"] = formataddr((_one_line(recipient.name), recipient.email))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("<> ") or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    lines = [_("Hello %(name)s,", name=_one_line(recipient.name)), "", *item.body.splitlines(), "",
             absolute_url(item.link), ""]
    message.set_content("\n".join(lines))
    return message
