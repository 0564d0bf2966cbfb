"""Decision tasks on "My work" (the procurement officer and the CDO), at /decisions, on the
contract page, and on "What isn't working" when the contract is off track."""
from datetime import date

from sqlalchemy import select

from contracts_app.decisions.models import DecisionTask
from contracts_app.decisions.queries import approaching_off_track
from contracts_app.decisions.services import record_decision
from contracts_app.extensions import db as _db
from contracts_app.management.sweep import sweep
from tests.decisions.conftest import NOW, TODAY


def _task():
    return _db.session.scalars(select(DecisionTask)).one()


def test_my_work_lists_the_task_for_its_officer_and_the_cdo_only(client_as, factory, users, ending):
    sweep(NOW)
    task = _task()
    link = f"/decisions/{task.id}"
    assert link in client_as("procurement_officer").get("/work").get_data(as_text=True)
    assert link in client_as("cdo").get("/work").get_data(as_text=True)
    assert link not in client_as("contract_manager").get("/work").get_data(as_text=True)
    other_officer = factory.make_user("procurement_officer")
    assert link not in client_as("procurement_officer", other_officer).get("/work").get_data(as_text=True)
    record_decision(task, users["cdo"], "rebid", "Off track", now=NOW)
    assert link not in client_as("cdo").get("/work").get_data(as_text=True)


def test_the_decisions_page_and_the_contract_page_link_the_task(client_as, ending):
    sweep(NOW)
    link = f"/decisions/{_task().id}"
    assert link in client_as("viewer").get("/decisions").get_data(as_text=True)
    assert link in client_as("viewer").get(f"/contracts/{ending.id}").get_data(as_text=True)


def test_what_isnt_working_lists_contracts_off_track_with_a_decision_coming(client_as, factory, ending):
    sweep(NOW)
    assert approaching_off_track(TODAY) == []
    ending.health = "off_track"
    _db.session.commit()
    (row,) = approaching_off_track(TODAY)
    assert (row.reference, row.decision_date) == ("WD-2025-120", ending.end_date)
    page = client_as("cdo").get("/portfolio/not-working").get_data(as_text=True)
    assert "Decisions coming up on contracts off track" in page and f"/decisions/{row.id}" in page


def test_a_decided_contract_is_no_longer_approaching(users, ending):
    sweep(NOW)
    ending.health = "off_track"
    _db.session.commit()
    record_decision(_task(), users["cdo"], "rebid", "Off track", now=NOW)
    assert approaching_off_track(TODAY) == []


def test_the_evidence_counts_decisions_with_the_summary_among_those_due_or_made(app, users, factory, ending):
    from contracts_app.decisions.queries import decision_figure
    from contracts_app.decisions.summary import performance_summary

    sweep(NOW)
    assert decision_figure(TODAY) == (0, 0)  # open, and not due yet
    assert decision_figure(ending.end_date) == (0, 1)  # its date came without a decision
    record_decision(_task(), users["cdo"], "renew", "On track", shown_token=performance_summary(ending).token, now=NOW)
    assert decision_figure(TODAY) == (1, 1)
    late = factory.make_contract(end_date=date(2027, 3, 1))
    _db.session.add(DecisionTask(contract_id=late.id, point="end", point_key="end", decision_date=late.end_date))
    _db.session.commit()
    record_decision(_db.session.scalars(select(DecisionTask).where(DecisionTask.contract_id == late.id)).one(),
                    users["cdo"], "let_end", "Recorded after the council meeting", now=NOW)
    assert decision_figure(TODAY) == (1, 2)  # the second was recorded without the summary
