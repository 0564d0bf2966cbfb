"""Metrics, per-period targets and readings. Services own the transaction."""
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import refresh_all_statuses


def refresh_statuses(now=None):
    """Recompute stored statuses for ``now`` and commit; the scheduler and CLI call this."""
    counts = refresh_all_statuses(now or utcnow())
    db.session.commit()
    return counts
