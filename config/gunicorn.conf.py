"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py run:app``.

Every value can be changed from the environment (names below) or overridden on the command
line (gunicorn gives the command line precedence over this file)."""
import multiprocessing
import os
import shutil


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _bool(name):
    return (os.environ.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


# Where to listen: the reverse proxy forwards to this address (deploy/nginx.conf).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: 2 x cores + 1 (gunicorn's rule of thumb for I/O-bound apps), capped so a big
# machine does not open more database connections than PostgreSQL allows; WEB_CONCURRENCY
# sets the number outright.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, _int("GUNICORN_MAX_WORKERS", 8)))
worker_class = "sync"
# A request taking longer than this kills its worker (the web CSV import of a few hundred
# contracts is the slowest page; larger imports belong to `flask import contracts`).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (with jitter, so they do not all restart at once): bounds any
# slow memory growth.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# gunicorn 25+ opens a control socket in $HOME or $XDG_RUNTIME_DIR by default; the service's
# home is read-only under systemd (deploy/), so it is off unless GUNICORN_CONTROL_SOCKET names one.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Request limits (gunicorn answers 414 or 400 itself, before the app): the request line and
# headers; bodies are limited by the app (MAX_CONTENT_LENGTH) and the proxy.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Logs to standard output / error (journald or the container collects them). The access log
# line carries the request id the app sets (X-Request-ID) and the time taken in microseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus rid=%({x-request-id}o)s'

# Forwarded headers (X-Forwarded-Proto for https) are trusted only behind a proxy, and then only
# from its addresses (FORWARDED_ALLOW_IPS, default this host). The app itself applies
# X-Forwarded-For/-Proto/-Host with werkzeug's ProxyFix when BEHIND_PROXY is set.
if _bool("BEHIND_PROXY"):
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
    secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}

# Prometheus multiprocess mode (contracts_app/operations/observability.py): with
# PROMETHEUS_MULTIPROC_DIR set, each worker writes its request metrics there and /metrics sums
# them. The folder is emptied when the server starts (values from an earlier run would be
# counted again) and a dead worker's live gauges are dropped.
_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if _MULTIPROC_DIR:
        if os.path.isdir(_MULTIPROC_DIR):
            for name in os.listdir(_MULTIPROC_DIR):
                path = os.path.join(_MULTIPROC_DIR, name)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
        else:
            os.makedirs(_MULTIPROC_DIR, exist_ok=True)


def child_exit(server, worker):
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
