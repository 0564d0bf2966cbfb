"""Monthly health snapshots: `flask sweep` (like the scheduler's sweep job) records this month after
the sweep; history is backfilled from readings."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from contracts_app.portfolio.models import HealthSnapshot
from contracts_app.portfolio.snapshots import backfill

NOON_CHICAGO = timezone(timedelta(hours=-6))


def snapshots(db):
    return {(s.contract_id, s.month): s.health for s in db.session.scalars(select(HealthSnapshot))}


def flask_sweep(runner, now):
    """The sweep as cron runs it: the CLI records the month's snapshots after the sweep."""
    result = runner.invoke(args=["sweep", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output


def test_the_sweep_records_this_months_health_once_per_contract_and_month(db, factory, runner):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 7, 1), 19, status="on_track")
    flask_sweep(runner, datetime(2025, 8, 5, 12, tzinfo=NOON_CHICAGO))
    flask_sweep(runner, datetime(2025, 8, 20, 12, tzinfo=NOON_CHICAGO))  # same month: updated, not duplicated
    assert snapshots(db) == {(contract.id, date(2025, 8, 1)): "on_track"}
    flask_sweep(runner, datetime(2025, 9, 20, 12, tzinfo=NOON_CHICAGO))  # August's data overdue by now
    assert snapshots(db)[(contract.id, date(2025, 9, 1))] == "overdue"
    assert snapshots(db)[(contract.id, date(2025, 8, 1))] == "on_track"


def test_it_backfills_each_month_from_the_readings_known_then(db, factory):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    metric = factory.make_metric(contract, direction="increase", baseline_value=Decimal(18), target_value=Decimal(30))
    factory.make_reading(metric, date(2025, 7, 1), 19, status="on_track")
    factory.make_reading(metric, date(2025, 8, 1), 10, status="off_track")
    backfill(datetime(2025, 10, 2, 12, tzinfo=NOON_CHICAGO))
    db.session.commit()
    assert snapshots(db) == {
        (contract.id, date(2025, 7, 1)): "on_track",   # July's reading counts once July has ended
        (contract.id, date(2025, 8, 1)): "off_track",  # August's reading, off track
        (contract.id, date(2025, 9, 1)): "off_track",  # September not yet overdue on 30 Sep
        (contract.id, date(2025, 10, 1)): "off_track",  # 2 Oct: September due 10 Oct, not overdue
    }
