"""Monthly health snapshots: this month recorded after each sweep (the scheduler's job and `flask
sweep`), earlier months backfilled from readings for history."""
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import Date, literal, select

from contracts_app.contracts.models import Contract
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.db_utils import chunks, dialect_insert
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import grace_days, today_for
from contracts_app.milestones.models import Milestone
from contracts_app.portfolio.models import HealthSnapshot


def month_start(day):
    return date(day.year, day.month, 1)


def month_end(first):
    return rules.add_months(first, 1) - timedelta(days=1)


def _upsert(rows):
    """Insert or update (contract_id, month) -> health in one statement per batch."""
    if not rows:
        return
    for batch in chunks(rows, 2000):
        statement = dialect_insert(HealthSnapshot).values(batch)
        statement = statement.on_conflict_do_update(
            index_elements=["contract_id", "month"],
            set_={"health": statement.excluded.health, "recorded_at": statement.excluded.recorded_at},
        )
        db.session.execute(statement)


def record_current_month(now=None):
    """Upsert this month's snapshot of every active, unarchived contract's stored health.

    One ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``: the rows never leave the database.
    Runs in the caller's transaction (the sweep job's, after the sweep has committed). Returns how many contracts it recorded.
    """
    now = now or utcnow()
    month = month_start(today_for(now))
    source = (
        select(Contract.id, literal(month, Date()), Contract.health, literal(now, UTCDateTime()))
        .where(Contract.status == "active", Contract.archived_at.is_(None))
        .order_by(Contract.id)  # rows locked in id order, as two concurrent sweeps agree on
    )
    statement = dialect_insert(HealthSnapshot).from_select(["contract_id", "month", "health", "recorded_at"], source)
    statement = statement.on_conflict_do_update(
        index_elements=["contract_id", "month"],
        set_={"health": statement.excluded.health, "recorded_at": statement.excluded.recorded_at},
    )
    return db.session.execute(statement).rowcount


def backfill(now=None, contract_ids=None):
    """Snapshots for every past month of each contract's term up to now, judged with the status
    rules as of each month's last day from the readings entered for periods up to then.

    Milestones count with their current status (their history is not kept), so a milestone met
    late does not show as missed in the months before. Does not commit.
    """
    now = now or utcnow()
    today = today_for(now)
    grace = grace_days()
    query = select(Contract)
    if contract_ids is not None:
        query = query.where(Contract.id.in_(contract_ids))
    contracts = db.session.scalars(query.order_by(Contract.id)).all()
    ids = [c.id for c in contracts]
    metrics = defaultdict(list)
    for metric in db.session.scalars(select(Metric).where(Metric.contract_id.in_(ids))):
        metrics[metric.contract_id].append(metric)
    readings = defaultdict(list)
    for metric_id, period_start, period_end, status in db.session.execute(
        select(Reading.metric_id, Reading.period_start, Reading.period_end, Reading.status)
        .join(Metric)
        .where(Metric.contract_id.in_(ids))
        .order_by(Reading.metric_id, Reading.period_start)
    ):
        readings[metric_id].append((period_start, period_end, status))
    milestones = defaultdict(list)
    for contract_id, due, status in db.session.execute(
        select(Milestone.contract_id, Milestone.due_date, Milestone.status).where(Milestone.contract_id.in_(ids))
    ):
        milestones[contract_id].append((due, status))

    rows = []
    recorded_at = now
    for contract in contracts:
        month = month_start(contract.start_date)
        last = month_start(min(today, contract.end_date))
        while month <= last:
            day = min(month_end(month), today, contract.end_date)
            statuses = []
            for metric in metrics[contract.id]:
                # A reading counts once its period has ended by that day (it could be entered then).
                known = [r for r in readings[metric.id] if r[1] <= day]
                latest = (known[-1][0], known[-1][2]) if known else None
                all_periods = rules.periods(contract.start_date, contract.end_date, metric.cadence)
                statuses.append(rules.metric_status(metric, all_periods, latest, day, grace).status)
            health = rules.contract_health(statuses, milestones[contract.id], day)
            rows.append({"contract_id": contract.id, "month": month, "health": health, "recorded_at": recorded_at})
            month = rules.add_months(month, 1)
    _upsert(rows)
    return len(rows)
