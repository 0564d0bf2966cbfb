"""What every request leaves behind for operators: a request id (taken from ``X-Request-ID``
when it is sane, else made up, and echoed in the response), a log line with the id, the user,
the route (endpoint), the status and the duration (``LOG_REQUESTS``; JSON with
``LOG_FORMAT=json``, see config/log.py), and the request counters and latency histogram that
/metrics exposes.

The request metrics live in each process. Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder writable by the workers (config/gunicorn.conf.py
clears it at start and removes a dead worker's live gauges): prometheus-client then keeps every
worker's values in files there and /metrics adds them up, whichever worker answers the scrape.
Everything that lives in the database (outbox, heartbeat, readings) is read from the database
at scrape time instead (metrics_export.py), so it is the same from any worker.
"""
import logging
import os
import re
import time
import uuid

from flask import g, request

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client opens its files there as soon as a metric is created (below): a CLI
    # command run before gunicorn (flask db upgrade) must not fail for want of the folder.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import CollectorRegistry, Counter, Histogram  # noqa: E402

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a client may send as a request id: a UUID, a hex or base64 token, a trace id.
# Anything else (too long, spaces, control characters) is replaced, so the id can go into logs
# and a response header without escaping.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")

request_log = logging.getLogger("rdc.requests")

# Request metrics, in a registry of their own (not prometheus-client's global one, which also
# holds the process's own collectors and would clash in multiprocess mode).
REQUEST_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "rdc_http_requests", "HTTP requests answered, by route (Flask endpoint), method and status code.",
    ["endpoint", "method", "status"], registry=REQUEST_REGISTRY,
)
LATENCY = Histogram(
    "rdc_http_request_duration_seconds", "Time to answer an HTTP request, by route (Flask endpoint) and method.",
    ["endpoint", "method"], registry=REQUEST_REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Requests that matched no route are counted under one label, so a scanner probing random
# addresses cannot create a time series per address.
UNMATCHED = "(unmatched)"


def request_id_from(header_value):
    """The incoming id when it is sane, else a new one (32 hex digits)."""
    if header_value and SANE_REQUEST_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def start_request():
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))


def signed_in_user_id():
    """The id of the user this request signed in as, without loading one: Flask-Login keeps the
    user it loaded in ``g._login_user`` (the sign-in check loads it on every staff page; the API
    puts its token's user there)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id


def finish_request(response):
    """Echo the request id, count the request, and log its line."""
    from flask import current_app

    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or UNMATCHED
    REQUESTS.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).inc()
    LATENCY.labels(endpoint=endpoint, method=request.method).observe(duration)
    if current_app.config.get("LOG_REQUESTS"):
        request_log.info(
            "%s %s %s %.1f ms", request.method, request.path, response.status_code, duration * 1000,
            extra=dict(
                request_id=request_id, user_id=signed_in_user_id(), endpoint=endpoint, method=request.method,
                path=request.path, status=response.status_code, duration_ms=round(duration * 1000, 1),
                remote_addr=request.remote_addr,
            ),
        )
    return response


def init_app(app):
    """Before every other before-request function (so the timing covers them and a redirect
    to sign-in still gets an id), and after every after-request one (the final status)."""
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request_funcs.setdefault(None, []).insert(0, finish_request)
    if app.config.get("BEHIND_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The proxy's X-Forwarded-For/-Proto/-Host become remote_addr, the scheme and the host,
        # trusting this many proxies in front (so the sign-in per-address throttle sees the
        # client's address, not the proxy's). Never set it without a proxy that overwrites
        # these headers: a client could then choose its own address.
        hops = int(app.config.get("PROXY_HOPS") or 1)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
