"""The sweep opens a decision task before a contract's end date and each option date, exactly once."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts_app.decisions.models import DecisionTask
from contracts_app.extensions import db as _db
from contracts_app.management.sweep import sweep
from contracts_app.notifications.models import Notification
from tests import factories
from tests.concurrency import run_together
from tests.decisions.conftest import END, NOW, count


def _decision_notifications():
    _db.session.expire_all()
    return _db.session.execute(
        select(Notification.recipient_id, Notification.subject, Notification.link).where(Notification.kind == "decision_due")
        .order_by(Notification.recipient_id)
    ).all()


def test_it_opens_no_task_before_the_notice_period(ending):
    result = sweep(NOW - timedelta(days=1))
    assert result.decision_tasks_opened == 0
    assert count(DecisionTask) == 0


def test_it_opens_the_end_of_term_task_120_days_before_and_tells_the_officer_and_the_cdo(ending, users):
    result = sweep(NOW)

    (task,) = _db.session.scalars(select(DecisionTask)).all()
    assert (task.contract_id, task.point, task.decision_date, task.option_id) == (ending.id, "end", END, None)
    assert result.decision_tasks_opened == 1
    told = _decision_notifications()
    assert [row.recipient_id for row in told] == sorted([users["procurement_officer"].id, users["cdo"].id])
    assert all(row.link == f"/decisions/{task.id}" for row in told)
    assert "renewal decision due" in told[0].subject and "WD-2025-120" in told[0].subject


def test_a_second_sweep_opens_nothing_and_tells_no_one_again(ending):
    sweep(NOW)
    again = sweep(NOW + timedelta(days=3))
    assert again.decision_tasks_opened == 0
    assert count(DecisionTask) == 1 and len(_decision_notifications()) == 2


def test_it_opens_a_task_per_option_date(ending, make_option):
    option = make_option(ending, END - timedelta(days=30))
    later = make_option(ending, END + timedelta(days=200), description="Second renewal")

    sweep(NOW)

    tasks = _db.session.scalars(select(DecisionTask).order_by(DecisionTask.point)).all()
    assert [(t.point, t.option_id, t.decision_date) for t in tasks] == [
        ("end", None, END), ("option", option.id, option.option_date),
    ]
    assert later.id not in {t.option_id for t in tasks}
    subjects = {row.subject for row in _decision_notifications()}
    assert any("option decision due" in s for s in subjects)


def test_a_contract_without_officer_tells_every_active_officer(factory, users):
    other = factory.make_user("procurement_officer")
    factory.make_user("procurement_officer", active=False)
    factory.make_contract(end_date=END, procurement_officer_id=None)
    sweep(NOW)
    recipients = {row.recipient_id for row in _decision_notifications()}
    assert recipients == {users["procurement_officer"].id, other.id, users["cdo"].id}


def test_it_leaves_out_drafts_archived_and_ended_contracts(factory):
    factory.make_contract(end_date=END, status="draft")
    factory.make_contract(end_date=END, archived_at=NOW)
    factory.make_contract(end_date=END - timedelta(days=121))  # ended yesterday
    assert sweep(NOW).decision_tasks_opened == 0


def test_the_notice_period_is_a_setting(app, ending):
    app.config["DECISION_NOTICE_DAYS"] = 60
    assert sweep(NOW).decision_tasks_opened == 0
    assert sweep(NOW + timedelta(days=60)).decision_tasks_opened == 1


def test_two_sweeps_at_once_open_one_task_and_send_one_email_each(backend, app, ending, users):
    if backend != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (SQLite runs one writer at a time)")
    # More contracts, so that the two sweeps meet on several keys.
    more = [factories.make_contract(end_date=END - timedelta(days=n), procurement_officer_id=users["procurement_officer"].id)
            for n in range(8)]

    results, _ = run_together(app, lambda _: sweep(NOW).as_dict())

    assert sum(r["decision_tasks_opened"] for r in results) == count(DecisionTask) == 1 + len(more)
    told = _decision_notifications()
    assert len(told) == 2 * (1 + len(more))
    assert len({(row.recipient_id, row.link) for row in told}) == len(told)
