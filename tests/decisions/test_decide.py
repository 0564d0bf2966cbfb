"""The decision page: the performance summary, the decision recorded with its rationale and the
summary it was made on (audited), and bad inputs that change nothing."""
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.decisions.models import DecisionTask, RenewalDecision
from contracts_app.decisions.services import DecisionError, SummaryChanged, record_decision
from contracts_app.decisions.summary import performance_summary
from contracts_app.extensions import db as _db
from contracts_app.management.sweep import sweep
from contracts_app.portfolio.models import CloseoutEvaluation
from tests.decisions.conftest import NOW, count
from tests.querycount import count_queries


@pytest.fixture
def task(ending):
    sweep(NOW)
    return _db.session.scalars(select(DecisionTask)).one()


def _token(page):
    return re.search(r'name="summary_token" type="hidden" value="([0-9a-f]{64})"', page).group(1)


def _post(client, task, **data):
    page = client.get(f"/decisions/{task.id}").get_data(as_text=True)
    token = data.pop("summary_token", None) or _token(page)
    return client.post(f"/decisions/{task.id}", data={"summary_token": token, **data})


def test_the_page_shows_the_record_behind_the_decision(factory, client_as, ending, task):
    metric = factory.make_metric(ending, name="Graduates hired")
    factory.make_reading(metric, date(2025, 7, 1), 20, status="on_track")
    factory.make_reading(metric, date(2025, 8, 1), 12, status="off_track")
    factory.make_flag(ending, metric=metric, kind="off_track", resolved_at=datetime(2025, 9, 20, tzinfo=timezone.utc))
    factory.make_checkin(ending, status="held", scheduled_for=date(2025, 9, 10))
    sibling = factory.make_contract(vendor_id=ending.vendor_id, reference="WD-2023-001", status="completed",
                                    start_date=date(2023, 1, 1), end_date=date(2024, 12, 31), health="on_track")
    _db.session.add(CloseoutEvaluation(contract_id=sibling.id, vendor_id=ending.vendor_id, quality=4, schedule=4,
                                       cost_control=3, management=5, narrative="Good", evaluated_on=date(2025, 1, 20)))
    _db.session.commit()

    page = client_as("cdo").get(f"/decisions/{task.id}").get_data(as_text=True)

    assert "Graduates hired" in page and "50%" in page and "(1/2)" in page
    assert "Metric off track" in page and "Cleared by the data" in page
    assert "1 check-in held with the vendor, on 10 Sep 2025" in page
    assert "WD-2023-001" in page and "4 / 5" in page
    assert "Not computed: this contract has no payment terms in the tracker" in page
    assert 'name="rationale"' in page


def test_the_summary_lists_the_adjustments_of_the_approved_statements(client_as, users, ending, task):
    # Two billing periods: Q1 approved twice (revision 2 counts), Q2 still a draft (not counted).
    from decimal import Decimal as D

    from contracts_app.payments.models import PaymentStatement, PaymentStatementLine, PaymentTerms

    _db.session.add(PaymentTerms(contract_id=ending.id, billing_period="quarterly", amount_per_period=D(100000)))
    at = datetime(2025, 10, 20, tzinfo=timezone.utc)
    for revision, start, status, withheld in ((1, date(2025, 7, 1), "approved", D("-6000")),
                                               (2, date(2025, 7, 1), "approved", D("-3000")),
                                               (1, date(2025, 10, 1), "draft", D("-9000"))):
        statement = PaymentStatement(
            contract_id=ending.id, period_start=start, period_end=date(start.year, start.month + 2, 28),
            period_number=1, period_label=f"Q{(start.month - 1) // 3 + 1} {start.year}", number=f"S-{revision}",
            revision=revision, status=status, currency="USD", total=D(100000) + withheld, computed_at=at,
            approved_at=at if status == "approved" else None, inputs={}, missing=[])
        statement.lines = [
            PaymentStatementLine(position=0, kind="scheduled", amount=D(100000), reason="Scheduled payment"),
            PaymentStatementLine(position=1, kind="withheld", amount=withheld, reason=f"Placements short: {withheld} withheld"),
        ]
        _db.session.add(statement)
    _db.session.commit()

    summary = performance_summary(ending)
    assert summary.payment_adjustments == [
        {"period": "Q3 2025", "reason": "Placements short: -3000 withheld", "amount": "-$3,000.00"}]
    page = client_as("cdo").get(f"/decisions/{task.id}").get_data(as_text=True)
    assert "Placements short: -3000 withheld" in page and "-$3,000.00" in page
    assert "-6000" not in page and "-9000" not in page


def test_a_decision_is_recorded_with_the_summary_and_audited(client_as, users, task):
    response = _post(client_as("procurement_officer"), task, choice="rebid", rationale="Off track four quarters running.")

    assert response.status_code == 302
    decision = _db.session.scalars(select(RenewalDecision)).one()
    assert (decision.choice, decision.rationale, decision.decided_by_id) == (
        "rebid", "Off track four quarters running.", users["procurement_officer"].id)
    assert decision.summary_shown is True and decision.summary["contract_id"] == task.contract_id
    event = _db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "renewaldecision")).one()
    assert "Rebid" in event.summary and event.contract_id == task.contract_id
    page = client_as("viewer").get(f"/decisions/{task.id}").get_data(as_text=True)
    assert "Off track four quarters running." in page and "with the performance summary in front of the decider" in page


@pytest.mark.parametrize("data, message", [
    ({"choice": "rebid", "rationale": "   "}, "Give the rationale"),
    ({"choice": "extend_forever", "rationale": "Because"}, "Not a valid choice"),
    ({"rationale": "Because"}, "Pick one of the decisions offered"),
    ({"choice": "rebid", "rationale": "Because", "summary_token": "nonsense"}, "not valid"),
])
def test_bad_inputs_change_nothing(client_as, task, data, message):
    response = _post(client_as("cdo"), task, **data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(RenewalDecision) == 0


def test_an_option_of_another_contract_is_refused(factory, client_as, task, make_option):
    other = factory.make_contract()
    foreign = make_option(other, date(2027, 5, 1))
    response = _post(client_as("cdo"), task, choice="renew", rationale="Good results", option_id=str(foreign.id))
    assert "not one of this contract" in response.get_data(as_text=True)
    assert count(RenewalDecision) == 0


def test_an_option_goes_only_with_renewing(client_as, ending, task, make_option):
    option = make_option(ending, date(2027, 5, 1))
    response = _post(client_as("cdo"), task, choice="let_end", rationale="Done", option_id=str(option.id))
    assert "only with the decision to renew" in response.get_data(as_text=True)
    response = _post(client_as("cdo"), task, choice="renew", rationale="On track", option_id=str(option.id))
    assert response.status_code == 302
    assert _db.session.scalars(select(RenewalDecision)).one().option_id == option.id


def test_a_summary_that_changed_since_the_page_was_opened_is_shown_again(factory, client_as, ending, task):
    client = client_as("cdo")
    token = _token(client.get(f"/decisions/{task.id}").get_data(as_text=True))
    factory.make_flag(ending, kind="no_checkin")  # something new in the record meanwhile

    response = client.post(f"/decisions/{task.id}", data={"summary_token": token, "choice": "rebid", "rationale": "x"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "changed since this page was opened" in page
    assert _token(page) != token
    assert count(RenewalDecision) == 0


def test_a_second_decision_on_the_same_task_is_refused(client_as, users, task):
    record_decision(task, users["cdo"], "rebid", "First", now=NOW)
    with pytest.raises(DecisionError):
        record_decision(task, users["cdo"], "renew", "Second", now=NOW)
    response = _post(client_as("cdo"), task, summary_token="0" * 64, choice="renew", rationale="Second")
    assert response.status_code == 302
    assert [d.rationale for d in _db.session.scalars(select(RenewalDecision))] == ["First"]


def test_the_service_refuses_a_stale_token_and_marks_a_decision_without_the_page(users, task):
    with pytest.raises(SummaryChanged):
        record_decision(task, users["cdo"], "rebid", "Because", shown_token="0" * 64, now=NOW)
    decision = record_decision(task, users["cdo"], "rebid", "Decided at council", now=NOW)
    assert decision.summary_shown is False


@pytest.mark.parametrize("role, status", [
    ("procurement_officer", 302), ("cdo", 302), ("admin", 302), ("contract_manager", 403), ("viewer", 403),
])
def test_who_may_decide(client_as, task, role, status):
    client = client_as(role)
    assert client.get(f"/decisions/{task.id}").status_code == 200
    token = performance_summary(task.contract).token
    response = client.post(f"/decisions/{task.id}", data={"summary_token": token, "choice": "rebid", "rationale": "x"})
    assert response.status_code == status
    assert count(RenewalDecision) == (1 if status == 302 else 0)


def test_the_contract_manager_reads_the_page_without_a_form(client_as, task):
    page = client_as("contract_manager").get(f"/decisions/{task.id}").get_data(as_text=True)
    assert "Performance summary" in page and 'name="rationale"' not in page


def test_the_summary_takes_the_same_number_of_queries_whatever_the_history(factory, ending):
    def measure():
        _db.session.expire_all()
        with count_queries() as counter:
            performance_summary(ending)
        return counter.count

    metric = factory.make_metric(ending)
    factory.make_reading(metric, date(2025, 7, 1), 20)
    factory.make_flag(ending, metric=metric, period_start=date(2025, 7, 1))
    before = measure()
    for month in range(8, 13):
        factory.make_reading(metric, date(2025, month, 1), 20, status="off_track")
        factory.make_flag(ending, metric=metric, period_start=date(2025, month, 1))
    for _ in range(3):
        factory.make_metric(ending)
        factory.make_contract(vendor_id=ending.vendor_id)
    assert measure() == before <= 8


def test_a_decided_task_shows_the_figures_it_was_decided_on(factory, client_as, users, ending, task):
    metric = factory.make_metric(ending, name="Graduates hired")
    factory.make_reading(metric, date(2025, 7, 1), 20, status="on_track")
    record_decision(task, users["cdo"], "renew", "On track", shown_token=performance_summary(ending).token, now=NOW)
    factory.make_reading(metric, date(2025, 8, 1), 2, status="off_track")  # after the decision

    page = client_as("viewer").get(f"/decisions/{task.id}").get_data(as_text=True)

    assert "As it stood when the decision was made" in page
    assert "(1/1)" in page and "(1/2)" not in page


def test_two_people_deciding_at_once_record_one_decision(backend, app, users, task):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    from tests.concurrency import run_together

    task_id, people = task.id, [users["cdo"].id, users["procurement_officer"].id]

    def decide(index):
        from contracts_app.auth.models import User

        mine = _db.session.get(DecisionTask, task_id)
        return record_decision(mine, _db.session.get(User, people[index]), "rebid", f"Decision {index}", now=NOW).id

    results, refused = run_together(app, decide, expected=(DecisionError,))
    assert len(results) == 1 and len(refused) == 1
    assert count(RenewalDecision) == 1


def test_the_page_runs_the_same_number_of_queries_whatever_the_history(factory, client_as, ending, task):
    client = client_as("cdo")

    def measure():
        with count_queries() as counter:
            assert client.get(f"/decisions/{task.id}").status_code == 200
        return counter.count

    metric = factory.make_metric(ending)
    factory.make_reading(metric, date(2025, 7, 1), 20)
    before = measure()
    for month in range(8, 13):
        factory.make_reading(metric, date(2025, month, 1), 20, status="off_track")
        factory.make_flag(ending, metric=metric, period_start=date(2025, month, 1))
    factory.make_metric(ending)
    factory.make_contract(vendor_id=ending.vendor_id)
    assert measure() == before
