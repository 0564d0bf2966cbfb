"""Logging for the processes that run the app: the web server and CLI (run.py, which
`flask --app run` and `gunicorn run:app` load) and the scheduler. The application factory
leaves logging alone, so whatever hosts the app (tests, an embedding server) keeps its own
handlers.

``LOG_FORMAT=json`` writes one JSON object per line (for a log shipper): time, level, logger,
message, and the request's id, user id, route (endpoint), status and duration when a request
line or anything logged during a request carries them."""
import json
import logging
import os
from datetime import datetime, timezone

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Extra fields a record may carry (``logger.info(..., extra={...})``), copied into the JSON line.
EXTRA_FIELDS = ("request_id", "user_id", "endpoint", "method", "path", "status", "duration_ms", "remote_addr")


def _request_context_fields():
    """The current request's id (and route), for records logged while a request runs; nothing
    outside one (the scheduler, the CLI)."""
    try:
        from flask import g, has_request_context, request
    except ImportError:  # pragma: no cover - Flask is a dependency
        return {}
    if not has_request_context():
        return {}
    fields = {"endpoint": request.endpoint}
    if g.get("request_id"):
        fields["request_id"] = g.request_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on odd values (they are turned into strings)."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _request_context_fields().items():
            line.setdefault(key, value)
        for key in EXTRA_FIELDS:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_format():
    return (os.environ.get("LOG_FORMAT") or "text").strip().lower()


def configure_logging(level=None, stream=None):
    """Log to standard error at ``LOG_LEVEL`` (INFO unless set; an unknown name means INFO, with
    a warning, rather than a process that will not start), as text or, with LOG_FORMAT=json, as
    JSON lines. Does nothing if the root logger already has handlers (basicConfig's rule), so
    calling it twice is harmless."""
    requested = (level or os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format() == "json" else logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(requested if requested in LEVELS else "INFO")
    if requested not in LEVELS:
        logging.getLogger(__name__).warning("LOG_LEVEL=%r is not one of %s; logging at INFO.", requested, ", ".join(LEVELS))
    if log_format() not in ("text", "json"):
        logging.getLogger(__name__).warning("LOG_FORMAT=%r is neither text nor json; logging as text.", log_format())
