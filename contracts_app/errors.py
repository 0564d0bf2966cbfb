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
    """The change is valid on its own but clashes with what is stored now: a row that exists
    already (``existing_id``), such as a second reading for a period or a name another vendor
    has; a row it names that does not exist or cannot be used (an inactive officer, a metric id
    with no metric); a period outside the stored contract's term. The same request could
    succeed against other data, so the API answers 409 with ``code`` instead of 422 (422 is for
    a request that is wrong whatever is stored)."""

    code = "conflict"

    def __init__(self, message, field=None, existing_id=None, code=None):
        super().__init__(message, field)
        self.existing_id = existing_id
        if code is not None:
            self.code = code


# The codes of ConflictError a client can switch on, besides the specific ones of a feature.
ALREADY_USED = "already_used"  # a name, reference or identifier another row has
UNKNOWN_ROW = "unknown_row"  # an id that names no row, or a row that cannot be used here
OUTSIDE_TERM = "outside_term"  # a period that does not start one of the contract's reporting periods


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
