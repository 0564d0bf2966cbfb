"""Vendor submissions carry values per group; accepting makes them the reading's (issue 15)."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.dimensions import services as dimensions
from contracts_app.dimensions.models import ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.vendors import services
from contracts_app.vendors.models import VendorSubmission
from tests.vendors.conftest import NOW, OCTOBER


@pytest.fixture
def districts(placements, ben, users):
    districts = dimensions.create_dimension(users["admin"], "Council district", "District 1\nDistrict 7")
    placements.is_count = True
    dimensions.set_metric_dimensions(placements, users["admin"], [districts.id])
    return [g.id for g in districts.groups]


def test_a_submission_with_groups_becomes_a_reading_with_them(contract, dana, ben, placements, districts):
    one, seven = districts
    with pytest.raises(services.VendorError, match="add up to 20 but the total is 24"):
        services.submit_value(contract, dana, placements, OCTOBER, Decimal(24), "", now=NOW, groups={one: "15", seven: "5"})
    assert db.session.query(VendorSubmission).count() == 0
    submission = services.submit_value(contract, dana, placements, OCTOBER, Decimal(24), "", now=NOW,
                                       groups={one: "18", seven: "6"})
    assert submission.group_values == {str(one): "18", str(seven): "6"}
    reading = services.accept_submission(submission, ben, now=NOW)
    stored = dict(db.session.execute(
        select(ReadingGroupValue.group_id, ReadingGroupValue.value).where(ReadingGroupValue.reading_id == reading.id)
    ).all())
    assert stored == {one: Decimal(18), seven: Decimal(6)}


def test_the_vendor_page_has_an_input_per_group(contract, dana, placements, districts, as_user):
    one, seven = districts
    client = as_user(dana)
    page = client.get(f"/vendor/contracts/{contract.id}").get_data(as_text=True)
    assert "By Council district (optional)" in page
    assert f'name="m{placements.id}-' in page and f'-group-{seven}"' in page
