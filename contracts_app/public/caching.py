"""HTTP caching of the public pages: an ETag and Last-Modified from a cheap validator, 304 when
the visitor (or a cache) already holds the page, and a short public max-age.

The validator is one statement of maxima over indexed or small columns — the newest audit event
(every change through the services is audited: a contract, metric, milestone, priority or vendor
edited, a reading corrected), the newest reading (loads that write readings outside the services
are not audited), and the latest stored status refresh of a metric and a contract (the sweep
moving a status to "data late") — never a scan of the readings. The ETag also carries what the
same data is shown with: the page's address and query string, the language, the city's date
(a milestone is missed the day after its due date) and the build of the public site (its
templates, styles and catalogues), so that a deploy or a language switch is never answered 304.
"""
import functools
import hashlib
import os
from datetime import datetime, timezone

from flask import make_response, request
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.i18n import current_language
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import today_for
from contracts_app.priorities.models import Priority

# Browsers and proxies may reuse a page for a minute, then ask again (a 304 is cheap).
MAX_AGE = 60
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BUILD_PATHS = (
    os.path.join(ROOT, "templates", "public"),
    os.path.join(ROOT, "contracts_app", "public"),
    os.path.join(ROOT, "contracts_app", "translations"),
    os.path.join(ROOT, "contracts_app", "static"),
)


@functools.lru_cache(maxsize=1)
def build_stamp():
    """The newest modification time of the public site's code, templates, styles and catalogues
    (the same on every worker of one deploy)."""
    newest = 0.0
    for folder in _BUILD_PATHS:
        for directory, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    newest = max(newest, os.stat(os.path.join(directory, name)).st_mtime)
                except OSError:
                    continue
    return str(newest)


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def data_version():
    """(text naming the current state of the published data, when it last changed or None)."""
    newest_audit = select(func.max(AuditEvent.id)).scalar_subquery()
    newest_reading = select(func.max(Reading.id)).scalar_subquery()
    row = db.session.execute(select(
        newest_audit,
        select(AuditEvent.created_at).where(AuditEvent.id == newest_audit).scalar_subquery(),
        newest_reading,
        select(Reading.recorded_at).where(Reading.id == newest_reading).scalar_subquery(),
        select(func.max(Metric.status_updated_at)).scalar_subquery(),
        select(func.max(Contract.health_updated_at)).scalar_subquery(),
        select(func.max(Priority.updated_at)).scalar_subquery(),
        select(func.count(Contract.id)).scalar_subquery(),
    )).one()
    audit_id, audit_at, reading_id, reading_at, metric_at, contract_at, priority_at, contracts = row
    times = [t for t in (_aware(v) for v in (audit_at, reading_at, metric_at, contract_at, priority_at)) if t]
    stamp = "|".join(str(v) for v in (audit_id, reading_id, _aware(metric_at), _aware(contract_at), _aware(priority_at), contracts))
    return stamp, max(times) if times else None


def cached(view):
    """Answer the view with ETag, Last-Modified and Cache-Control, or 304 without running it
    when the request's If-None-Match (or, without one, If-Modified-Since) says the visitor has it."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        stamp, changed = data_version()
        today = today_for(utcnow())
        key = "\n".join((stamp, request.full_path, current_language(), today.isoformat(), build_stamp()))
        etag = hashlib.sha256(key.encode()).hexdigest()[:32]
        # The page changes with the date too (statuses are judged as of today): never older than today.
        midnight = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
        last_modified = max(changed, midnight) if changed else midnight
        last_modified = last_modified.replace(microsecond=0)

        if request.if_none_match:
            fresh = request.if_none_match.contains(etag)
        else:
            since = request.if_modified_since
            fresh = since is not None and since >= last_modified
        if fresh:
            response = make_response("", 304)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
        response.set_etag(etag)
        response.last_modified = last_modified
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
        return response

    return wrapper
