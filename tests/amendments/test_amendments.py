"""Amendments: a change of value, term or scope to a contract that is (or was) active needs a
date, a reason and an approver; the Amendment is written with the change, audited, shown on
the contract page, and the payment-rules service can record its own (kind payment_rules)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.amendments import services
from contracts_app.amendments.models import Amendment
from contracts_app.audit.models import AuditEvent
from contracts_app.contracts import services as contract_services
from contracts_app.db_types import utcnow
from contracts_app.errors import ServiceError
from contracts_app.extensions import db
from contracts_app.metrics.status import today_for


def amendments():
    return db.session.scalar(select(func.count()).select_from(Amendment))


@pytest.fixture
def contract(factory):
    priority = factory.make_priority()
    return factory.make_contract(priorities=[priority], value=Decimal("1200000.00"), start_date=date(2025, 7, 1),
                                 end_date=date(2027, 6, 30), problem="People sleep outside", outcomes="More are housed")


def edit_form(contract, **overrides):
    data = {
        "reference": contract.reference, "title": contract.title, "kind": contract.kind,
        "department": contract.department, "vendor_id": str(contract.vendor_id), "value": str(contract.value),
        "currency": contract.currency, "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(), "status": contract.status,
        "payment_structure": contract.payment_structure, "payment_terms": contract.payment_terms,
        "problem": contract.problem, "outcomes": contract.outcomes,
        "priority_ids": [str(p.id) for p in contract.priorities], "is_public": "y",
    }
    data.update(overrides)
    return data


def test_the_edit_form_asks_for_the_amendment_on_an_active_contract(client_as, contract, factory):
    page = client_as("procurement_officer").get(f"/contracts/{contract.id}/edit").get_data(as_text=True)
    assert "Reason for the amendment" in page and "Approved by" in page
    draft = factory.make_contract(status="draft")
    assert "Reason for the amendment" not in client_as("procurement_officer").get(f"/contracts/{draft.id}/edit").get_data(as_text=True)


@pytest.mark.parametrize("missing, message", [
    ({"amendment_reason": ""}, "Say why the contract is amended"),
    ({"amendment_approver_id": ""}, "Name who approved the amendment"),
    ({"amended_on": ""}, "Give the date of the amendment."),
    ({"amended_on": "2999-01-01"}, "cannot be dated in the future"),
    ({"amended_on": "1 May"}, "Enter a date as YYYY-MM-DD"),
])
def test_it_refuses_a_change_of_value_without_its_amendment_and_saves_nothing(client_as, contract, users, missing, message):
    data = edit_form(contract, value="1350000", amended_on="2025-09-01", amendment_reason="A second team",
                     amendment_approver_id=str(users["admin"].id))
    data.update(missing)
    response = client_as("procurement_officer").post(f"/contracts/{contract.id}/edit", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.value == Decimal("1200000.00") and amendments() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_it_refuses_an_approver_who_is_not_a_procurement_officer_or_admin(client_as, contract, users):
    data = edit_form(contract, end_date="2027-12-31", amended_on="2025-09-01", amendment_reason="Extension",
                     amendment_approver_id=str(users["viewer"].id))
    page = client_as("procurement_officer").post(f"/contracts/{contract.id}/edit", data=data).get_data(as_text=True)
    assert "The approver must be an active procurement officer or admin." in page
    db.session.refresh(contract)
    assert contract.end_date == date(2027, 6, 30) and amendments() == 0


def test_it_records_the_amendment_with_the_change_and_audits_both(client_as, contract, users):
    data = edit_form(contract, value="1350000", end_date="2027-12-31", outcomes="More are housed, and stay housed",
                     amended_on="2025-09-01", amendment_reason="Council added funding for a second team",
                     amendment_approver_id=str(users["admin"].id))
    response = client_as("procurement_officer").post(f"/contracts/{contract.id}/edit", data=data)
    assert response.status_code == 302
    amendment = db.session.scalar(select(Amendment))
    assert amendment.kind_list == ["value", "term", "scope"]
    assert amendment.before == {"value": "1200000", "start_date": "2025-07-01", "end_date": "2027-06-30",
                                "problem": "People sleep outside", "outcomes": "More are housed"}
    assert amendment.after["value"] == "1350000" and amendment.after["end_date"] == "2027-12-31"
    assert (amendment.amended_on, amendment.rationale, amendment.approver_id, amendment.recorded_by_id) == (
        date(2025, 9, 1), "Council added funding for a second team", users["admin"].id, users["procurement_officer"].id)
    db.session.refresh(contract)
    assert contract.value == Decimal("1350000.00")
    actions = {(e.entity_type, e.action) for e in db.session.scalars(select(AuditEvent))}
    assert actions == {("contract", "update"), ("amendment", "create")}
    page = client_as("viewer").get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Council added funding for a second team" in page and "Approved by" in page
    assert "Value: $1,200,000 → $1,350,000" in page and "End date: 30 Jun 2027 → 31 Dec 2027" in page and "Desired outcomes rewritten" in page


def test_other_changes_and_draft_contracts_need_no_amendment(client_as, contract, factory):
    officer = client_as("procurement_officer")
    # A new title, and the goals sent back with the line breaks browsers use: not an amendment.
    contract.problem = "People sleep outside\nin winter"
    db.session.commit()
    response = officer.post(f"/contracts/{contract.id}/edit",
                            data=edit_form(contract, title="Street outreach", problem="People sleep outside\r\nin winter"))
    assert response.status_code == 302 and amendments() == 0
    draft = factory.make_contract(status="draft", priorities=contract.priorities)
    assert officer.post(f"/contracts/{draft.id}/edit", data=edit_form(draft, value="5")).status_code == 302
    assert amendments() == 0


def test_a_failed_change_records_no_amendment(contract, users, factory):
    factory.make_contract(reference="TAKEN")
    data = {field: getattr(contract, field) for field in contract_services.EDITABLE_FIELDS}
    data.update(vendor_id=contract.vendor_id, priority_ids=[p.id for p in contract.priorities], reference="TAKEN",
                value=Decimal("2"), amended_on=date(2025, 9, 1), amendment_reason="Cut",
                amendment_approver_id=users["admin"].id)
    with pytest.raises(ServiceError, match="already used"):
        contract_services.update_contract(contract, data, users["procurement_officer"])
    assert amendments() == 0
    db.session.refresh(contract)
    assert contract.value == Decimal("1200000.00")


def test_record_amendment_joins_the_callers_transaction(contract, users):
    today = today_for(utcnow())
    amendment = services.record_amendment(
        contract, ["payment_rules"], {"withhold": "10%"}, {"withhold": "8%"}, "Withhold lowered after two good quarters",
        users["procurement_officer"], today - timedelta(days=1), users["procurement_officer"],
    )
    assert amendment.id is not None and amendment.kind_labels == ["Payment rules"]
    db.session.rollback()  # the caller's change failed: the amendment goes with it
    assert amendments() == 0
    services.record_amendment(contract, ["payment_rules"], {}, {"rule": "new"}, "New incentive", users["admin"].id,
                              today, users["procurement_officer"])
    db.session.commit()
    assert amendments() == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "amendment"))
    assert event.contract_id == contract.id and "payment_rules" in event.summary


@pytest.mark.parametrize("kinds, reason, approver_role, day_offset, message", [
    ([], "x", "admin", 0, "must change the value"),
    (["payment_rules"], " ", "admin", 0, "Say why"),
    (["payment_rules"], "x", "contract_manager", 0, "The approver must be"),
    (["payment_rules"], "x", "admin", 1, "cannot be dated in the future"),
])
def test_record_amendment_refuses_what_is_missing(contract, users, kinds, reason, approver_role, day_offset, message):
    with pytest.raises(services.AmendmentError, match=message):
        services.record_amendment(contract, kinds, {}, {}, reason, users[approver_role],
                                  today_for(utcnow()) + timedelta(days=day_offset), users["procurement_officer"])
    assert amendments() == 0
