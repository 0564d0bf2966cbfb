"""The demo city's closeout evaluations: one per closed contract, so the vendor scorecards and
the certification evidence (RDC3/RDC6) have data."""
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract
from contracts_app.demo.loader import DEMO_EVALUATIONS, load_demo_city
from contracts_app.metrics.status import today_for
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation
from tests.demo.conftest import NOW


def _evaluations(db):
    return db.session.scalars(select(CloseoutEvaluation).order_by(CloseoutEvaluation.id)).all()


def test_it_evaluates_every_completed_and_terminated_contract(db, demo):
    closed = db.session.scalars(select(Contract.reference).where(Contract.status.in_(("completed", "terminated")))).all()
    evaluated = [e.contract.reference for e in _evaluations(db)]
    assert sorted(evaluated) == sorted(closed) == sorted(DEMO_EVALUATIONS)
    assert demo.counts["evaluations"] == len(closed)


def test_it_keeps_ratings_between_one_and_five_with_a_narrative(db, demo):
    for evaluation in _evaluations(db):
        assert all(1 <= getattr(evaluation, name) <= 5 for name in RATING_FIELDS)
        assert evaluation.narrative.strip()
        assert evaluation.vendor_id == evaluation.contract.vendor_id


def test_it_dates_evaluations_after_the_contract_ended_and_not_in_the_future(app, db, demo):
    today = today_for(NOW)
    for evaluation in _evaluations(db):
        assert evaluation.contract.end_date < evaluation.evaluated_on <= today


def test_it_audits_each_evaluation(db, demo):
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "closeoutevaluation")).all()
    assert sorted(e.contract_id for e in events) == sorted(e.contract_id for e in _evaluations(db))


def test_it_shows_the_evaluations_on_the_vendor_scorecard(db, demo, client_as):
    evaluation = next(e for e in _evaluations(db) if e.contract.reference == "TR-2023-044")
    html = client_as("cdo").get(f"/portfolio/vendors/{evaluation.vendor_id}").get_data(as_text=True)
    assert "TR-2023-044" in html and "over 2 evaluations" in html


def test_it_loads_the_same_evaluations_for_the_same_now(db):
    load_demo_city(now=NOW)
    first = [(e.contract.reference, e.quality, e.evaluated_on, e.created_at) for e in _evaluations(db)]
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    load_demo_city(now=NOW)
    assert [(e.contract.reference, e.quality, e.evaluated_on, e.created_at) for e in _evaluations(db)] == first
