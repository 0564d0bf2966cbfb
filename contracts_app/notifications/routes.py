from flask_babel import gettext as _, ngettext
from flask import abort, current_app, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user

from contracts_app.digits import whole_number
from contracts_app.extensions import db
from contracts_app.notifications import bp
from contracts_app.notifications.services import inbox_query, mark_all_read, mark_read, notification_for, unread_count

# Far beyond any real inbox; keeps a crafted page number from overflowing the SQL OFFSET.
MAX_PAGE = 1_000_000


@bp.app_context_processor
def inject_inbox_count():
    """``inbox_unread_count()`` for the header: the COUNT runs only when a page shows it, once
    per request."""

    def inbox_unread_count():
        if not has_request_context() or not current_user.is_authenticated:
            return 0
        if "inbox_unread_count" not in g:
            g.inbox_unread_count = unread_count(current_user)
        return g.inbox_unread_count

    return {"inbox_unread_count": inbox_unread_count}


def _page_number(raw):
    try:
        page = whole_number(raw or "1")
    except ValueError:
        return 1
    return page if 1 <= page <= MAX_PAGE else 1


def _local_path(link):
    # Links are written by the sweep, but only ever follow one that stays on this site.
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


@bp.route("/inbox")
def inbox():
    """The signed-in user's notifications, newest first, unread ones marked."""
    per_page = current_app.config["PER_PAGE"]
    page = _page_number(request.args.get("page"))
    stmt = inbox_query(current_user)
    notifications = db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=per_page)
    if notifications.pages and page > notifications.pages:
        notifications = db.paginate(stmt, page=notifications.pages, per_page=per_page, error_out=False, max_per_page=per_page)
    return render_template("notifications/inbox.html", notifications=notifications)


@bp.route("/inbox/<int:notification_id>/read", methods=["POST"], endpoint="mark_read")
def mark_read_view(notification_id):
    """Mark one of your notifications read; with ``?open=1`` go on to what it links to."""
    notification = notification_for(current_user, notification_id) or abort(404)
    mark_read(notification)
    if request.args.get("open") and _local_path(notification.link):
        return redirect(notification.link)
    page = _page_number(request.args.get("page"))
    return redirect(url_for("notifications.inbox", page=page if page > 1 else None))


@bp.route("/inbox/read-all", methods=["POST"], endpoint="mark_all_read")
def mark_all_read_view():
    count = mark_all_read(current_user)
    flash(ngettext('Marked %(num)s notification read.', 'Marked %(num)s notifications read.', count) if count else _('Nothing was unread.'), "success")
    return redirect(url_for("notifications.inbox"))
