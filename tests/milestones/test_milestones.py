"""Milestones: add and edit through the forms, every bad input, roles, audit, contract health."""
from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract
from contracts_app.milestones.models import Milestone
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import today_for
from tests.metrics.helpers import count


def today():
    return today_for(utcnow())


def form(**overrides):
    data = {
        "title": "Second intake worker hired",
        "description": "Vendor adds a second intake worker.",
        "due_date": (today() + timedelta(days=30)).isoformat(),
        "status": "scheduled",
        "completed_on": "",
        "payment_linked": "y",
        "notes": "Agreed at the check-in.",
    }
    data.update(overrides)
    return data


def test_it_adds_a_milestone(po, contract):
    response = po.post(f"/contracts/{contract.id}/milestones/new", data=form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}#milestones")
    milestone = db.session.scalar(select(Milestone))
    assert milestone.contract_id == contract.id and milestone.title == "Second intake worker hired"
    assert milestone.due_date == today() + timedelta(days=30)
    assert milestone.status == "scheduled" and milestone.completed_on is None
    assert milestone.payment_linked is True and milestone.notes == "Agreed at the check-in."


def test_it_audits_a_new_milestone(po, contract, users):
    po.post(f"/contracts/{contract.id}/milestones/new", data=form())
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.entity_type, event.contract_id) == ("create", "milestone", contract.id)
    assert event.actor_id == users["procurement_officer"].id


def test_it_accepts_a_due_date_outside_the_term(po, contract):
    due = (contract.end_date + timedelta(days=60)).isoformat()
    assert po.post(f"/contracts/{contract.id}/milestones/new", data=form(due_date=due)).status_code == 302


def test_it_marks_a_milestone_met(po, factory, contract):
    milestone = factory.make_milestone(contract, due_date=today() - timedelta(days=5))
    done = (today() - timedelta(days=2)).isoformat()
    response = po.post(f"/milestones/{milestone.id}/edit", data=form(status="met", completed_on=done, due_date=milestone.due_date.isoformat()))
    assert response.status_code == 302
    db.session.expire_all()
    milestone = db.session.get(Milestone, milestone.id)
    assert milestone.status == "met" and milestone.completed_on.isoformat() == done


def test_it_audits_a_milestone_update(po, factory, contract):
    milestone = factory.make_milestone(contract)
    po.post(f"/milestones/{milestone.id}/edit", data=form(status="not_met"))
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "update" and event.contract_id == contract.id
    assert (event.before["status"], event.after["status"]) == ("scheduled", "not_met")


def test_it_puts_a_missed_milestone_into_contract_health(po, factory, contract):
    milestone = factory.make_milestone(contract)
    po.post(f"/milestones/{milestone.id}/edit", data=form(status="not_met"))
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).health == "off_track"


def test_it_counts_a_partially_met_milestone_as_at_risk(po, contract):
    done = today().isoformat()
    po.post(f"/contracts/{contract.id}/milestones/new", data=form(status="partially_met", completed_on=done))
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).health == "at_risk"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"status": "met", "completed_on": ""}, "A milestone marked met needs the date it was completed"),
        ({"status": "partially_met", "completed_on": ""}, "A milestone marked partially met needs the date"),
        ({"status": "met", "completed_on": "FUTURE"}, "The completion date cannot be in the future"),
        ({"status": "scheduled", "completed_on": "PAST"}, "A scheduled milestone has no completion date"),
        ({"status": "finished"}, "Choose one of: Scheduled, Met, Partially met, Not met."),
        ({"milestone_type": "party"}, "Choose one of: Delivery, Reporting, Financing (payment), Assessment"),
        ({"title": ""}, "Give the milestone a title."),
        ({"title": "x" * 256}, "Field cannot be longer than 255 characters."),
        ({"due_date": ""}, "Give the due date."),
        ({"due_date": "31/12/2026"}, "Enter a date as YYYY-MM-DD"),
        ({"status": "met", "completed_on": "yesterday"}, "Enter a date as YYYY-MM-DD"),
    ],
)
def test_it_refuses_bad_milestone_input_and_writes_nothing(po, contract, overrides, message):
    if overrides.get("completed_on") == "FUTURE":
        overrides["completed_on"] = (today() + timedelta(days=2)).isoformat()
    if overrides.get("completed_on") == "PAST":
        overrides["completed_on"] = (today() - timedelta(days=2)).isoformat()
    response = po.post(f"/contracts/{contract.id}/milestones/new", data=form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(Milestone) == 0 and count(AuditEvent) == 0


def test_it_refuses_a_bad_edit_and_keeps_the_milestone(po, factory, contract):
    milestone = factory.make_milestone(contract)
    response = po.post(f"/milestones/{milestone.id}/edit", data=form(status="met", completed_on=""))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).status == "scheduled"
    assert count(AuditEvent) == 0


def test_it_lets_the_contracts_own_manager_edit_milestones(client_as, factory, contract):
    milestone = factory.make_milestone(contract)
    client = client_as("contract_manager")
    assert client.post(f"/contracts/{contract.id}/milestones/new", data=form()).status_code == 302
    assert client.post(f"/milestones/{milestone.id}/edit", data=form(status="not_met")).status_code == 302
    assert count(Milestone) == 2


def test_it_forbids_milestones_to_another_contracts_manager(client_as, factory, contract):
    milestone = factory.make_milestone(contract)
    client = client_as("contract_manager", user=factory.make_user("contract_manager"))
    assert client.get(f"/contracts/{contract.id}/milestones/new").status_code == 403
    assert client.post(f"/contracts/{contract.id}/milestones/new", data=form()).status_code == 403
    assert client.post(f"/milestones/{milestone.id}/edit", data=form(title="Changed")).status_code == 403
    assert count(Milestone) == 1


@pytest.mark.parametrize("role", ["admin", "cdo", "viewer"])
def test_it_forbids_milestones_to_read_only_roles(client_as, factory, contract, role):
    milestone = factory.make_milestone(contract)
    client = client_as(role)
    assert client.get(f"/contracts/{contract.id}/milestones/new").status_code == 403
    assert client.post(f"/contracts/{contract.id}/milestones/new", data=form()).status_code == 403
    assert client.get(f"/milestones/{milestone.id}/edit").status_code == 403
    assert client.post(f"/milestones/{milestone.id}/edit", data=form(title="Changed")).status_code == 403
    assert count(Milestone) == 1 and count(AuditEvent) == 0


def test_it_forbids_milestones_on_an_archived_contract(po, factory):
    contract = factory.make_contract(archived_at=utcnow())
    assert po.get(f"/contracts/{contract.id}/milestones/new").status_code == 403


@pytest.mark.parametrize(
    "url", ["/contracts/9999/milestones/new", "/milestones/9999/edit", "/milestones/99999999999999999999/edit"]
)
def test_it_answers_404_for_unknown_ids(po, url):
    assert po.get(url).status_code == 404
    assert po.post(url, data=form()).status_code == 404


def test_it_prefills_the_edit_form(po, factory, contract):
    milestone = factory.make_milestone(contract, title="Data-sharing agreement signed")
    html = po.get(f"/milestones/{milestone.id}/edit").get_data(as_text=True)
    assert 'value="Data-sharing agreement signed"' in html


def _render(app, contract, user):
    with app.test_request_context():
        login_user(user)
        return render_template("milestones/_contract_milestones.html", contract=contract)


def test_it_lists_the_milestones_with_their_status(app, factory, contract, users):
    factory.make_milestone(contract, title="Kick-off", status="met", completed_on=today())
    factory.make_milestone(contract, title="Second intake worker", status="scheduled")
    html = _render(app, contract, users["contract_manager"])
    assert "Kick-off" in html and "Second intake worker" in html
    assert "Met" in html and "Scheduled" in html
    assert "Add milestone" in html and "/milestones/" in html


def test_it_hides_milestone_actions_from_a_viewer(app, factory, contract, users):
    factory.make_milestone(contract, title="Kick-off")
    html = _render(app, contract, users["viewer"])
    assert "Kick-off" in html and "Add milestone" not in html and "/edit" not in html


def test_it_shows_the_milestones_on_the_contract_page(client_as, factory, contract):
    factory.make_milestone(contract, title="Kick-off meeting held")
    html = client_as("viewer").get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Kick-off meeting held" in html


def test_it_drops_nul_characters_from_a_milestone(po, contract):
    response = po.post(f"/contracts/{contract.id}/milestones/new", data=form(title="Kick\x00-off", notes="x\x00"))
    assert response.status_code == 302
    milestone = db.session.scalar(select(Milestone))
    assert (milestone.title, milestone.notes) == ("Kick-off", "x")


def test_it_records_the_milestone_type(po, contract):
    response = po.post(f"/contracts/{contract.id}/milestones/new", data=form(milestone_type="reporting"))
    assert response.status_code == 302
    milestone = db.session.scalar(select(Milestone))
    assert milestone.milestone_type == "reporting"
    assert "Reporting" in po.get(f"/contracts/{contract.id}").get_data(as_text=True)


def test_a_milestone_without_a_type_is_a_delivery(po, contract):
    data = form()
    data.pop("milestone_type", None)
    po.post(f"/contracts/{contract.id}/milestones/new", data=data)
    assert db.session.scalar(select(Milestone)).milestone_type == "delivery"
