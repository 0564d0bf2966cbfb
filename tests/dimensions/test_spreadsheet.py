"""The readings spreadsheet round trip with a column per group ("Council district: District 1")."""
import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.dimensions import services as dimensions
from contracts_app.dimensions.models import ReadingGroupValue
from contracts_app.imports.models import ImportUpload
from contracts_app.metrics.models import Reading
from tests.bulk.conftest import NOW, city  # noqa: F401
from tests.bulk.test_spreadsheet import HEADER, _download, _upload, fixed_now  # noqa: F401

GROUPS = ["Council district: District 1", "Council district: District 2", "Council district: District 3"]


@pytest.fixture
def by_district(city, users):  # noqa: F811
    districts = dimensions.create_dimension(users["admin"], "Council district", "District 1\nDistrict 2\nDistrict 3")
    city["placed"].is_count = True
    dimensions.set_metric_dimensions(city["placed"], users["admin"], [districts.id])
    return districts


def _rows(cm):
    text = _download(cm, "csv").get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _page(cm, response):
    """The page after an upload: the preview it redirects to, or the upload page with the problems."""
    return (cm.get(response.headers["Location"]) if response.status_code == 302 else response).get_data(as_text=True)


def _send(cm, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return _upload(cm, buffer.getvalue().encode("utf-8"), "readings.csv")


def test_the_download_has_a_column_per_group_and_the_upload_records_them(db, city, cm, by_district):  # noqa: F811
    rows = _rows(cm)
    assert rows[0] == HEADER + GROUPS
    placed = next(r for r in rows[1:] if r[2] == str(city["placed"].id))
    days = next(r for r in rows[1:] if r[2] == str(city["days"].id))
    assert placed[12:] == ["", "", ""] and days[12:] == ["—", "—", "—"]
    placed[10], placed[12:] = "6", ["1", "2", "3"]
    response = _send(cm, [rows[0], placed, days])
    assert response.status_code == 302
    page = cm.get(response.headers["Location"]).get_data(as_text=True)
    assert "No problems." in page and "Record 1 reading" in page
    upload = db.session.scalar(select(ImportUpload))
    assert cm.post(f"/imports/readings/{upload.id}/commit", data={}).status_code == 302
    stored = db.session.scalars(select(ReadingGroupValue.value).order_by(ReadingGroupValue.group_id)).all()
    assert stored == [Decimal(1), Decimal(2), Decimal(3)]


def test_groups_that_do_not_add_up_are_named_by_row(db, city, cm, by_district):  # noqa: F811
    rows = _rows(cm)
    placed = next(r for r in rows[1:] if r[2] == str(city["placed"].id))
    placed[10], placed[12:] = "9", ["1", "2", "3"]
    page = _page(cm, _send(cm, [rows[0], placed]))
    assert "add up to 6 but the total is 9" in page and "Group columns" in page
    assert db.session.query(Reading).count() == 0


def test_a_group_column_of_no_dimension_is_refused(db, city, cm, by_district):  # noqa: F811
    rows = _rows(cm)
    rows[0][12] = "Council district: District 99"
    page = _page(cm, _send(cm, rows[:2]))
    assert "Unknown group column" in page


def test_a_value_in_the_group_column_of_a_metric_not_reporting_by_it_is_refused(db, city, cm, by_district):  # noqa: F811
    rows = _rows(cm)
    days = next(r for r in rows[1:] if r[2] == str(city["days"].id))
    days[10], days[12] = "40", "5"
    page = _page(cm, _send(cm, [rows[0], days]))
    assert "not a group of this metric" in page


def test_the_xlsx_download_has_the_group_columns(db, city, cm, by_district):  # noqa: F811
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(_download(cm, contract=city["contract"].id).data))["Readings"]
    assert [c.value for c in sheet[1]] == HEADER + GROUPS
