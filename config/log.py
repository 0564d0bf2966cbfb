"""Logging for the processes that run the app: the web server (run.py, which gunicorn and the
`flask` command load) and the scheduler. The application factory leaves logging alone, so
whatever hosts the app (tests, an embedding server) keeps its own handlers."""
import logging
import os

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level=None):
    """Log to standard error at ``LOG_LEVEL`` (INFO unless set); does nothing if the root logger
    already has handlers (basicConfig's rule), so calling it twice is harmless."""
    level = level or os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format=FORMAT)
