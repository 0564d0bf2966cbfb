"""Closeout evaluations: one per completed or terminated contract, rated 1–5, audited."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.portfolio import queries, services
from contracts_app.portfolio.models import CloseoutEvaluation

GOOD = {
    "quality": "4", "schedule": "3", "cost_control": "5", "management": "4",
    "narrative": "Placed 412 families; reporting was late twice.", "vendor_comment": "Staffing gaps in Q3.",
    "evaluated_on": "2025-10-01",
}


def _count():
    return db.session.scalar(select(func.count(CloseoutEvaluation.id)))


def _url(contract):
    return f"/portfolio/contracts/{contract.id}/evaluation"


@pytest.fixture
def completed(factory, users):
    return factory.make_contract(status="completed", contract_manager_id=users["contract_manager"].id,
                                 start_date=date(2024, 7, 1), end_date=date(2025, 6, 30))


def test_it_records_an_evaluation(client_as, completed):
    response = client_as("procurement_officer").post(_url(completed), data=GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/portfolio/contracts/{completed.id}#evaluation")
    evaluation = db.session.scalar(select(CloseoutEvaluation))
    assert (evaluation.quality, evaluation.schedule, evaluation.cost_control, evaluation.management) == (4, 3, 5, 4)
    assert evaluation.narrative == GOOD["narrative"] and evaluation.vendor_comment == "Staffing gaps in Q3."
    assert evaluation.evaluated_on == date(2025, 10, 1) and evaluation.vendor_id == completed.vendor_id


def test_it_shows_the_evaluation_on_the_scorecard(client_as, completed):
    client = client_as("procurement_officer")
    client.post(_url(completed), data=GOOD)
    html = client.get(f"/portfolio/contracts/{completed.id}").get_data(as_text=True)
    assert "Placed 412 families" in html and "<strong>4.00</strong> / 5" in html


def test_it_audits_the_evaluation_with_its_contract(client_as, completed, users):
    client_as("procurement_officer").post(_url(completed), data=GOOD)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "closeoutevaluation"))
    assert event.action == "create" and event.contract_id == completed.id
    assert event.actor_id == users["procurement_officer"].id
    assert event.after["quality"] == 4 and event.before is None


def test_it_lets_the_contracts_own_manager_evaluate(client_as, completed):
    assert client_as("contract_manager").post(_url(completed), data=GOOD).status_code == 302
    assert _count() == 1


@pytest.mark.parametrize("role", ["admin", "cdo", "viewer"])
def test_it_refuses_other_roles(client_as, completed, role):
    client = client_as(role)
    assert client.get(_url(completed)).status_code == 403
    assert client.post(_url(completed), data=GOOD).status_code == 403
    assert _count() == 0


def test_it_refuses_another_managers_contract(client_as, factory, completed):
    stranger = factory.make_user("contract_manager")
    client = client_as("contract_manager", user=stranger)
    assert client.get(_url(completed)).status_code == 403
    assert client.post(_url(completed), data=GOOD).status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("bad", ["0", "6", "abc", "", "3.5", "-1"])
@pytest.mark.parametrize("field", ["quality", "management"])
def test_it_refuses_ratings_outside_one_to_five(client_as, completed, field, bad):
    response = client_as("procurement_officer").post(_url(completed), data={**GOOD, field: bad})
    assert response.status_code == 200
    assert "Choose a rating from 1 (poor) to 5 (excellent)." in response.get_data(as_text=True)
    assert _count() == 0


@pytest.mark.parametrize("narrative", ["", "   \n "])
def test_it_requires_a_narrative(client_as, completed, narrative):
    response = client_as("procurement_officer").post(_url(completed), data={**GOOD, "narrative": narrative})
    assert response.status_code == 200
    assert "Describe how the vendor performed" in response.get_data(as_text=True)
    assert _count() == 0


def test_it_accepts_an_evaluation_without_a_vendor_comment(client_as, completed):
    assert client_as("procurement_officer").post(_url(completed), data={**GOOD, "vendor_comment": ""}).status_code == 302
    assert db.session.scalar(select(CloseoutEvaluation.vendor_comment)) == ""


@pytest.mark.parametrize("day, message", [
    ("2999-01-01", "cannot be in the future"),
    ("2020-01-01", "cannot be before the contract started"),
    ("01/10/2025", "Enter a date as YYYY-MM-DD"),
    ("", "Give the date of the evaluation."),
])
def test_it_refuses_bad_evaluation_dates(client_as, completed, day, message):
    response = client_as("procurement_officer").post(_url(completed), data={**GOOD, "evaluated_on": day})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_it_explains_that_a_running_contract_cannot_be_evaluated_yet(client_as, factory):
    contract = factory.make_contract(status="active")
    response = client_as("procurement_officer").get(_url(contract))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This contract is active: a closeout evaluation is recorded once it is completed or terminated." in html
    assert "<form" not in html.split('id="not-evaluable"')[1]


def test_it_refuses_to_save_an_evaluation_of_a_running_contract(client_as, factory):
    contract = factory.make_contract(status="active")
    client = client_as("procurement_officer")
    response = client.post(_url(contract), data=GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/portfolio/contracts/{contract.id}")
    assert "Nothing was saved." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _count() == 0


def test_it_evaluates_a_terminated_contract(client_as, factory):
    contract = factory.make_contract(status="terminated")
    assert client_as("procurement_officer").post(_url(contract), data=GOOD).status_code == 302
    assert _count() == 1


def test_it_prefills_and_edits_the_existing_evaluation(client_as, completed):
    client = client_as("procurement_officer")
    client.post(_url(completed), data=GOOD)
    html = client.get(_url(completed)).get_data(as_text=True)
    assert "Editing the evaluation of 1 Oct 2025." in html
    assert '<option selected value="5">' in html and "Placed 412 families" in html
    response = client.post(_url(completed), data={**GOOD, "quality": "2", "narrative": "Revised after the audit."})
    assert response.status_code == 302
    assert _count() == 1
    evaluation = db.session.scalar(select(CloseoutEvaluation))
    assert evaluation.quality == 2 and evaluation.narrative == "Revised after the audit."


def test_it_audits_an_edit_with_before_and_after(client_as, completed):
    client = client_as("procurement_officer")
    client.post(_url(completed), data=GOOD)
    client.post(_url(completed), data={**GOOD, "quality": "2"})
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "closeoutevaluation", AuditEvent.action == "update")
    )
    assert event.before["quality"] == 4 and event.after["quality"] == 2 and event.contract_id == completed.id


def test_it_lets_procurement_officers_evaluate_an_archived_contract(client_as, completed):
    completed.archived_at = utcnow()
    db.session.commit()
    assert client_as("contract_manager").post(_url(completed), data=GOOD).status_code == 403
    assert client_as("procurement_officer").post(_url(completed), data=GOOD).status_code == 302
    assert _count() == 1


def test_it_turns_a_concurrent_first_evaluation_into_a_field_message(client_as, completed, monkeypatch):
    client = client_as("procurement_officer")
    client.post(_url(completed), data=GOOD)
    # The other request saw no evaluation yet, then inserts: the unique contract_id refuses it.
    monkeypatch.setattr(queries, "evaluation_for", lambda contract_id: None)
    response = client.post(_url(completed), data={**GOOD, "quality": "1"})
    assert response.status_code == 200
    assert "Someone else saved an evaluation of this contract just now" in response.get_data(as_text=True)
    assert _count() == 1
    assert db.session.scalar(select(CloseoutEvaluation.quality)) == 4


def test_the_service_refuses_a_running_contract(factory, users):
    contract = factory.make_contract(status="draft")
    values = {**GOOD, "evaluated_on": date(2025, 10, 1)}
    with pytest.raises(services.EvaluationError, match="draft"):
        services.save_evaluation(contract, users["procurement_officer"], values)
    assert _count() == 0


def test_the_service_judges_the_date_against_the_city_today(factory, users):
    contract = factory.make_contract(status="completed", start_date=date(2024, 1, 1), end_date=date(2025, 6, 30))
    now = datetime(2025, 10, 2, 3, 0, tzinfo=timezone.utc)  # still 1 Oct in the city (America/*)
    values = {**GOOD, "evaluated_on": date(2025, 10, 2)}
    from flask import current_app

    if not current_app.config["CITY_TIMEZONE"].startswith("America/"):
        pytest.skip("the test city is not in the Americas")
    with pytest.raises(services.EvaluationError, match="future"):
        services.save_evaluation(contract, users["procurement_officer"], values, now=now)
    evaluation, created = services.save_evaluation(
        contract, users["procurement_officer"], {**values, "evaluated_on": date(2025, 10, 1)}, now=now
    )
    assert created and evaluation.evaluated_on == date(2025, 10, 1)


def test_it_answers_404_for_an_unknown_contract(client_as):
    assert client_as("procurement_officer").get("/portfolio/contracts/999999/evaluation").status_code == 404
