"""The priorities services, called directly (as the CLI and the demo loader do)."""
import pytest

from contracts_app.audit.models import AuditEvent
from contracts_app.priorities import services
from contracts_app.priorities.models import Priority
from contracts_app.priorities.services import PriorityError, create_priority, update_priority


def test_it_turns_a_unique_name_race_into_a_field_error(db, factory, count_rows):
    taken = factory.make_priority(name="Vision Zero")

    # The check in create_priority already passed; another request then saved the same name.
    with pytest.raises(PriorityError) as raised:
        with services._saving():
            db.session.add(Priority(name=taken.name, outcome="x"))

    assert raised.value.field == "name"
    assert count_rows() == 1


def test_it_refuses_an_unknown_owner(db, users, count_rows):
    with pytest.raises(PriorityError) as raised:
        create_priority(users["admin"], "Vision Zero", "No deaths", owner_id=999999)

    db.session.rollback()
    assert raised.value.field == "owner_id"
    assert count_rows() == 0


def test_it_refuses_a_target_year_out_of_range(db, users, count_rows):
    with pytest.raises(PriorityError) as raised:
        create_priority(users["admin"], "Vision Zero", "No deaths", target_year=1999)

    db.session.rollback()
    assert raised.value.field == "target_year"
    assert count_rows() == 0


def test_it_creates_with_an_audit_event_in_the_same_transaction(db, users, count_rows):
    priority = create_priority(users["cdo"], "Vision Zero", "No deaths", owner_id=users["cdo"].id, target_year=2030)

    event = db.session.query(AuditEvent).one()
    assert (event.entity_type, event.entity_id, event.action) == ("priority", priority.id, "create")


def test_it_reports_whether_an_update_changed_anything(db, users, factory):
    priority = factory.make_priority(name="Same", outcome="Same")

    assert update_priority(priority, users["admin"], "Same", "Same") is False
    assert update_priority(priority, users["admin"], "Same", "Different") is True
