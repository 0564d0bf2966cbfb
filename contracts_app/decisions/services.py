"""Commands: record a renewal / option decision; keep a contract's options (from the contract form).

Each command validates, writes, records the audit event and commits, or raises DecisionError
having written nothing (``@command`` rolls back).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from contracts_app.audit.services import record, snapshot
from contracts_app.db_types import utcnow
from contracts_app.decisions.models import (
    CHOICES, END_OF_TERM, MAX_EXTENSION_MONTHS, OPTION, ContractOption, DecisionTask, RenewalDecision,
)
from contracts_app.decisions.summary import performance_summary, plain_figures, summary_token
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date

MAX_RATIONALE = 10000
LAST_OPTION_DAY = date(2199, 12, 31)  # as the contract's own dates: later is a typing mistake


class DecisionError(ServiceError):
    """A decision or option change that cannot be made; ``field`` names the form field at fault."""


class SummaryChanged(DecisionError):
    """The summary posted back is not the one the page would show now: nothing is saved, and the
    page is shown again with the current figures."""


def _decided(task_id):
    return db.session.scalar(select(RenewalDecision.id).where(RenewalDecision.task_id == task_id)) is not None


@command
def record_decision(task, actor, choice, rationale, option_id=None, shown_token=None, now=None):
    """Record the decision on ``task``.

    ``shown_token``: the summary token the decision page rendered and posted back. It must match
    the summary as it stands (else SummaryChanged: the figures moved since the page was opened);
    the decision is then marked as made with the summary in front of the decider. None records a
    decision made without the page (``summary_shown`` false).
    """
    now = now or utcnow()
    contract = task.contract
    if contract.is_archived:
        raise DecisionError("This contract is archived; restore it before recording a decision.")
    if _decided(task.id):
        raise DecisionError("A decision is already recorded for this task.")
    if choice not in CHOICES:
        raise DecisionError("Pick one of the decisions offered.", "choice")
    rationale = (rationale or "").strip()
    if not rationale:
        raise DecisionError("Give the rationale for the decision: what in the record led to it.", "rationale")
    if len(rationale) > MAX_RATIONALE:
        raise DecisionError(f"Keep the rationale under {MAX_RATIONALE} characters.", "rationale")
    option = None
    if option_id is not None:
        option = db.session.get(ContractOption, option_id)
        if option is None or option.contract_id != contract.id:
            raise DecisionError("That option is not one of this contract's options.", "option_id")
        if choice != "renew":
            raise DecisionError("An option is exercised only with the decision to renew.", "option_id")
    elif choice == "renew" and task.point == OPTION:
        option = task.option
    summary = performance_summary(contract)
    current = summary_token(summary)
    if shown_token is not None and shown_token != current:
        raise SummaryChanged(
            "The performance summary changed since this page was opened (a reading, flag or check-in was "
            "recorded). Review the figures below and decide again; nothing was saved.", "summary_token",
        )
    decision = RenewalDecision(
        task_id=task.id, contract_id=contract.id, option_id=option.id if option else None, choice=choice,
        rationale=rationale, decided_by_id=actor.id if actor else None, decided_at=now,
        summary_shown=shown_token is not None, summary_token=current, summary=plain_figures(summary),
    )
    db.session.add(decision)
    try:
        db.session.flush()
    except IntegrityError:
        # Two people deciding at once: the unique task id keeps the first.
        db.session.rollback()
        raise DecisionError("A decision was just recorded for this task by someone else.")
    what = CHOICES[choice]
    if option is not None:
        what = f"{what} ({option.description})"
    record(
        actor, "create", decision, after=snapshot(decision, {"choice_label": str(CHOICES[choice])}) | {"summary": None},
        contract_id=contract.id,
        summary=f"Decided on {contract.reference} ({task.point_label.lower()} {long_date(task.decision_date)}): {what}",
    )
    db.session.commit()
    return decision


# --- options (edited on the contract form) ---------------------------------------------------------


def option_problems(rows):
    """Problems of the option rows posted with the contract form: {field: message}."""
    problems = {}
    for index, row in enumerate(rows):
        if _blank(row):
            continue
        prefix = f"option_rows-{index}-"
        if row.get("option_date") is None:
            problems[prefix + "option_date"] = "Give the date by which the option must be exercised."
        if not (row.get("description") or "").strip():
            problems[prefix + "description"] = "Describe the option (e.g. one 12-month renewal)."
        months = row.get("extension_months")
        if months is None or not 1 <= months <= MAX_EXTENSION_MONTHS:
            problems[prefix + "extension_months"] = f"Give the extension in months, 1 to {MAX_EXTENSION_MONTHS}."
    return problems


def _blank(row):
    return row.get("option_date") is None and not (row.get("description") or "").strip() and row.get("extension_months") is None


def save_options(contract, rows, actor):
    """Make ``contract``'s options those of ``rows`` (the form's rows: option_id, option_date,
    description, extension_months; an emptied row with an id removes that option). Flushes and
    records the audit; the caller (the contract service) commits. Raises DecisionError.

    An option with a decision recorded cannot be removed or moved: the decision refers to it. An
    undecided task of an option that moves or goes is deleted (the sweep opens the new date's)."""
    ServiceError.raise_first(option_problems(rows))
    for index, row in enumerate(rows):
        day = row.get("option_date")
        if day is not None and not contract.start_date <= day <= LAST_OPTION_DAY:
            raise DecisionError(
                f"An option is exercised during the term: give a date from the start, {long_date(contract.start_date)}.",
                f"option_rows-{index}-option_date",
            )
    existing = {option.id: option for option in contract.options}
    decided = set(db.session.scalars(
        select(RenewalDecision.option_id).where(RenewalDecision.contract_id == contract.id, RenewalDecision.option_id.is_not(None))
    ).all()) | set(db.session.scalars(
        select(DecisionTask.option_id).join(RenewalDecision, RenewalDecision.task_id == DecisionTask.id)
        .where(DecisionTask.contract_id == contract.id, DecisionTask.option_id.is_not(None))
    ).all())
    for index, row in enumerate(rows):
        option_id = row.get("option_id")
        if option_id is None:
            if not _blank(row):
                option = ContractOption(
                    contract=contract, option_date=row["option_date"], description=row["description"].strip(),
                    extension_months=row["extension_months"],
                )
                db.session.add(option)
                db.session.flush()
                record(actor, "create", option, after=snapshot(option), contract_id=contract.id,
                       summary=f"Added an option to {contract.reference}: {option.description} by {long_date(option.option_date)}")
            continue
        option = existing.get(option_id)
        if option is None:
            raise DecisionError("That option is not one of this contract's options.", f"option_rows-{index}-description")
        if _blank(row):
            if option_id in decided:
                raise DecisionError("A decision is recorded on this option; it cannot be removed.",
                                    f"option_rows-{index}-option_date")
            before = snapshot(option)
            db.session.delete(option)
            db.session.flush()
            record(actor, "delete", option, before=before, contract_id=contract.id,
                   summary=f"Removed the option {before['description']} from {contract.reference}")
            continue
        before = snapshot(option)
        if option_id in decided and row["option_date"] != option.option_date:
            raise DecisionError("A decision is recorded on this option; its date cannot change.",
                                f"option_rows-{index}-option_date")
        option.option_date = row["option_date"]
        option.description = row["description"].strip()
        option.extension_months = row["extension_months"]
        db.session.flush()
        after = snapshot(option)
        if {k: v for k, v in after.items() if k != "updated_at"} != {k: v for k, v in before.items() if k != "updated_at"}:
            record(actor, "update", option, before=before, after=after, contract_id=contract.id,
                   summary=f"Changed the option {option.description} of {contract.reference}")
    discard_stale_tasks(contract)


def discard_stale_tasks(contract):
    """Delete ``contract``'s undecided tasks whose date is no longer its end date or its option's
    date (the contract service calls this in the transaction that changed them)."""
    db.session.flush()
    undecided = ~select(RenewalDecision.id).where(RenewalDecision.task_id == DecisionTask.id).exists()
    db.session.execute(
        delete(DecisionTask).where(
            DecisionTask.contract_id == contract.id, DecisionTask.point == END_OF_TERM,
            DecisionTask.decision_date != contract.end_date, undecided,
        ).execution_options(synchronize_session=False)
    )
    option_dates = select(ContractOption.option_date).where(ContractOption.id == DecisionTask.option_id).scalar_subquery()
    db.session.execute(
        delete(DecisionTask).where(
            DecisionTask.contract_id == contract.id, DecisionTask.point == OPTION,
            DecisionTask.decision_date != option_dates, undecided,
        ).execution_options(synchronize_session=False)
    )
