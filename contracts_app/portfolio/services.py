"""Closeout evaluations: how a vendor performed on a completed (or terminated) contract, rated
1–5 on quality, schedule, cost control and management, so that performance informs renewals
and similar vendors can be compared (WWC RDC3, RDC6). One per contract: ``save_evaluation``
creates it, or edits the existing one. Who may evaluate is ``permissions.can_evaluate``.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from contracts_app.i18n import lazy_gettext as _l
from contracts_app.audit.services import record, snapshot
from contracts_app.db_types import utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.formatting import long_date
from contracts_app.metrics.status import today_for
from contracts_app.portfolio import queries
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation

EVALUABLE_STATUSES = ("completed", "terminated")
RATINGS = {
    "1": _l("1 — Poor"),
    "2": _l("2 — Below expectations"),
    "3": _l("3 — Met expectations"),
    "4": _l("4 — Above expectations"),
    "5": _l("5 — Excellent"),
}
RATING_MESSAGE = "Choose a rating from 1 (poor) to 5 (excellent)."
MAX_NARRATIVE = 10000
MAX_COMMENT = 10000


class EvaluationError(ServiceError):
    """An evaluation that cannot be saved; ``field`` names the form field at fault."""


def is_evaluable(contract):
    """A closeout evaluation is recorded once the contract is completed or terminated."""
    return contract.status in EVALUABLE_STATUSES


def _clean(contract, values, today):
    """The values as the row stores them; raises EvaluationError on the first problem."""
    cleaned = {}
    for name in RATING_FIELDS:
        raw = values.get(name)
        try:
            rating = int(str(raw).strip())
        except (TypeError, ValueError):
            raise EvaluationError(RATING_MESSAGE, name)
        if str(rating) not in RATINGS:
            raise EvaluationError(RATING_MESSAGE, name)
        cleaned[name] = rating
    narrative = (values.get("narrative") or "").replace("\x00", "").strip()
    if not narrative:
        raise EvaluationError(_('Describe how the vendor performed: what worked, what did not.'), "narrative")
    if len(narrative) > MAX_NARRATIVE:
        raise EvaluationError(_('Keep the narrative under %(MAX_NARRATIVE)s characters.', MAX_NARRATIVE=format(MAX_NARRATIVE, ',')), "narrative")
    comment = (values.get("vendor_comment") or "").replace("\x00", "").strip()
    if len(comment) > MAX_COMMENT:
        raise EvaluationError(_('Keep the comment under %(MAX_COMMENT)s characters.', MAX_COMMENT=format(MAX_COMMENT, ',')), "vendor_comment")
    evaluated_on = values.get("evaluated_on")
    if evaluated_on is None:
        raise EvaluationError(_('Give the date of the evaluation.'), "evaluated_on")
    if evaluated_on > today:
        raise EvaluationError(_('The evaluation date cannot be in the future (today is %(today)s).', today=long_date(today)), "evaluated_on")
    if evaluated_on < contract.start_date:
        raise EvaluationError(
            _('The evaluation date cannot be before the contract started (%(start_date)s).', start_date=long_date(contract.start_date)), "evaluated_on"
        )
    cleaned.update(narrative=narrative, vendor_comment=comment, evaluated_on=evaluated_on)
    return cleaned


@command
def save_evaluation(contract, actor, values, now=None):
    """Create the contract's closeout evaluation, or update the existing one; audited.

    Returns (evaluation, created). Raises EvaluationError (with .field) for a contract that is
    not completed or terminated, for bad values, and when another evaluation of the contract
    was saved at the same moment (the unique contract_id decides). Commits.
    """
    now = now or utcnow()
    if not is_evaluable(contract):
        raise EvaluationError(
            _('This contract is %(lower)s: a closeout evaluation is recorded once it is completed or terminated.', lower=contract.status_label.lower()),
            None,
        )
    cleaned = _clean(contract, values, today_for(now))
    evaluation = queries.evaluation_for(contract.id)
    created = evaluation is None
    before = None if created else snapshot(evaluation)
    if created:
        evaluation = CloseoutEvaluation(contract_id=contract.id, created_at=now)
        db.session.add(evaluation)
    for key, value in cleaned.items():
        setattr(evaluation, key, value)
    # The vendor is the contract's (kept on the row so vendor pages aggregate without a join).
    evaluation.vendor_id = contract.vendor_id
    evaluation.evaluated_by_id = actor.id if actor is not None else None
    evaluation.updated_at = now
    try:
        db.session.flush()
    except IntegrityError:
        # Two people saving the first evaluation of this contract at once: one wins.
        db.session.rollback()
        raise EvaluationError(
            _('Someone else saved an evaluation of this contract just now; nothing of yours was saved. Reload the page to see and edit theirs.'),
            "narrative",
        )
    average = sum(cleaned[name] for name in RATING_FIELDS) / len(RATING_FIELDS)
    record(
        actor, "create" if created else "update", evaluation, before=before, after=snapshot(evaluation),
        contract_id=contract.id,
        summary=f"{'Recorded' if created else 'Changed'} the closeout evaluation of {contract.reference} (average {average:.2f})",
    )
    db.session.commit()
    return evaluation, created
