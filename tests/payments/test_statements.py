"""Statements drafted by the sweep once the data is due, exactly once; approval, recompute and
revision, audited; the procurement officer told once."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.errors import ServiceError
from contracts_app.extensions import db
from contracts_app.management.sweep import sweep
from contracts_app.metrics.models import Reading
from contracts_app.notifications.models import Notification
from contracts_app.payments.models import PaymentStatement, PaymentStatementLine
from contracts_app.payments.services import approve_statement, recompute_statement, revise_statement
from tests.concurrency import run_together
from tests.payments.conftest import NOW


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def statements(contract):
    return db.session.scalars(
        select(PaymentStatement).where(PaymentStatement.contract_id == contract.id)
        .order_by(PaymentStatement.period_start, PaymentStatement.revision)
    ).all()


def test_the_sweep_drafts_example_a_as_the_worked_example_pays(example_a, officer):
    result = sweep(NOW)
    drafted = statements(example_a["contract"])
    assert result.statements_drafted == 4
    assert [s.total for s in drafted] == [D("100000.00"), D("96000.00"), D("90000.00"), D("96000.00")]
    assert [s.period_label for s in drafted] == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
    assert {s.status for s in drafted} == {"draft"} and drafted[0].number == "WF-2026-001-01"
    q4 = drafted[3]
    assert [line.amount for line in q4.lines] == [D("100000.00"), D("0.00"), D("-4000.00")]
    assert "no reading for Q4 2026" in q4.lines[2].reason
    # The missing reading shows as such, with the reporting period that has none.
    assert q4.missing == [{"metric_id": example_a["m2"].id, "name": example_a["m2"].name, "periods": ["Q4 2026"]}]
    assert q4.inputs[str(example_a["m1"].id)]["value"] == "45"
    # The procurement officer is told, once per statement.
    told = db.session.scalars(select(Notification).where(Notification.kind == "statement_drafted")).all()
    assert len(told) == 4 and {n.recipient_id for n in told} == {officer.id}
    assert "Missing data: Still employed after 6 months (percent) (Q4 2026)" in told[-1].body
    # Drafting is audited (by the sweep: no actor).
    assert count(AuditEvent, AuditEvent.entity_type == "paymentstatement", AuditEvent.actor_id.is_(None)) == 4
    # A second run drafts nothing and tells no one again.
    assert sweep(NOW + timedelta(hours=1)).statements_drafted == 0
    assert count(PaymentStatement) == 4 and count(Notification, Notification.kind == "statement_drafted") == 4


def test_a_period_is_drafted_only_once_its_data_is_due(example_a):
    # Q4 ends 31 Dec; its metrics' data is due 10 days later, 10 Jan 2027 (Chicago).
    sweep(NOW.replace(month=1, day=10, hour=12))
    assert [s.period_label for s in statements(example_a["contract"])] == ["Q1 2026", "Q2 2026", "Q3 2026"]
    sweep(NOW.replace(month=1, day=11, hour=12))
    assert len(statements(example_a["contract"])) == 4


def test_two_sweeps_at_once_draft_each_statement_once(backend, app, example_a):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    results, _ = run_together(app, lambda _: sweep(NOW).statements_drafted)
    assert sorted(results) == [0, 4]
    db.session.expire_all()
    assert count(PaymentStatement) == 4
    assert count(PaymentStatementLine) == 2 + 3 * 3  # Q1: scheduled and the grace line
    assert count(Notification, Notification.kind == "statement_drafted") == 4
    assert count(AuditEvent, AuditEvent.entity_type == "paymentstatement") == 4


def test_approval_is_audited_and_happens_once(example_a, officer):
    sweep(NOW)
    q2 = statements(example_a["contract"])[1]
    approve_statement(q2, officer, now=NOW)
    assert q2.status == "approved" and q2.approved_by_id == officer.id and q2.approved_at == NOW
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "approve")).one()
    assert event.actor_id == officer.id and event.entity_id == q2.id and event.after["status"] == "approved"
    with pytest.raises(ServiceError, match="approved already"):
        approve_statement(q2, officer, now=NOW)
    with pytest.raises(ServiceError, match="Only a draft"):
        recompute_statement(q2, officer, now=NOW)


def test_a_draft_is_recomputed_from_changed_readings(example_a, officer):
    sweep(NOW)
    q4 = statements(example_a["contract"])[3]
    db.session.add(Reading(metric=example_a["m2"], period_start=date(2026, 10, 1), period_end=date(2026, 12, 31),
                           value=D(70), status="on_track"))
    db.session.commit()
    recompute_statement(q4, officer, now=NOW)
    assert q4.total == D("100000.00") and q4.missing == [] and len(q4.lines) == 3
    assert count(AuditEvent, AuditEvent.action == "recompute", AuditEvent.entity_id == q4.id) == 1


def test_a_correction_after_approval_is_a_new_revision_and_the_old_one_is_kept(example_a, officer):
    sweep(NOW)
    q3 = statements(example_a["contract"])[2]
    approve_statement(q3, officer, now=NOW)
    reading = db.session.scalar(select(Reading).where(Reading.metric_id == example_a["m1"].id,
                                                      Reading.period_start == date(2026, 7, 1)))
    reading.value = D(40)  # corrected: Q3 placements were 40, on track
    db.session.commit()
    with pytest.raises(ServiceError, match="Say why"):
        revise_statement(q3, officer, "  ", now=NOW)
    revision = revise_statement(q3, officer, "Q3 placements corrected to 40 after the HMIS audit", now=NOW)
    assert revision.revision == 2 and revision.status == "draft" and revision.total == D("96000.00")
    assert revision.revision_reason.startswith("Q3 placements corrected")
    db.session.refresh(q3)
    assert q3.superseded_by_id == revision.id and q3.status == "approved" and q3.total == D("90000.00")
    assert q3.superseded_reason.startswith("Q3 placements")
    with pytest.raises(ServiceError, match="revised already"):
        revise_statement(q3, officer, "again", now=NOW)
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.entity_id).where(AuditEvent.actor_id == officer.id,
                                                              AuditEvent.entity_type == "paymentstatement")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [("approve", q3.id), ("supersede", q3.id), ("create", revision.id)]
    with pytest.raises(ServiceError, match="Only an approved"):
        revise_statement(revision, officer, "why", now=NOW)


def test_loading_a_contracts_payment_data_takes_the_same_queries_whatever_the_readings(factory, users, officer):
    """The translation of rows into the computation's inputs reads each table once: a monthly
    metric with two years of readings costs no more queries than one with none."""
    from contracts_app.payments.inputs import load_contract
    from contracts_app.payments.services import add_rule, set_terms
    from contracts_app.metrics import rules
    from tests.querycount import count_queries

    def contract_with(months):
        contract = factory.make_contract(status="draft", procurement_officer_id=officer.id)
        metric = factory.make_metric(contract, payment_linked=True)
        for period in rules.periods(contract.start_date, contract.end_date, "monthly")[:months]:
            db.session.add(Reading(metric=metric, period_start=period.start, period_end=period.end, value=D(25),
                                   status="on_track"))
        db.session.commit()
        set_terms(contract, officer, {"billing_period": "quarterly", "amount_per_period": D("1000.00")}, now=NOW)
        add_rule(contract, officer, "withhold", {"percent": D(10), "metrics": [
            {"metric_id": metric.id, "aggregation": "sum"}]}, now=NOW)
        db.session.expire_all()
        return db.session.get(type(contract), contract.id)

    empty, full = contract_with(0), contract_with(24)
    assert empty.start_date and full.start_date  # both loaded before counting
    with count_queries() as none:
        load_contract(empty)
    with count_queries() as many:
        data = load_contract(full)
    assert many.count == none.count <= 8
    statement, _ = data.statement(data.periods()[2])
    assert statement.total == D("1000.00")  # 75 placements against a quarter's target of about 60


def test_a_metric_reported_monthly_counts_for_the_quarter_only_with_all_its_months(factory, officer):
    """Sum over a quarter's months; one month missing makes the quarter's figure missing, and
    the statement names the month."""
    from contracts_app.payments.inputs import load_contract

    contract = factory.make_contract(status="active", procurement_officer_id=officer.id, start_date=date(2026, 1, 1),
                                     end_date=date(2026, 12, 31))
    metric = factory.make_metric(contract, payment_linked=True, baseline_value=None, target_value=D(10))
    factory.make_reading(metric, date(2026, 1, 1), 12)
    factory.make_reading(metric, date(2026, 3, 1), 12)
    from contracts_app.payments.models import PaymentRule, PaymentRuleMetric, PaymentTerms

    db.session.add(PaymentTerms(contract_id=contract.id, billing_period="quarterly", amount_per_period=D("300.00")))
    rule = PaymentRule(contract_id=contract.id, kind="withhold", percent=D(10), at_risk_release_pct=D(0))
    rule.metrics = [PaymentRuleMetric(metric_id=metric.id, aggregation="sum")]
    db.session.add(rule)
    db.session.commit()
    data = load_contract(contract)
    q1 = data.periods()[0]
    figure = data.figure(metric, q1)
    assert figure.value is None and [p.start for p in figure.missing] == [date(2026, 2, 1)]
    factory.make_reading(metric, date(2026, 2, 1), 6)
    data = load_contract(contract)
    figure = data.figure(metric, q1)
    assert (figure.value, figure.target) == (D(30), D(30))
    statement, _ = data.statement(q1)
    assert statement.total == D("300.00") and "30 against a target of 30 (100%): on track" in statement.lines[1].reason


def test_with_a_cap_over_the_contract_statements_are_approved_in_order_and_from_current_counts(example_a, officer):
    # Example A plus a penalty of $5,000 below 95% of the placements target, at most $6,000 over
    # the contract: Q1 (30 of 40, 75%) is in grace, Q3 (36 of 40, 90%) is the first deduction.
    # Q3's draft can count only approved statements, so approval goes in period order and a
    # draft computed before an earlier approval must be recomputed before its own.
    from contracts_app.payments.services import add_rule

    contract = example_a["contract"]
    contract.status = "draft"
    db.session.commit()
    add_rule(contract, officer, "penalty", {"metrics": [{"metric_id": example_a["m1"].id, "aggregation": "sum"}],
                                            "tiers": [{"threshold": D(95), "amount": D(5000), "percent": None}],
                                            "cap_per_contract": D(6000)}, now=NOW)
    contract.status = "active"
    db.session.commit()
    sweep(NOW)
    q1, q2, q3, q4 = statements(contract)
    with pytest.raises(ServiceError, match="Approve the statement for Q1 2026 first"):
        approve_statement(q2, officer, now=NOW)
    assert q2.status == "draft" and count(AuditEvent, AuditEvent.action == "approve") == 0
    for statement in (q1, q2):
        approve_statement(statement, officer, now=NOW + timedelta(minutes=1))
    approve_statement(q3, officer, now=NOW + timedelta(minutes=1))  # Q1 and Q2 deducted nothing: nothing to recount
    assert [line.amount for line in q3.lines if line.kind == "penalty"] == [D("-5000.00")]
    # Q4 (45 of 40) deducts nothing; what matters is that it was computed before Q3's approval.
    with pytest.raises(ServiceError, match="recompute it first"):
        approve_statement(q4, officer, now=NOW + timedelta(minutes=2))
    recompute_statement(q4, officer, now=NOW + timedelta(minutes=3))
    approve_statement(q4, officer, now=NOW + timedelta(minutes=4))
    assert q4.status == "approved"
