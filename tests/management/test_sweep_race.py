"""The sweep against a reading saved while it runs: the status refresh writes only rows still as
it read them, and the sweep does not act on a metric whose stored status moved under it.

The concurrent writer is simulated deterministically: the refresh's write step is wrapped so that
the reading service runs (in the same transaction, as if it had just committed) after the
refresh has read the rows and before it writes them.
"""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db as _db
from contracts_app.management.models import Flag
from contracts_app.management.sweep import sweep
from contracts_app.metrics import status
from contracts_app.metrics.models import Metric
from contracts_app.metrics.services import record_reading
from contracts_app.notifications.models import Notification

CHICAGO = timezone(timedelta(hours=-5))
NOW = datetime(2025, 10, 14, 12, tzinfo=CHICAGO)  # September (due 10 Oct + 3 days' grace) is overdue


def _between_read_and_write(monkeypatch, model, action):
    """Run ``action`` once, just before the refresh writes ``model``'s changed rows."""
    write = status._write

    def racing_write(written_model, *args):
        if written_model is model and not racing_write.done:
            racing_write.done = True
            action()
            _db.session.flush()
        return write(written_model, *args)

    racing_write.done = False
    monkeypatch.setattr(status, "_write", racing_write)


@pytest.mark.parametrize("race", [False, True])
def test_a_reading_saved_during_the_sweep_raises_no_overdue_flag(factory, users, monkeypatch, race):
    manager = users["contract_manager"]
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
                                     contract_manager_id=manager.id)
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 8, 1), 25, status="on_track")
    if race:  # September's reading arrives after the refresh read the metric, before it writes
        _between_read_and_write(
            monkeypatch, Metric, lambda: record_reading(metric, manager, date(2025, 9, 1), Decimal(25), now=NOW)
        )

    result = sweep(NOW)

    overdue = _db.session.scalars(select(Flag.period_start).where(Flag.kind == "overdue")).all()
    told = _db.session.scalars(select(Notification.subject).where(Notification.kind == "flag_opened")).all()
    stored = _db.session.execute(
        select(Metric.status, Metric.status_period_start).where(Metric.id == metric.id)
    ).one()
    if not race:
        assert overdue == [date(2025, 9, 1)] and any("reading overdue" in s for s in told)
        assert tuple(stored) == ("overdue", date(2025, 9, 1))
        return
    # The sweep's stale "overdue" neither overwrote the fresh status nor raised a flag or mail.
    assert overdue == [] and not any("reading overdue" in s for s in told)
    assert stored.status != "overdue" and stored.status_period_start == date(2025, 9, 1)
    assert result.metrics_evaluated == 0
    # The next run judges the metric from fresh rows: still nothing overdue.
    monkeypatch.undo()
    assert sweep(NOW).flags_opened == 0
    assert _db.session.scalars(select(Flag.id).where(Flag.kind == "overdue")).all() == []


def test_the_refresh_keeps_a_health_written_since_it_read_it(factory, monkeypatch):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 9, 1), 25, status="on_track")
    _between_read_and_write(monkeypatch, Contract, lambda: _db.session.execute(
        update(Contract).where(Contract.id == contract.id).values(health="off_track")
        .execution_options(synchronize_session=False)
    ))

    counts = status.refresh_all_statuses(NOW)

    assert counts == {"metrics_changed": 1, "contracts_changed": 0}
    assert _db.session.scalar(select(Contract.health).where(Contract.id == contract.id)) == "off_track"
