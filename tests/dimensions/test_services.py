"""Dimensions defined once per city; group values written with the reading; the count-sum rule."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.dimensions import services as dimensions
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue
from contracts_app.dimensions.services import DimensionError
from contracts_app.errors import ConflictError
from contracts_app.extensions import db
from contracts_app.metrics import services
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.metrics.helpers import recent_term  # noqa: F401
from tests.metrics.test_readings import started_periods


def _ids(dimension):
    return [g.id for g in dimension.groups]


def test_a_dimension_keeps_its_groups_in_order_and_is_audited(districts):
    assert [g.name for g in districts.groups] == ["District 1", "District 2", "District 3"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "dimension"))
    assert event.after["groups"] == ["District 1", "District 2", "District 3"]


@pytest.mark.parametrize("name, groups, field, message", [
    ("", "A\nB", "name", "Give the dimension a name"),
    ("Council district", "A\nB", "name", "already exists"),
    ("Age band", "Only one", "groups", "at least two groups"),
    ("Age band", "A\nB\na", "groups", "listed twice"),
    ("Age band", "A\n" + "x" * 121, "groups", "longer than 120"),
])
def test_bad_dimensions_are_refused_with_a_message(districts, users, name, groups, field, message):
    with pytest.raises(DimensionError) as error:
        dimensions.create_dimension(users["procurement_officer"], name, groups)
    assert error.value.field == field and message in error.value.message
    assert db.session.query(Dimension).count() == 1


def test_editing_reorders_adds_and_removes_unused_groups(districts, users):
    first = districts.groups[0].id
    assert dimensions.update_dimension(districts, users["admin"], "Council district", "District 3\nDistrict 1\nDistrict 4")
    names = db.session.scalars(select(DimensionGroup.name).where(DimensionGroup.dimension_id == districts.id)
                               .order_by(DimensionGroup.position)).all()
    assert names == ["District 3", "District 1", "District 4"]
    assert db.session.get(DimensionGroup, first).name == "District 1"  # kept, same id
    assert not dimensions.update_dimension(districts, users["admin"], "Council district", "District 3\nDistrict 1\nDistrict 4")


def test_a_group_with_values_cannot_be_removed(metric, districts, users):
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    services.record_reading(metric, users["contract_manager"], period.start, "6", groups=[
        {"group_id": one, "value": "1"}, {"group_id": two, "value": "2"}, {"group_id": three, "value": "3"},
    ])
    with pytest.raises(DimensionError) as error:
        dimensions.update_dimension(districts, users["admin"], "Council district", "District 1\nDistrict 2")
    assert "District 3 cannot be removed" in error.value.message
    assert len(db.session.get(Dimension, districts.id).groups) == 3
    with pytest.raises(ConflictError):
        dimensions.set_metric_dimensions(metric, users["admin"], [])


def test_a_reading_stores_its_group_values_in_its_transaction_and_audit(metric, districts, users):
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    reading = services.record_reading(metric, users["contract_manager"], period.start, "6", groups=[
        {"group_id": one, "value": "1"}, {"group_id": two, "value": 2}, {"group_id": three, "value": "3"},
    ])
    stored = dict(db.session.execute(select(ReadingGroupValue.group_id, ReadingGroupValue.value)).all())
    assert stored == {one: Decimal(1), two: Decimal(2), three: Decimal(3)}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "reading"))
    assert event.after["groups"] == {str(one): "1", str(two): "2", str(three): "3"}
    assert [g.value for g in db.session.get(Reading, reading.id).group_values] == [1, 2, 3]


def test_some_groups_only_need_not_add_up(metric, districts, users):
    period = started_periods(metric)[0]
    services.record_reading(metric, users["contract_manager"], period.start, "6", groups=[{"group_id": _ids(districts)[0], "value": "4"}])
    assert db.session.query(ReadingGroupValue).count() == 1


def test_some_groups_of_a_count_cannot_add_up_to_more_than_its_total(metric, districts, users):
    period = started_periods(metric)[0]
    one, two, _three = _ids(districts)
    with pytest.raises(services.MetricError) as error:
        services.record_reading(metric, users["contract_manager"], period.start, "6", groups=[
            {"group_id": one, "value": "4"}, {"group_id": two, "value": "3"}])
    assert "groups given add up to 7, more than the total of 6" in error.value.message
    assert db.session.query(Reading).count() == 0 and db.session.query(ReadingGroupValue).count() == 0
    # Equal to the total with a group left blank is fine: the blank one had none.
    services.record_reading(metric, users["contract_manager"], period.start, "7", groups=[
        {"group_id": one, "value": "4"}, {"group_id": two, "value": "3"}])
    assert db.session.query(ReadingGroupValue).count() == 2


def test_a_count_whose_groups_do_not_add_up_is_refused_naming_the_numbers(metric, districts, users):
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    with pytest.raises(services.MetricError) as error:
        services.record_reading(metric, users["contract_manager"], period.start, "7", groups=[
            {"group_id": one, "value": "1"}, {"group_id": two, "value": "2"}, {"group_id": three, "value": "3"},
        ])
    assert "add up to 6 but the total is 7" in error.value.message
    assert db.session.query(Reading).count() == 0 and db.session.query(ReadingGroupValue).count() == 0


def test_a_rate_s_groups_are_independent_of_the_total(metric, districts, users):
    metric.is_count = False
    db.session.commit()
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    services.record_reading(metric, users["contract_manager"], period.start, "80", groups=[
        {"group_id": one, "value": "70"}, {"group_id": two, "value": "90"}, {"group_id": three, "value": "85"},
    ])
    assert db.session.query(ReadingGroupValue).count() == 3


@pytest.mark.parametrize("groups, message", [
    ([{"group_id": 99999, "value": "1"}], "not a group of this metric"),
    ([{"group_id": "x", "value": "1"}], "not a group of this metric"),
    ([{"group_id": 0, "value": "abc"}], "enter a number"),
    ([{"group_id": 0, "value": "-1"}], "zero or more"),
    ([{"group_id": 0, "value": "1"}, {"group_id": 0, "value": "2"}], "given twice"),
])
def test_bad_group_values_are_refused(metric, districts, users, groups, message):
    one = _ids(districts)[0]
    groups = [{**g, "group_id": one if g["group_id"] == 0 else g["group_id"]} for g in groups]
    with pytest.raises(services.MetricError) as error:
        services.record_reading(metric, users["contract_manager"], started_periods(metric)[0].start, "6", groups=groups)
    assert message in error.value.message
    assert db.session.query(Reading).count() == 0


def test_a_group_of_a_dimension_the_metric_does_not_use_is_refused(metric, users):
    age = dimensions.create_dimension(users["admin"], "Age band", "Under 25\n25 and over")
    with pytest.raises(services.MetricError):
        services.record_reading(metric, users["contract_manager"], started_periods(metric)[0].start, "6",
                                groups=[{"group_id": age.groups[0].id, "value": "6"}])


def test_a_correction_keeps_the_old_group_values_in_the_history(metric, districts, users):
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    reading = services.record_reading(metric, users["contract_manager"], period.start, "6", groups=[
        {"group_id": one, "value": "1"}, {"group_id": two, "value": "2"}, {"group_id": three, "value": "3"},
    ])
    services.correct_reading(reading, users["contract_manager"], "8", "District 3 late report", groups=[
        {"group_id": one, "value": "1"}, {"group_id": two, "value": "2"}, {"group_id": three, "value": "5"},
    ])
    revision = db.session.scalar(select(ReadingRevision))
    assert revision.group_values == {str(one): "1", str(two): "2", str(three): "3"}
    stored = dict(db.session.execute(select(ReadingGroupValue.group_id, ReadingGroupValue.value)).all())
    assert stored[three] == Decimal(5)


def test_a_correction_of_the_total_alone_must_still_agree_with_the_groups(metric, districts, users):
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    reading = services.record_reading(metric, users["contract_manager"], period.start, "6", groups=[
        {"group_id": one, "value": "1"}, {"group_id": two, "value": "2"}, {"group_id": three, "value": "3"},
    ])
    with pytest.raises(services.MetricError) as error:
        services.correct_reading(reading, users["contract_manager"], "9", "typo")
    assert "add up to 6 but the total is 9" in error.value.message
    assert db.session.get(Reading, reading.id).value == 6
    assert db.session.query(ReadingRevision).count() == 0


def test_period_form_rows_carry_group_values(metric, contract, districts, users):
    period = started_periods(metric)[0]
    one, two, three = _ids(districts)
    rows = [{"metric": metric, "period_start": period.start, "value": Decimal(5), "note": "",
             "groups": {one: "1", two: "1", three: "1"}}]
    with pytest.raises(services.ReadingsError) as error:
        services.record_period_readings(contract, users["contract_manager"], rows)
    assert "add up to 3 but the total is 5" in error.value.problems["readings-0-value"]
    rows[0]["groups"] = {one: "1", two: "1", three: "3"}
    services.record_period_readings(contract, users["contract_manager"], rows)
    assert db.session.query(ReadingGroupValue).count() == 3
