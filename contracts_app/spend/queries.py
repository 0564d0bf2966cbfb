"""Reads of payments and spend: the contract page's figures (aggregated in SQL, a fixed number
of queries whatever the number of payments) and the register's spend column."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from contracts_app.extensions import db
from contracts_app.spend.models import Payment
from contracts_app.spend.rules import project_spend


def counted():
    """The payments that count toward the spend: not voided."""
    return Payment.voided_at.is_(None)


def paid_by_contract():
    """A subquery (contract_id, paid, payments) of the money paid per contract."""
    return (
        select(Payment.contract_id.label("contract_id"), func.sum(Payment.amount).label("paid"),
               func.count(Payment.id).label("payments"))
        .where(counted())
        .group_by(Payment.contract_id)
        .subquery("paid_by_contract")
    )


def contract_spend(contract, today):
    """The contract's SpendProjection as of ``today`` (one query)."""
    paid, payments = db.session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0), func.count(Payment.id))
        .where(Payment.contract_id == contract.id, counted())
    ).one()
    return project_spend(contract.value, contract.start_date, contract.end_date, paid, int(payments), today)


# Payments listed on the contract page before "show all".
PAYMENTS_SHOWN = 5


def contract_payments(contract_id, limit=None):
    """The payments of a contract, voided ones too, newest first, with who recorded and voided
    each (one query): (the first ``limit`` of them, or all; whether there are more)."""
    query = (
        select(Payment).where(Payment.contract_id == contract_id)
        .options(joinedload(Payment.recorded_by), joinedload(Payment.voided_by))
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    )
    if limit is None:
        return db.session.scalars(query).all(), False
    rows = db.session.scalars(query.limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def spend_for_contracts(contracts, today):
    """{contract id: SpendProjection} for a page of contracts (one query)."""
    ids = [c.id for c in contracts]
    if not ids:
        return {}
    totals = {
        contract_id: (paid, int(count)) for contract_id, paid, count in db.session.execute(
            select(Payment.contract_id, func.sum(Payment.amount), func.count(Payment.id))
            .where(Payment.contract_id.in_(ids), counted()).group_by(Payment.contract_id)
        )
    }
    return {
        c.id: project_spend(c.value, c.start_date, c.end_date, *totals.get(c.id, (0, 0)), today) for c in contracts
    }
