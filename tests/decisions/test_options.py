"""A contract's options, edited on the contract form by procurement officers."""
import re
from datetime import date, timedelta

from sqlalchemy import select

from contracts_app.decisions.models import ContractOption, DecisionTask
from contracts_app.extensions import db as _db
from contracts_app.management.sweep import sweep
from tests.decisions.conftest import END, NOW, count


def _form(client, contract):
    page = client.get(f"/contracts/{contract.id}/edit").get_data(as_text=True)
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', page):
        data[name] = body.strip()
    for name, block in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', block)
        values = [a or b for a, b in chosen]
        data[name] = values if name == "priority_ids" else (values[0] if values else "")
    data.pop("is_public", None)
    return data


def test_an_officer_adds_changes_and_removes_options(client_as, factory, ending):
    ending.priorities = [factory.make_priority()]
    _db.session.commit()
    client = client_as("procurement_officer")
    data = _form(client, ending)
    data.update({"option_rows-0-option_date": "2027-05-01", "option_rows-0-description": "One 12-month renewal",
                 "option_rows-0-extension_months": "12"})
    assert client.post(f"/contracts/{ending.id}/edit", data=data).status_code == 302
    (option,) = _db.session.scalars(select(ContractOption)).all()
    assert (option.option_date, option.extension_months) == (date(2027, 5, 1), 12)

    data = _form(client, ending)
    assert data["option_rows-0-option_id"] == str(option.id)
    data.update({"option_rows-0-option_date": "", "option_rows-0-description": "", "option_rows-0-extension_months": ""})
    assert client.post(f"/contracts/{ending.id}/edit", data=data).status_code == 302
    assert count(ContractOption) == 0


def test_a_half_filled_option_is_refused_and_nothing_changes(client_as, factory, ending):
    ending.priorities = [factory.make_priority()]
    _db.session.commit()
    client = client_as("procurement_officer")
    data = _form(client, ending)
    data.update({"option_rows-0-description": "Renewal", "option_rows-0-extension_months": "500"})
    response = client.post(f"/contracts/{ending.id}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Give the date" in page
    assert count(ContractOption) == 0


def test_moving_the_end_date_discards_the_undecided_task(app, users, ending):
    from contracts_app.contracts.services import update_contract
    from contracts_app.contracts.services import EDITABLE_FIELDS

    sweep(NOW)
    assert count(DecisionTask) == 1
    data = {field: getattr(ending, field) for field in EDITABLE_FIELDS}
    data.update(end_date=END + timedelta(days=365), vendor_id=ending.vendor_id,
                priority_ids=[p.id for p in ending.priorities] or None, department=ending.department)
    if not data["priority_ids"]:
        from tests import factories

        data["priority_ids"] = [factories.make_priority().id]
    # Moving the end date of an active contract is an amendment (amendments.services).
    data.update(amended_on=NOW.date(), amendment_reason="Extended by a year to finish the rollout",
                amendment_approver_id=users["procurement_officer"].id)
    update_contract(ending, data, users["procurement_officer"], now=NOW)
    assert count(DecisionTask) == 0


def test_an_option_with_a_decision_cannot_be_removed_nor_one_of_another_contract_edited(app, factory, users, ending, make_option):
    from contracts_app.decisions.services import DecisionError, record_decision, save_options

    option = make_option(ending, END - timedelta(days=30))
    sweep(NOW)
    task = _db.session.scalars(select(DecisionTask).where(DecisionTask.option_id == option.id)).one()
    record_decision(task, users["cdo"], "renew", "Good", now=NOW)
    blank = {"option_id": option.id, "option_date": None, "description": "", "extension_months": None}
    import pytest

    with pytest.raises(DecisionError, match="cannot be removed"):
        save_options(ending, [blank], users["procurement_officer"])
    _db.session.rollback()
    other = factory.make_contract()
    foreign = make_option(other, date(2027, 9, 1))
    with pytest.raises(DecisionError, match="not one of this contract"):
        save_options(ending, [dict(blank, option_id=foreign.id, option_date=date(2027, 9, 1), description="x",
                                   extension_months=12)], users["procurement_officer"])
    _db.session.rollback()
    assert count(ContractOption) == 2


def test_an_option_before_the_start_is_refused(app, users, ending):
    import pytest

    from contracts_app.decisions.services import DecisionError, save_options

    with pytest.raises(DecisionError, match="during the term"):
        save_options(ending, [{"option_id": None, "option_date": date(2020, 1, 1), "description": "Renewal",
                               "extension_months": 12}], users["procurement_officer"])
    _db.session.rollback()
    assert count(ContractOption) == 0
