"""The one error a service raises when a change cannot be made.

Every command (a service function that writes) validates, writes and commits, or raises
``ServiceError`` having written nothing: a command marked ``@command`` rolls the session back
before the error leaves it, so the caller (a route, the CLI, the API, the scheduler) only shows
the message; routes, the API and the CLI never roll back themselves. ``field`` names the form field at fault, so a page can
put the message beside what the user typed (``forms_common.show_error``) and the API can name
the request field (``api.base.service_error``).
"""
import functools

from contracts_app.extensions import db


class ServiceError(ValueError):
    """A change that cannot be made: ``message`` for people, ``field`` the form field at fault."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field

    @classmethod
    def raise_first(cls, problems):
        """Raise the first of ``problems`` ({field: message}, as the ``*_problems`` checks return
        them, which forms show all at once) as this error; nothing when there are none."""
        for field, message in problems.items():
            raise cls(message, field)


class ConflictError(ServiceError):
    """The change clashes with a row that exists already (``existing_id``), such as a second
    reading for a period: the API answers 409 with ``code`` instead of 422."""

    code = "conflict"

    def __init__(self, message, field=None, existing_id=None):
        super().__init__(message, field)
        self.existing_id = existing_id


def command(function):
    """Mark a service command: when it raises ``ServiceError``, roll the session back first.

    Whatever the command added or flushed before it found the problem is discarded, so a later
    commit on the same session (the next request's, a CLI loop's) cannot save half of it. A
    command called with ``commit=False`` inside a caller's transaction (the CSV import) rolls
    that transaction back too: the import is all or nothing, so that is what it wants.
    """

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ServiceError:
            db.session.rollback()
            raise

    return run
