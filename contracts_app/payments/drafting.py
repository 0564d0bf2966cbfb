"""The sweep's part in payments: draft each billing period's statement once its data is due.

``draft_due_statements(now)`` runs inside the sweep's transaction (it does not commit):

1. Detect: the contracts with payment terms (active or completed, not archived) and, in one
   more query, the periods already drafted; a billing period is due the day after its data is
   due (its end plus the longest due days of its metrics). Only contracts with a due period not
   yet drafted are read further (``payments.inputs.load_contract``, a fixed number of queries
   each), so an hourly run that has nothing to draft costs two queries.
2. Claim: ``INSERT ... ON CONFLICT (contract_id, period_start, revision) DO NOTHING RETURNING
   id``, in (contract, period) order; a concurrent sweep's insert of the same key waits for the
   other transaction, then does nothing and gets no id back, so it neither adds lines nor tells
   anyone. Only the winner writes the lines and queues the procurement officer's notification
   (whose unique dedupe key is a second guard).
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from contracts_app.audit.services import record
from contracts_app.contracts.models import Contract
from contracts_app.db_utils import dialect_insert
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.metrics.status import today_for
from contracts_app.payments import compute
from contracts_app.payments.inputs import load_contract
from contracts_app.payments.models import DRAFT, PaymentStatement, PaymentStatementLine, PaymentTerms
from contracts_app.payments.periods import billing_periods
from contracts_app.milestones.models import Milestone
from contracts_app.payments.services import computed_fields, statement_number

log = logging.getLogger("payments.drafting")

NOTIFICATION_KIND = "statement_drafted"


def _candidates(today):
    """[(contract, [due periods not drafted])], from two or three set-based queries."""
    rows = db.session.execute(
        select(Contract, PaymentTerms)
        .join(PaymentTerms, PaymentTerms.contract_id == Contract.id)
        .where(Contract.status.in_(("active", "completed")), Contract.archived_at.is_(None))
        .order_by(Contract.id)
    ).all()
    if not rows:
        return []
    ids = [contract.id for contract, _ in rows]
    drafted = set(db.session.execute(
        select(PaymentStatement.contract_id, PaymentStatement.period_start)
        .where(PaymentStatement.contract_id.in_(ids), PaymentStatement.revision == 1)
    ).all())
    milestones = {}
    if any(terms.billing_period == "milestone" for _, terms in rows):
        for milestone in db.session.scalars(
            select(Milestone).where(Milestone.contract_id.in_(ids), Milestone.payment_linked.is_(True))
        ):
            milestones.setdefault(milestone.contract_id, []).append(milestone)
    candidates = []
    for contract, terms in rows:
        periods = billing_periods(terms.billing_period, contract.start_date, contract.end_date,
                                  milestones.get(contract.id, ()))
        # Cheap first cut (the period must have ended); the exact due date needs the metrics.
        open_periods = [p for p in periods if p.end < today and (contract.id, p.start) not in drafted]
        if open_periods:
            candidates.append((contract, open_periods))
    return candidates


def draft_due_statements(now):
    """Draft the statements whose data is due; returns (statements drafted, notifications to
    queue). Does not commit: the sweep's transaction does."""
    today = today_for(now)
    drafted, notifications = 0, []
    for contract, periods in _candidates(today):
        data = load_contract(contract)
        for period in periods:
            due = data.data_due(period)
            if today <= due:
                continue
            try:
                computed, figures = data.statement(period)
            except compute.RuleError as error:
                log.warning("%s %s: payment statement not drafted: %s", contract.reference, period.label, error)
                continue
            columns, lines = computed_fields(data, period, computed, figures, now)
            statement_id = db.session.execute(
                dialect_insert(PaymentStatement).values(
                    contract_id=contract.id, period_start=period.start, number=statement_number(contract, period),
                    revision=1, status=DRAFT, created_at=now, revision_reason="", superseded_reason="", **columns,
                ).on_conflict_do_nothing(index_elements=["contract_id", "period_start", "revision"])
                .returning(PaymentStatement.id)
            ).scalar()
            if statement_id is None:
                continue  # another sweep drafted it
            drafted += 1
            db.session.execute(
                PaymentStatementLine.__table__.insert(), [dict(line, statement_id=statement_id) for line in lines]
            )
            statement = db.session.get(PaymentStatement, statement_id)
            record(None, "create", statement, contract_id=contract.id, insert_now=True,
                   after={"total": format(computed.total, "f"), "period": period.label, "revision": 1},
                   summary=f"The sweep drafted payment statement {statement.number} ({period.label})")
            notifications += _notifications(contract, statement, period, due, columns["missing"])
    return drafted, notifications


def _notifications(contract, statement, period, due, missing):
    recipient = contract.procurement_officer_id
    if recipient is None:
        return []
    gaps = ""
    if missing:
        gaps = " Missing data: " + "; ".join(
            f"{m['name']} ({', '.join(m['periods']) or 'no reporting period'})" for m in missing
        ) + "."
    return [dict(
        recipient_id=recipient, kind=NOTIFICATION_KIND, dedupe_key=f"statement:{statement.id}:{recipient}",
        subject=f"{contract.reference}: payment statement for {period.label} ready for review",
        body=(f"The payment statement for {period.label} of {contract.reference} {contract.title} was drafted from "
              f"the data due {long_date(due)}: {statement.currency} {statement.total:,.2f} payable.{gaps} "
              "Review and approve it."),
        link=f"/payments/statements/{statement.id}", contract_id=contract.id,
        payload={"statement_id": statement.id},
    )]
