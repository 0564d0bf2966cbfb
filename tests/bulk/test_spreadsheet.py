"""The readings spreadsheet round trip: download the due periods, fill them in, upload, preview, record."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.imports.models import ImportUpload
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.bulk.conftest import NOW

HEADER = ["Contract reference", "Contract title", "Metric id", "Metric name", "Unit", "Period", "Period start",
          "Period end", "Due date", "Target", "Value", "Note"]


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """The pages read the clock: pin it to NOW (15 Feb 2026) so the periods due are known."""
    for module in ("contracts_app.imports.routes", "contracts_app.imports.services"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)


def _download(client, fmt="xlsx", **args):
    response = client.get(f"/imports/readings/due.{fmt}", query_string=args)
    assert response.status_code == 200, response.data[:500]
    return response


def _xlsx(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Readings"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, data, name="readings.xlsx"):
    return client.post("/imports/readings", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _readings(db):
    db.session.expire_all()
    return db.session.execute(
        select(Reading.metric_id, Reading.period_start, Reading.value, Reading.note, Reading.status)
        .order_by(Reading.metric_id, Reading.period_start)
    ).all()


def test_the_xlsx_round_trip_records_every_filled_row_once(db, city, cm):
    response = _download(cm, contract=city["contract"].id)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="readings-due-HS-001-2026-02-15.xlsx"' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Readings", "Instructions"]
    sheet = workbook["Readings"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    assert "Do not change" in sheet["C1"].comment.text
    rows = list(sheet.iter_rows(min_row=2))
    # Two metrics, Jul 2025 to Jan 2026 ended: fourteen periods, the overdue ones (all but Jan) first.
    assert len(rows) == 14
    first = [c.value for c in rows[0]]
    assert first[:4] == ["HS-001", "Rapid rehousing", city["placed"].id, "Families placed"]
    assert first[5:9] == ["Jul 2025", datetime(2025, 7, 1), datetime(2025, 7, 31), datetime(2025, 8, 10)]
    assert first[9] is not None and first[10] is None
    assert [c.value for c in rows[-1]][5] == "Jan 2026"

    # Fill in three rows, leave the rest blank (skipped).
    rows[0][10].value = 19
    rows[1][10].value = 57.5
    rows[1][11].value = "from the county feed"
    rows[2][10].value = "21"
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = _upload(cm, buffer.getvalue())
    assert response.status_code == 302
    preview = cm.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert "No problems." in page and "Record 3 readings" in page and "11 rows without a value skipped" in page
    assert _readings(db) == []

    upload = db.session.scalar(select(ImportUpload))
    assert (upload.kind, upload.encoding) == ("readings", "xlsx")
    committed = cm.post(f"/imports/readings/{upload.id}/commit", data={})
    assert committed.status_code == 302
    assert "Recorded 3 readings." in cm.get(committed.headers["Location"]).get_data(as_text=True)
    stored = _readings(db)
    assert len(stored) == 3 and {r.note for r in stored} == {"", "from the county feed"}
    assert all(r.status in ("on_track", "at_risk", "off_track") for r in stored)
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "reading")).all()
    assert events == ["create"] * 3
    assert db.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "import")) == \
        "Imported 3 readings from readings.xlsx"

    # The same upload cannot be recorded twice.
    again = cm.post(f"/imports/readings/{upload.id}/commit", data={}, follow_redirects=True)
    assert "already imported" in again.get_data(as_text=True)
    assert len(_readings(db)) == 3


def test_the_csv_round_trip_and_a_correction_with_its_note(db, city, cm, factory):
    factory.make_reading(city["placed"], date(2025, 7, 1), 19, note="first")
    text = _download(cm, "csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == HEADER and len(rows) == 14  # Jul 2025 of Families placed is recorded
    rows[1][10] = "30"
    rows.append(["HS-001", "", str(city["placed"].id), "", "", "", "2025-07-01", "", "", "", "22", "recount of July"])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)

    response = _upload(cm, buffer.getvalue().encode("utf-8"), "readings.csv")
    assert response.status_code == 302
    page = cm.get(response.headers["Location"]).get_data(as_text=True)
    assert "Record 2 readings (1 correction)" in page
    upload = db.session.scalar(select(ImportUpload))
    assert cm.post(f"/imports/readings/{upload.id}/commit", data={}).status_code == 302

    assert db.session.scalar(select(ReadingRevision.value)) == Decimal(19)
    assert [r.value for r in _readings(db)][:1] == [Decimal(22)]


def _problems(page):
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_wrong_and_missing_columns_are_named(db, city, cm):
    response = _upload(cm, _xlsx([], header=["Metric", "Period start", "Amount", "Note"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nothing was recorded" in page
    problems = _problems(page)
    assert "Unknown column (column A)" in problems and "Unknown column (column C)" in problems
    assert "The column Metric id is missing" in problems and "The column Value is missing" in problems
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def _row(metric, start, value, note=""):
    return ["HS-001", "", metric.id, "", "", "", start, "", "", "", value, note]


def test_every_bad_row_is_listed_by_row_and_column_and_nothing_is_written(db, city, cm, factory):
    placed, days = city["placed"], city["days"]
    factory.make_reading(days, date(2025, 7, 1), 50)
    data = _xlsx([
        _row(placed, "2025-07-01", 19),
        _row(placed, "2024-01-01", 19),  # row 3: before the term
        _row(placed, "2025-07-01", 20),  # row 4: the same period again
        _row(placed, "2025-08-01", "lots"),  # row 5: a text value
        _row(days, "2025-07-01", 45),  # row 6: a correction without a note
        _row(placed, "2025-09-01", None, "no value yet"),  # row 7: a note without a value
        _row(city["others"], "2025-07-01", 3),  # row 8: another manager's contract
    ])

    page = _upload(cm, data).get_data(as_text=True)

    assert "6 problems in readings.xlsx; nothing was recorded" in page
    problems = _problems(page)
    for number, column, text in (
        (3, "Period start", "does not start a monthly reporting period"),
        (4, "Period start", "is also in row 2"),
        (5, "Value", "is not a number"),
        (6, "Note", "a correction needs a note"),
        (7, "Value", "Enter the value"),
        (8, "Metric id", "You may not enter readings for PW-001"),
    ):
        assert f'<td data-label="Row" class="num">{number}</td><td data-label="Column">{column}</td>' in problems, number
        assert text in problems
    assert len(_readings(db)) == 1


def test_a_file_over_the_limit_is_refused_with_a_clear_page(app, db, city, cm):
    app.config["READINGS_IMPORT_MAX_BYTES"] = 10 * 1024 * 1024
    data = b"Metric id,Period start,Value\r\n" + b"1,2025-07-01,1\r\n" * (20 * 1024 * 1024 // 16)

    response = _upload(cm, data, "huge.csv")

    assert response.status_code == 413
    assert "The file is larger than 10 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_a_broken_workbook_or_an_old_xls_is_refused(db, city, cm):
    page = _upload(cm, b"PK\x03\x04not really a zip").get_data(as_text=True)
    assert "not an Excel workbook that can be read" in page
    page = _upload(cm, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls").get_data(as_text=True)
    assert "older Excel workbook (.xls)" in page


def test_a_department_download_has_only_the_contracts_the_user_may_enter(db, city, cm, po):
    rows = list(csv.reader(io.StringIO(_download(cm, "csv", department="Public Works").get_data(as_text=True))))
    assert len(rows) == 1  # the header: Public Works' contract is another manager's
    rows = list(csv.reader(io.StringIO(_download(po, "csv", department="Public Works").get_data(as_text=True))))
    assert {r[0] for r in rows[1:]} == {"PW-001"}


def test_a_contract_download_is_refused_to_those_who_may_not_enter_its_readings(db, city, cm, client_as):
    assert cm.get(f"/imports/readings/due.xlsx?contract={city['other'].id}").status_code == 403
    assert client_as("viewer").get("/imports/readings/due.xlsx").status_code == 403
    assert cm.get("/imports/readings/due.xlsx?contract=abc").status_code == 404


def test_the_download_links_show_only_to_those_who_may_enter_readings(db, city, cm, client_as):
    contract_page = f"/contracts/{city['contract'].id}"
    assert "/imports/readings/due.xlsx?contract=" in cm.get(contract_page).get_data(as_text=True)
    assert "/imports/readings/due.xlsx" not in client_as("viewer").get(contract_page).get_data(as_text=True)
    assert "/imports/readings/due.xlsx" in cm.get("/work").get_data(as_text=True)
    register = "/contracts?department=Human+Services"
    assert "department=Human+Services" in cm.get(register).get_data(as_text=True).split("Export CSV")[1][:400]
    assert "/imports/readings/due" not in client_as("viewer").get(register).get_data(as_text=True)


def test_a_contract_import_address_does_not_show_a_readings_upload(db, city, cm, po, users):
    upload = ImportUpload(uploaded_by_id=users["procurement_officer"].id, encoding="xlsx", content="x", kind="readings")
    db.session.add(upload)
    db.session.commit()
    assert po.get(f"/imports/contracts/{upload.id}").status_code == 404
    assert cm.get(f"/imports/readings/{upload.id}").status_code == 403


def test_a_body_over_max_content_length_gets_the_readings_page_with_the_reason(app, db, city, cm):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = _upload(cm, b"Metric id,Period start,Value\r\n" + b"1,2025-07-01,1\r\n" * 500, "big.csv")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Upload readings from a spreadsheet" in page and "The file is larger than" in page
