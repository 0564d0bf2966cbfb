"""Logging for the processes that run the app: the web server and CLI (run.py, which
`flask --app run` and `gunicorn run:app` load) and the scheduler. The application factory
leaves logging alone, so whatever hosts the app (tests, an embedding server) keeps its own
handlers."""
import logging
import os

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure_logging(level=None):
    """Log to standard error at ``LOG_LEVEL`` (INFO unless set; an unknown name means INFO, with
    a warning, rather than a process that will not start). Does nothing if the root logger
    already has handlers (basicConfig's rule), so calling it twice is harmless."""
    requested = (level or os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    logging.basicConfig(level=requested if requested in LEVELS else "INFO", format=FORMAT)
    if requested not in LEVELS:
        logging.getLogger(__name__).warning("LOG_LEVEL=%r is not one of %s; logging at INFO.", requested, ", ".join(LEVELS))
