"""The payment pages: terms and rules forms (bad input: a clear message, nothing saved), the
statement page, approval, CSV and memo, the what-if preview (writes nothing), who may do what."""
import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from contracts_app.amendments.models import Amendment
from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.management.sweep import sweep
from contracts_app.models import Flag, Notification, Reading
from contracts_app.payments.models import (
    PaymentRule, PaymentRuleMetric, PaymentStatement, PaymentStatementLine, PaymentTerms,
)
from tests.payments.conftest import NOW

ALL_TABLES = (PaymentTerms, PaymentRule, PaymentRuleMetric, PaymentStatement, PaymentStatementLine, AuditEvent,
              Reading, Flag, Notification, Amendment)


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in ALL_TABLES}


@pytest.fixture
def draft_contract(factory, users):
    contract = factory.make_contract(status="draft", procurement_officer_id=users["procurement_officer"].id)
    linked = factory.make_metric(contract, name="Placements", payment_linked=True)
    unlinked = factory.make_metric(contract, name="Median days", direction="decrease", payment_linked=False)
    return dict(contract=contract, linked=linked, unlinked=unlinked)


def _terms(po, contract, **data):
    return po.post(f"/contracts/{contract.id}/payments/terms", data={"billing_period": "quarterly",
                                                                     "amount_per_period": "150,000", **data})


def test_terms_are_set_and_bad_terms_are_refused_with_nothing_saved(po, draft_contract):
    contract = draft_contract["contract"]
    for data, message in (
        ({"amount_per_period": "-5"}, "cannot be negative"),
        ({"amount_per_period": "1 000"}, "is not a number"),
        ({"amount_per_period": "10.001"}, "at most 2 decimal places"),
        ({"amount_per_period": "100000.01"}, "more than the contract"),
        ({"billing_period": "fortnightly"}, "Choose how often"),
        ({"amount_per_period": ""}, "Give the scheduled amount"),
    ):
        before = counts()
        response = _terms(po, contract, **data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), data
        assert counts() == before
    response = _terms(po, contract, amount_per_period="25,000")
    assert response.status_code == 302
    terms = db.session.scalar(select(PaymentTerms))
    assert terms.amount_per_period == D("25000.00") and terms.billing_period == "quarterly"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "paymentterms")) == 1


def _rule(po, contract, kind, data):
    return po.post(f"/contracts/{contract.id}/payments/rules/new/{kind}", data=data)


def test_bad_rules_are_refused_with_a_clear_message_and_nothing_saved(po, draft_contract, factory):
    contract, linked, unlinked = draft_contract["contract"], draft_contract["linked"], draft_contract["unlinked"]
    other = factory.make_metric(factory.make_contract(), payment_linked=True)
    assert _terms(po, contract, amount_per_period="25,000").status_code == 302
    row = {"metrics-0-metric_id": str(linked.id), "metrics-0-include": "y", "metrics-0-aggregation": "sum"}
    cases = [
        ("withhold", {**row, "percent": "110"}, "from 0 to 100"),
        ("withhold", {**row, "percent": "ten"}, "is not a number"),
        ("withhold", {"percent": "10"}, "Choose the payment-linked metric"),
        ("withhold", {**row, "percent": "10", "metrics-0-weight": "60"}, "add up to 60%, not 100%"),
        ("withhold", {**row, "percent": "10", "at_risk_release_pct": "-1"}, "from 0 to 100"),
        ("withhold", {**row, "percent": "10", "metrics-0-aggregation": "median"}, "how each metric"),
        ("penalty", {**row, "tiers-0-threshold": "95", "tiers-0-amount": "15000", "tiers-1-threshold": "85",
                     "tiers-1-amount": "5000"}, "a lower threshold takes a larger deduction"),
        ("penalty", {**row, "tiers-0-threshold": "95", "tiers-0-amount": "5000", "cap_per_period": "-1"},
         "cannot be negative"),
        ("penalty", {**row}, "at least one tier"),
        ("penalty", {**row, "tiers-0-threshold": "95", "tiers-0-amount": "5000", "tiers-0-percent": "2"}, "not both"),
        ("incentive", {**row, "tiers-0-threshold": "100", "tiers-0-amount": "2000", "tiers-1-threshold": "110",
                       "tiers-1-amount": "1000"}, "a higher threshold earns a larger bonus"),
        ("outcome", {**row}, "Give the price per unit"),
        ("grace", {"grace_periods": "-2"}, "from 0 to 120"),
        ("improvement", {"release_pct": "50", "min_points": "0"}, "more than 0 points"),
        ("milestone", {"amount": "1000"}, "Choose a milestone of this contract"),
    ]
    for kind, data, message in cases:
        before = counts()
        response = _rule(po, contract, kind, data)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and message in text, (kind, data, text[-3000:])
        assert counts() == before, (kind, data)
    # A metric not marked payment-linked, and another contract's metric, are not offered (only
    # this contract's payment-linked metrics have rows) and refused if posted.
    page = po.get(f"/contracts/{contract.id}/payments/rules/new/withhold").get_data(as_text=True)
    assert "Placements" in page and "Median days" not in page
    for metric in (unlinked, other):
        before = counts()
        response = _rule(po, contract, "withhold", {"percent": "10", "metrics-0-metric_id": str(metric.id),
                                                     "metrics-0-include": "y"})
        assert response.status_code == 200 and counts() == before
    response = _rule(po, contract, "withhold", {**row, "percent": "10"})
    assert response.status_code == 302
    rule = db.session.scalar(select(PaymentRule))
    assert rule.percent == D(10) and [link.metric_id for link in rule.metrics] == [linked.id]


def test_on_an_active_contract_a_rule_change_needs_a_date_and_a_reason_and_keeps_the_old_rule(po, users, draft_contract):
    contract, linked = draft_contract["contract"], draft_contract["linked"]
    _terms(po, contract, amount_per_period="25,000")
    row = {"metrics-0-metric_id": str(linked.id), "metrics-0-include": "y", "metrics-0-aggregation": "sum"}
    assert _rule(po, contract, "withhold", {**row, "percent": "12"}).status_code == 302
    rule = db.session.scalar(select(PaymentRule))
    contract.status = "active"
    db.session.commit()
    before = counts()
    response = po.post(f"/payments/rules/{rule.id}/edit", data={**row, "percent": "8"})
    text = response.get_data(as_text=True)
    assert "Give the date the change applies from" in text and "Say why the payment rules change" in text
    assert counts() == before
    change = {**row, "percent": "8", "effective_from": "2026-01-01", "reason": "Amendment 2: withholding lowered to 8%"}
    # A change of the payment rules of an active contract is an amendment: dated and approved.
    for extra, message in (({"amended_on": "2026-01-05"}, "Name who approved the amendment"),
                           ({"amendment_approver_id": str(users["procurement_officer"].id), "amended_on": ""},
                            "Give the date of the amendment"),
                           ({"amendment_approver_id": str(users["contract_manager"].id), "amended_on": "2026-01-05"},
                            "must be an active procurement officer or admin")):
        response = po.post(f"/payments/rules/{rule.id}/edit", data={**change, **extra})
        assert response.status_code == 200 and message in response.get_data(as_text=True), extra
        assert counts() == before
    response = po.post(f"/payments/rules/{rule.id}/edit", data={
        **change, "amendment_approver_id": str(users["admin"].id), "amended_on": "2026-01-05"})
    assert response.status_code == 302
    db.session.expire_all()
    rules = db.session.scalars(select(PaymentRule).order_by(PaymentRule.id)).all()
    assert [(r.percent, r.effective_from, r.effective_to) for r in rules] == [
        (D(12), None, date(2025, 12, 31)), (D(8), date(2026, 1, 1), None)]
    assert rules[1].replaces_id == rules[0].id and rules[1].created_by_id == users["procurement_officer"].id
    assert rules[1].reason == "Amendment 2: withholding lowered to 8%" and rules[0].end_reason == rules[1].reason
    amendment = db.session.scalars(select(Amendment)).one()
    assert (amendment.kinds, amendment.amended_on, amendment.approver_id, amendment.rationale) == (
        "payment_rules", date(2026, 1, 5), users["admin"].id, "Amendment 2: withholding lowered to 8%")
    assert amendment.before["rule"]["percent"] == "12.0000" or amendment.before["rule"]["percent"].startswith("12")
    page = po.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Payment rules: Withhold and release changed from 1 Jan 2026" in page


def test_the_statement_page_approval_csv_and_memo(po, example_a, client_as):
    sweep(NOW)
    q4 = db.session.scalars(select(PaymentStatement).order_by(PaymentStatement.period_start)).all()[3]
    page = po.get(f"/payments/statements/{q4.id}").get_data(as_text=True)
    assert "$96,000.00" in page and "-$4,000.00" in page and "Missing data" in page
    assert "no reading for Q4 2026" in page and "Approve" in page
    assert po.get(f"/payments/statements/{q4.id}.csv").status_code == 404  # a draft is not exported
    assert client_as("contract_manager").post(f"/payments/statements/{q4.id}/approve").status_code == 403
    assert po.post(f"/payments/statements/{q4.id}/approve").status_code == 302
    db.session.refresh(q4)
    assert q4.status == "approved"
    response = po.get(f"/payments/statements/{q4.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Contract", "Statement", "Revision"]
    assert [row[8] for row in rows[1:]] == ["100000.00", "0.00", "-4000.00", "96000.00"]
    memo = po.get(f"/payments/statements/{q4.id}/memo").get_data(as_text=True)
    assert "Payment memo" in memo and "$96,000.00" in memo
    # Every staff role reads it; the contract page links to the payments.
    for role in ("contract_manager", "cdo", "viewer", "admin"):
        assert client_as(role).get(f"/payments/statements/{q4.id}").status_code == 200


def test_what_if_previews_a_statement_and_writes_nothing(po, example_a):
    contract, m1, m2 = example_a["contract"], example_a["m1"], example_a["m2"]
    before = counts()
    response = po.post(f"/contracts/{contract.id}/payments/what-if?period=2026-10-01",
                       data={f"v-{m1.id}-2026-10-01": "45", f"v-{m2.id}-2026-10-01": "70"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "not saved" in text
    assert "$100,000.00" in text  # with M2 at 70 (on track) everything is released
    assert counts() == before
    response = po.post(f"/contracts/{contract.id}/payments/what-if?period=2026-10-01",
                       data={f"v-{m1.id}-2026-10-01": "4O"})
    assert "is not a number" in response.get_data(as_text=True) and counts() == before
    response = po.get(f"/contracts/{contract.id}/payments/what-if?period=1999-01-01")
    assert "Choose one of the contract" in response.get_data(as_text=True)
    assert counts() == before


def po_user(example_a):
    return db.session.get(type(example_a["contract"].procurement_officer), example_a["contract"].procurement_officer_id)


def test_ending_a_rule_and_revising_a_statement_refuse_bad_input_and_save_nothing(po, example_a):
    contract = example_a["contract"]
    sweep(NOW)
    rule = db.session.scalar(select(PaymentRule).where(PaymentRule.kind == "grace"))
    for data, message in (({}, "Give the date the rule stops"), ({"effective_from": "2026-13-01"}, "YYYY-MM-DD"),
                          ({"effective_from": "2026-04-01"}, "Say why the rule ends"),
                          ({"effective_from": "2030-01-01", "reason": "x"}, "within the contract term")):
        before = counts()
        response = po.post(f"/payments/rules/{rule.id}/end", data=data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), data
        assert counts() == before
    statement = db.session.scalars(select(PaymentStatement).order_by(PaymentStatement.period_start)).first()
    assert po.post(f"/payments/statements/{statement.id}/approve").status_code == 302
    before = counts()
    response = po.post(f"/payments/statements/{statement.id}/revise", data={"reason": "   "})
    assert "Say why the approved statement is corrected" in response.get_data(as_text=True)
    assert counts() == before
    # Once a statement is approved, a rule change cannot reach back into its period.
    response = po.post(f"/payments/rules/{rule.id}/end", data={"effective_from": "2026-02-01", "reason": "x"})
    assert "are approved" in response.get_data(as_text=True) and counts() == before
    response = po.post(f"/payments/rules/{rule.id}/end", data={"effective_from": "2026-07-01", "reason": "Amendment 1",
                                                               "amendment_approver_id": str(po_user(example_a).id),
                                                               "amended_on": "2026-06-20"})
    assert response.status_code == 302
    assert db.session.scalars(select(Amendment)).one().kinds == "payment_rules"
    db.session.expire_all()
    assert db.session.get(PaymentRule, rule.id).effective_to == date(2026, 6, 30)
    assert contract.id
