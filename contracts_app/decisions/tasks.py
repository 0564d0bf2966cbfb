"""The sweep's part: open a decision task ``DECISION_NOTICE_DAYS`` before each active
contract's end date and each of its option dates, and tell the procurement officer and the
chief data officers, exactly once.

Detect (the active contracts the sweep read, their options in one statement), claim (a
multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the task's unique key (contract,
point, date), in key order), and only the rows this caller inserted go on to queue their
notifications, in the sweep's transaction; the outbox's unique dedupe key is the second guard.
Two schedulers at once: the second insert waits on the first's key (PostgreSQL), then does
nothing and returns nothing, so one task and one email each.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from contracts_app.auth.models import CDO, PROCUREMENT_OFFICER, User
from contracts_app.db_utils import chunks, insert_many_ignoring_conflicts
from contracts_app.decisions.models import END_OF_TERM, OPTION, ContractOption, DecisionTask
from contracts_app.extensions import db
from contracts_app.formatting import long_date

CHUNK = 2000


def notice_days():
    return int(current_app.config["DECISION_NOTICE_DAYS"])


def point_key(point, option_id=None):
    return END_OF_TERM if point == END_OF_TERM else f"{OPTION}:{option_id}"


def _options_of(contract_ids):
    options = []
    for chunk in chunks(sorted(contract_ids), CHUNK):
        options += db.session.execute(
            select(ContractOption.id, ContractOption.contract_id, ContractOption.option_date, ContractOption.description)
            .where(ContractOption.contract_id.in_(chunk))
        ).all()
    return options


def decision_candidates(contracts, today, days):
    """(contract id, point, option id, decision date, description) of the decisions whose notice
    period has begun and whose date has not passed, for ``contracts`` (id -> row with end_date)."""
    horizon = today + timedelta(days=days)
    found = []
    for contract in contracts.values():
        if today <= contract.end_date <= horizon:
            found.append((contract.id, END_OF_TERM, None, contract.end_date, ""))
    for option_id, contract_id, option_date, description in _options_of(contracts):
        if today <= option_date <= horizon:
            found.append((contract_id, OPTION, option_id, option_date, description))
    return sorted(found, key=lambda c: (c[0], point_key(c[1], c[2]), c[3]))


def _recipients(contract, officers, cdos):
    """The contract's procurement officer (every active one when it has none), and the CDOs."""
    first = [contract.procurement_officer_id] if contract.procurement_officer_id else officers
    return list(dict.fromkeys([*first, *cdos]))


def open_decision_tasks(contracts, today, now):
    """Claim the decision tasks due for ``contracts`` (the sweep's active contracts). Returns
    (tasks opened, notifications to queue). Does not commit."""
    days = notice_days()
    candidates = decision_candidates(contracts, today, days)
    if candidates:
        # Skip the tasks already open (most candidates after the first run), as the flag claim
        # does; the insert's ON CONFLICT still decides between concurrent sweeps.
        existing = set()
        for chunk in chunks(sorted({c[0] for c in candidates}), CHUNK):
            existing.update(db.session.execute(
                select(DecisionTask.contract_id, DecisionTask.point_key, DecisionTask.decision_date)
                .where(DecisionTask.contract_id.in_(chunk))
            ).all())
        candidates = [c for c in candidates if (c[0], point_key(c[1], c[2]), c[3]) not in existing]
    if not candidates:
        return 0, []
    rows = [
        dict(contract_id=c[0], point=c[1], point_key=point_key(c[1], c[2]), option_id=c[2], decision_date=c[3],
             opened_at=now)
        for c in candidates
    ]
    inserted = {
        (row.contract_id, row.point_key, row.decision_date): row.id
        for row in insert_many_ignoring_conflicts(
            DecisionTask, rows, ["contract_id", "point_key", "decision_date"],
            ["id", "contract_id", "point_key", "decision_date"],
        )
    }
    if not inserted:
        return 0, []
    people = db.session.execute(
        select(User.id, User.role).where(User.active.is_(True), User.role.in_((PROCUREMENT_OFFICER, CDO))).order_by(User.id)
    ).all()
    officers = [uid for uid, role in people if role == PROCUREMENT_OFFICER]
    cdos = [uid for uid, role in people if role == CDO]
    notifications = []
    for contract_id, point, option_id, decision_date, description in candidates:
        task_id = inserted.get((contract_id, point_key(point, option_id), decision_date))
        if task_id is None:
            continue
        contract = contracts[contract_id]
        when = long_date(decision_date)
        if point == END_OF_TERM:
            subject = f"{contract.reference}: renewal decision due — the contract ends {when}"
            what = f"{contract.reference} {contract.title} ends on {when}"
        else:
            subject = f"{contract.reference}: option decision due by {when}"
            what = f"The option of {contract.reference} {contract.title} ({description}) must be decided by {when}"
        body = (f"{what}. Review its performance summary and record the decision: renew or exercise the option, "
                "rebid, change the scope, or let it end.")
        for recipient in _recipients(contract, officers, cdos):
            notifications.append(dict(
                recipient_id=recipient, kind="decision_due", dedupe_key=f"decision:{task_id}:{recipient}",
                subject=subject, body=body, link=f"/decisions/{task_id}", contract_id=contract_id,
                payload={"task_id": task_id, "point": point},
            ))
    return len(inserted), notifications
