"""Read models over decision tasks and decisions: the open tasks (My work, the decisions page,
what isn't working), the decisions recorded, and the RDC6 evidence figure. One statement each."""
from __future__ import annotations

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from contracts_app.contracts.models import Contract
from contracts_app.decisions.models import ContractOption, DecisionTask, RenewalDecision
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading


def _undecided():
    # An alias, correlated to the task only: a statement that also joins the decision must not
    # correlate this subquery to it.
    decision = aliased(RenewalDecision)
    return ~select(decision.id).where(decision.task_id == DecisionTask.id).correlate_except(decision).exists()


def open_tasks(conditions, today):
    """Undecided tasks on unarchived contracts matching ``conditions`` (SQL conditions on
    Contract), soonest decision first. One statement."""
    return db.session.execute(
        select(
            DecisionTask.id, DecisionTask.point, DecisionTask.decision_date, DecisionTask.opened_at,
            ContractOption.description.label("option"), Contract.id.label("contract_id"), Contract.reference,
            Contract.title, Contract.health, Contract.end_date,
        )
        .join(Contract, Contract.id == DecisionTask.contract_id)
        .outerjoin(ContractOption, ContractOption.id == DecisionTask.option_id)
        .where(_undecided(), Contract.archived_at.is_(None), *conditions)
        .order_by(DecisionTask.decision_date, Contract.reference, DecisionTask.id)
    ).all()


def tasks_for(user, role_officer):
    """SQL conditions for "My work": a procurement officer's own contracts and those with no
    officer (they are told of those too); a chief data officer's, every contract."""
    if role_officer:
        return [or_(Contract.procurement_officer_id == user.id, Contract.procurement_officer_id.is_(None))]
    return []


def recent_decisions(limit=50):
    """The latest decisions, newest first. One statement."""
    return db.session.scalars(
        select(RenewalDecision)
        .join(RenewalDecision.task)
        .options(db.joinedload(RenewalDecision.contract), db.joinedload(RenewalDecision.task),
                 db.joinedload(RenewalDecision.decided_by), db.joinedload(RenewalDecision.option))
        .order_by(RenewalDecision.decided_at.desc(), RenewalDecision.id.desc())
        .limit(limit)
    ).all()


def approaching_off_track(today):
    """Active, unarchived contracts off track with a decision coming up (an undecided task),
    with their share of periods on track. One statement."""
    periods = (
        select(
            Metric.contract_id.label("contract_id"),
            func.count(Reading.id).label("periods"),
            func.sum(case((Reading.status == rules.ON_TRACK, 1), else_=0)).label("on_track"),
        )
        .join(Reading, Reading.metric_id == Metric.id)
        .group_by(Metric.contract_id)
        .subquery("periods")
    )
    return db.session.execute(
        select(
            DecisionTask.id, DecisionTask.point, DecisionTask.decision_date, ContractOption.description.label("option"),
            Contract.id.label("contract_id"), Contract.reference, Contract.title, Contract.health,
            func.coalesce(periods.c.periods, 0).label("periods"), func.coalesce(periods.c.on_track, 0).label("on_track"),
        )
        .join(Contract, Contract.id == DecisionTask.contract_id)
        .outerjoin(ContractOption, ContractOption.id == DecisionTask.option_id)
        .outerjoin(periods, periods.c.contract_id == Contract.id)
        .where(_undecided(), Contract.status == "active", Contract.archived_at.is_(None),
               Contract.health == rules.OFF_TRACK, DecisionTask.decision_date >= today)
        .order_by(DecisionTask.decision_date, Contract.reference, DecisionTask.id)
    ).all()


# --- RDC6: decisions made with the performance summary ----------------------------------------------


def _due_or_decided(today):
    """Tasks counted by the evidence: decided, or whose date has come without a decision."""
    return or_(~_undecided(), DecisionTask.decision_date <= today)


def _made_with_summary():
    decision = aliased(RenewalDecision)
    return select(decision.task_id).where(decision.summary_shown.is_(True)).correlate(None)


def decision_figure(today):
    """(decisions made with the summary in front of the decider, decisions due or made). One statement."""
    met, total = db.session.execute(
        select(
            func.coalesce(func.sum(case((DecisionTask.id.in_(_made_with_summary()), 1), else_=0)), 0),
            func.count(DecisionTask.id),
        )
        .join(Contract, Contract.id == DecisionTask.contract_id)
        .where(Contract.archived_at.is_(None), _due_or_decided(today))
    ).one()
    return int(met or 0), int(total or 0)


def decision_rows(met, today):
    """The tasks behind the figure: those decided with the summary (``met``), or the others (due
    without a decision, or decided without the summary). One statement."""
    condition = DecisionTask.id.in_(_made_with_summary())
    return db.session.execute(
        select(DecisionTask, RenewalDecision, Contract)
        .join(Contract, Contract.id == DecisionTask.contract_id)
        .outerjoin(RenewalDecision, RenewalDecision.task_id == DecisionTask.id)
        .options(db.joinedload(DecisionTask.option), db.joinedload(Contract.vendor))
        .where(Contract.archived_at.is_(None), _due_or_decided(today), condition if met else ~condition)
        .order_by(DecisionTask.decision_date, Contract.reference, DecisionTask.id)
    ).unique().all()


def tasks_of_contract(contract_id):
    """The decision tasks of one contract, undecided first (its page's decision section)."""
    return db.session.execute(
        select(DecisionTask.id, DecisionTask.point, DecisionTask.decision_date, ContractOption.description.label("option"),
               RenewalDecision.choice, RenewalDecision.decided_at)
        .outerjoin(ContractOption, ContractOption.id == DecisionTask.option_id)
        .outerjoin(RenewalDecision, RenewalDecision.task_id == DecisionTask.id)
        .where(DecisionTask.contract_id == contract_id)
        .order_by(RenewalDecision.id.is_not(None), DecisionTask.decision_date.desc(), DecisionTask.id)
    ).all()


