"""Flags and check-ins on the contract page."""
from datetime import date

from sqlalchemy import event

from contracts_app.extensions import db
from tests.factories import make_action_item, make_checkin, make_flag


def test_it_shows_open_flags_and_links_the_resolved_ones(client_as, factory, contract):
    metric = factory.make_metric(contract, name="Median days to placement")
    flag = make_flag(contract, metric)
    make_flag(contract, metric, kind="overdue", period_start=date(2025, 9, 1), resolved_at=flag.opened_at)
    response = client_as("viewer").get(f"/contracts/{contract.id}")
    body = response.data.decode()
    assert f'/flags/{flag.id}"' in body
    assert "1 resolved flag" in body
    assert f"/flags?contract={contract.id}&amp;status=all" in body


def test_it_shows_the_pending_check_in_with_its_actions(client_as, contract):
    checkin = make_checkin(contract)
    body = client_as("contract_manager").get(f"/contracts/{contract.id}").data.decode()
    assert "27 Jan 2026" in body
    assert f"/checkins/{checkin.id}/invite.ics" in body
    assert f"/checkins/{checkin.id}/record" in body


def test_it_hides_record_as_held_from_viewers(client_as, contract):
    checkin = make_checkin(contract)
    body = client_as("viewer").get(f"/contracts/{contract.id}").data.decode()
    assert f"/checkins/{checkin.id}/record" not in body
    assert f"/checkins/{checkin.id}/invite.ics" in body


def test_it_shows_last_held_check_ins_and_open_action_items(client_as, contract):
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    make_action_item(held, description="Add a second intake worker")
    body = client_as("viewer").get(f"/contracts/{contract.id}").data.decode()
    assert "16 Oct 2025" in body and "Add a second intake worker" in body


def test_it_reads_the_management_sections_in_a_bounded_number_of_queries(client_as, factory, contract):
    viewer = client_as("viewer")
    metric = factory.make_metric(contract)

    def queries():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert viewer.get(f"/contracts/{contract.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    make_flag(contract, metric)
    few = queries()
    for month in range(9, 13):
        make_flag(contract, metric, period_start=date(2025, month, 1))
    held = make_checkin(contract, status="held", scheduled_for=date(2025, 10, 16))
    for n in range(3):
        make_action_item(held, description=f"Item {n}")
    assert queries() <= few + 1  # the flags and action items do not add a query each
