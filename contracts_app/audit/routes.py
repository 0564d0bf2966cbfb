from flask import current_app, render_template, request

from contracts_app.digits import whole_number
from contracts_app.audit import bp
from contracts_app.audit.forms import AuditFilterForm
from contracts_app.audit.queries import filter_choices, filtered_events
from contracts_app.audit.readable import readable
from contracts_app.auth.models import ADMIN
from contracts_app.extensions import db
from contracts_app.permissions import roles_required

# The audit macros turn events into labelled changes with names (one query per kind of name).
bp.add_app_template_global(readable, "readable_history")

# Far beyond any real log; keeps a crafted page number from overflowing the SQL OFFSET.
MAX_PAGE = 1_000_000


def _page_number(raw):
    """(page, message): a bad or missing page number means page 1, with a message if it was bad."""
    if raw in (None, ""):
        return 1, None
    try:
        page = whole_number(raw)
    except ValueError:
        page = 0
    if not 1 <= page <= MAX_PAGE:
        return 1, f"“{raw[:40]}” is not a page number; showing the first page."
    return page, None


@bp.route("/audit")
@roles_required(ADMIN)
def index():
    """The audit log, newest first, with filters; bad filter values are reported and ignored."""
    tz_name = current_app.config["CITY_TIMEZONE"]
    types, actions, users = filter_choices()
    form = AuditFilterForm(request.args, types, actions, users)
    form.validate()
    messages = []
    if form.errors:
        messages.append("Some filters could not be understood and were ignored; see the marked fields.")
    page, page_message = _page_number(request.args.get("page"))
    if page_message:
        messages.append(page_message)

    stmt = filtered_events(
        entity_type=form.value("type"),
        actor=form.value("actor"),
        action=form.value("action"),
        date_from=form.value("from"),
        date_to=form.value("to"),
        tz_name=tz_name,
    )
    per_page = current_app.config["PER_PAGE"]
    events = db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=per_page)
    if events.pages and page > events.pages:
        messages.append(f"There is no page {page}; showing the last page.")
        events = db.paginate(stmt, page=events.pages, per_page=per_page, error_out=False, max_per_page=per_page)
    filtering = any(form.value(name) for name in ("type", "actor", "action", "from", "to"))
    return render_template(
        "audit/index.html", form=form, events=events, messages=messages, tz_name=tz_name, filtering=filtering
    )
