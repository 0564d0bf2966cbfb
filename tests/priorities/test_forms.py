"""Creating and editing priorities: happy paths, bad input, audit events."""
import pytest

from contracts_app.audit.models import AuditEvent
from contracts_app.priorities.models import Priority


def _form(**overrides):
    data = {"name": "Vision Zero", "outcome": "No traffic deaths by 2030", "owner_id": "0", "target_year": "2030"}
    data.update(overrides)
    return data


def test_it_shows_the_new_priority_form(client_as, users):
    response = client_as("cdo").get("/priorities/new")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="outcome"' in page
    assert users["procurement_officer"].name in page  # offered as an owner


def test_it_creates_a_priority(client_as, db, users):
    response = client_as("cdo").post("/priorities/new", data=_form(owner_id=str(users["cdo"].id)))

    priority = db.session.query(Priority).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/priorities/{priority.id}"
    assert (priority.name, priority.outcome, priority.owner_id, priority.target_year) == (
        "Vision Zero", "No traffic deaths by 2030", users["cdo"].id, 2030,
    )


def test_it_creates_a_priority_without_owner_or_target_year(client_as, db):
    response = client_as("admin").post("/priorities/new", data=_form(owner_id="0", target_year=""))

    priority = db.session.query(Priority).one()
    assert response.status_code == 302
    assert priority.owner_id is None
    assert priority.target_year is None


def test_it_trims_the_name(client_as, db):
    client_as("admin").post("/priorities/new", data=_form(name="  Vision Zero  "))

    assert db.session.query(Priority).one().name == "Vision Zero"


def test_it_records_an_audit_event_on_create(client_as, users, priority_events):
    client_as("cdo").post("/priorities/new", data=_form(owner_id=str(users["cdo"].id)))

    (event,) = priority_events()
    assert event.action == "create"
    assert event.actor_id == users["cdo"].id
    assert event.before is None
    assert event.after["name"] == "Vision Zero"
    assert event.after["target_year"] == 2030
    assert event.after["owner"] == users["cdo"].name
    assert event.entity_id == event.after["id"]


def test_it_edits_a_priority(client_as, db, factory, users):
    priority = factory.make_priority(name="Old name", outcome="Old outcome", target_year=2030)

    response = client_as("procurement_officer").post(
        f"/priorities/{priority.id}/edit",
        data=_form(name="New name", outcome="New outcome", owner_id=str(users["viewer"].id), target_year="2032"),
    )

    db.session.refresh(priority)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/priorities/{priority.id}"
    assert (priority.name, priority.outcome, priority.owner_id, priority.target_year) == (
        "New name", "New outcome", users["viewer"].id, 2032,
    )


def test_it_prefills_the_edit_form(client_as, factory, users):
    priority = factory.make_priority(name="Clean streets", owner=users["cdo"], target_year=2027)

    page = client_as("admin").get(f"/priorities/{priority.id}/edit").get_data(as_text=True)

    assert 'value="Clean streets"' in page
    assert 'value="2027"' in page
    assert f'<option selected value="{users["cdo"].id}">' in page


def test_it_records_before_and_after_on_edit(client_as, factory, users, priority_events):
    priority = factory.make_priority(name="Old name", outcome="Same outcome", target_year=2030)

    client_as("admin").post(
        f"/priorities/{priority.id}/edit", data=_form(name="New name", outcome="Same outcome", target_year="2031")
    )

    (event,) = priority_events()
    assert event.action == "update"
    assert event.actor_id == users["admin"].id
    assert event.entity_id == priority.id
    assert event.before["name"] == "Old name"
    assert event.after["name"] == "New name"
    assert ("target_year", 2030, 2031) in event.changes()
    assert "outcome" not in [field for field, _, _ in event.changes()]


def test_it_writes_no_event_when_nothing_changed(client_as, factory, priority_events):
    priority = factory.make_priority(name="Same", outcome="Same outcome", target_year=2030)

    response = client_as("admin").post(
        f"/priorities/{priority.id}/edit", data=_form(name="Same", outcome="Same outcome", target_year="2030")
    )

    assert response.status_code == 302
    assert priority_events() == []


def test_it_refuses_a_duplicate_name(client_as, factory, count_rows):
    factory.make_priority(name="Vision Zero")
    before = count_rows(), count_rows(AuditEvent)

    response = client_as("admin").post("/priorities/new", data=_form(name="vision zero"))

    assert response.status_code == 200
    assert "A priority with this name already exists." in response.get_data(as_text=True)
    assert (count_rows(), count_rows(AuditEvent)) == before


def test_it_refuses_renaming_to_a_taken_name(client_as, db, factory, count_rows):
    factory.make_priority(name="Vision Zero")
    priority = factory.make_priority(name="Clean streets")
    events = count_rows(AuditEvent)

    response = client_as("admin").post(f"/priorities/{priority.id}/edit", data=_form(name="Vision Zero"))

    db.session.refresh(priority)
    assert response.status_code == 200
    assert "A priority with this name already exists." in response.get_data(as_text=True)
    assert priority.name == "Clean streets"
    assert count_rows(AuditEvent) == events


def test_it_lets_a_priority_keep_its_own_name(client_as, db, factory):
    priority = factory.make_priority(name="Vision Zero", outcome="Old")

    response = client_as("admin").post(f"/priorities/{priority.id}/edit", data=_form(name="Vision Zero", outcome="New"))

    db.session.refresh(priority)
    assert response.status_code == 302
    assert priority.outcome == "New"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "Give the priority a name."),
        ("name", "x" * 201, "Field cannot be longer than 200 characters."),
        ("outcome", "", "Describe the measurable outcome."),
        ("outcome", "   ", "Describe the measurable outcome."),
        ("target_year", "1999", "Enter a year between 2000 and 2100."),
        ("target_year", "2101", "Enter a year between 2000 and 2100."),
        ("target_year", "twenty", "Not a valid integer value."),
        ("target_year", "2030.5", "Not a valid integer value."),
        ("owner_id", "999999", "Not a valid choice."),
        ("owner_id", "abc", "Invalid Choice: could not coerce."),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(client_as, count_rows, field, value, message):
    response = client_as("admin").post("/priorities/new", data=_form(**{field: value}))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "nothing was saved" in page
    assert count_rows() == 0
    assert count_rows(AuditEvent) == 0


def test_it_refuses_bad_input_on_edit_and_keeps_the_priority(client_as, db, factory, count_rows):
    priority = factory.make_priority(name="Vision Zero", outcome="Keep me", target_year=2030)

    response = client_as("admin").post(
        f"/priorities/{priority.id}/edit", data=_form(name="Vision Zero", outcome="Changed", target_year="3000")
    )

    db.session.refresh(priority)
    assert response.status_code == 200
    assert "Enter a year between 2000 and 2100." in response.get_data(as_text=True)
    assert (priority.outcome, priority.target_year) == ("Keep me", 2030)
    assert count_rows(AuditEvent) == 0


def test_it_does_not_offer_inactive_users_as_owners(client_as, factory):
    retired = factory.make_user("cdo", name="Retired Person", active=False)

    page = client_as("admin").get("/priorities/new").get_data(as_text=True)

    assert "Retired Person" not in page
    assert f'value="{retired.id}"' not in page


def test_it_refuses_an_inactive_owner(client_as, factory, count_rows):
    retired = factory.make_user("cdo", active=False)

    response = client_as("admin").post("/priorities/new", data=_form(owner_id=str(retired.id)))

    assert response.status_code == 200
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert count_rows() == 0


def test_it_keeps_a_since_deactivated_owner_on_edit(client_as, db, factory):
    retired = factory.make_user("cdo", name="Retired Person", active=False)
    priority = factory.make_priority(owner=retired, outcome="Old")

    client = client_as("admin")
    page = client.get(f"/priorities/{priority.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/priorities/{priority.id}/edit", data=_form(name=priority.name, outcome="New", owner_id=str(retired.id))
    )

    db.session.refresh(priority)
    assert "Retired Person" in page and "inactive" in page
    assert response.status_code == 302
    assert (priority.owner_id, priority.outcome) == (retired.id, "New")


def test_it_gives_a_non_numeric_year_one_message(client_as):
    page = client_as("admin").post("/priorities/new", data=_form(target_year="twenty")).get_data(as_text=True)

    assert "Not a valid integer value." in page
    assert "Enter a year between" not in page
