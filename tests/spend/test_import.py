"""The payments spreadsheet: every problem by row and column, nothing written unless every row
is right, a preview, one commit; and `flask import payments FILE --as EMAIL [--dry-run]`."""
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.extensions import db
from contracts_app.imports.models import ImportUpload
from contracts_app.spend.models import Payment

HEADER = "Contract reference,Paid on,Amount,Invoice reference,Period start,Period end,Note\r\n"


def payments():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Payment))


@pytest.fixture
def city(factory, users):
    mine = factory.make_contract(reference="HS-1", contract_manager_id=users["contract_manager"].id)
    other = factory.make_contract(reference="TR-9", contract_manager_id=factory.make_user("contract_manager").id)
    factory.make_contract(reference="DR-1", status="draft", contract_manager_id=users["contract_manager"].id)
    return mine, other


def _upload(client, text, name="payments.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post("/imports/payments", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


GOOD = HEADER + "HS-1,2025-08-15,\"12,500.00\",INV-1,2025-07-01,2025-07-31,July\r\nhs-1,2025-09-15,$12500,INV-2,,,\r\n"


def test_it_previews_then_records_every_row_once(client_as, city, users):
    officer = client_as("procurement_officer")
    response = _upload(officer, GOOD)
    assert response.status_code == 302
    preview = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Recording will write 2 payments" in preview and "$25,000" in preview
    assert payments() == 0
    upload = db.session.scalar(select(ImportUpload))
    assert upload.kind == "payments"
    committed = officer.post(f"/imports/payments/{upload.id}/commit")
    assert committed.status_code == 302
    rows = db.session.scalars(select(Payment).order_by(Payment.invoice_reference)).all()
    assert [(p.invoice_reference, p.amount, p.period_start) for p in rows] == [
        ("INV-1", Decimal("12500.00"), date(2025, 7, 1)), ("INV-2", Decimal("12500.00"), None)]
    assert all(p.recorded_by_id == users["procurement_officer"].id for p in rows)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "payment")) == 2
    # A second commit of the same file is refused: nothing twice.
    again = officer.post(f"/imports/payments/{upload.id}/commit", follow_redirects=True)
    assert "already imported" in again.get_data(as_text=True) and payments() == 2


def test_it_lists_every_problem_by_row_and_column_and_records_nothing(client_as, city):
    text = HEADER + "\r\n".join([
        "HS-1,2025-08-15,100,INV-1,,,",          # row 2: fine on its own
        "NOPE-1,2025-08-15,100,INV-2,,,",        # row 3: unknown contract
        "HS-1,15/08/2025,-3,INV-3,,,",           # row 4: bad date, negative amount
        "HS-1,2025-08-15,100,inv-1,,,",          # row 5: the same invoice as row 2
        "TR-9,2025-08-15,100,INV-9,,,",          # row 6: another manager's contract (for the manager)
        "DR-1,2025-08-15,100,INV-1,,,",          # row 7: a draft
        "HS-1,2025-08-15,100,,2025-07-01,,",     # row 8: no invoice, half a period
    ]) + "\r\n"
    response = _upload(client_as("contract_manager"), text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for expected in (
        "No contract has the reference NOPE-1.",
        "Enter a date as YYYY-MM-DD",
        "The amount must be more than zero",
        "Invoice inv-1 of HS-1 is also in row 2.",
        "You may not record payments on TR-9.",
        "still a draft",
        "Enter the invoice reference.",
        "Give both dates of the billing period, or neither.",
    ):
        assert expected in page, expected
    assert "nothing was recorded" in page
    assert payments() == 0 and db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_it_refuses_an_invoice_already_recorded_and_a_bad_header(client_as, city, factory):
    officer = client_as("procurement_officer")
    _upload(officer, GOOD)
    officer.post(f"/imports/payments/{db.session.scalar(select(ImportUpload.id))}/commit")
    page = _upload(officer, HEADER + "HS-1,2025-10-15,100,INV-2,,,\r\n").get_data(as_text=True)
    assert "Invoice INV-2 is already recorded on HS-1" in page
    page = _upload(officer, "Contract,Paid,Amount\r\nHS-1,2025-10-15,100\r\n").get_data(as_text=True)
    assert "The column Invoice reference is missing from the header row." in page
    assert "Unknown column" in page
    assert payments() == 2


def test_it_reads_an_xlsx_workbook(client_as, city):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Contract reference", "Paid on", "Amount", "Invoice reference"])
    sheet.append(["HS-1", date(2025, 8, 15), 1250.5, "INV-X"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    officer = client_as("procurement_officer")
    response = _upload(officer, buffer.getvalue(), "payments.xlsx")
    assert response.status_code == 302
    officer.post(f"/imports/payments/{db.session.scalar(select(ImportUpload.id))}/commit")
    assert db.session.scalar(select(Payment.amount)) == Decimal("1250.50")


def test_only_the_uploader_sees_and_commits_a_staged_file(client_as, city, factory):
    _upload(client_as("procurement_officer"), GOOD)
    staged = db.session.scalar(select(ImportUpload.id))
    other = client_as("procurement_officer", user=factory.make_user("procurement_officer"))
    assert other.get(f"/imports/payments/{staged}").status_code == 403
    assert other.post(f"/imports/payments/{staged}/commit").status_code == 403
    assert payments() == 0


def _file(tmp_path, text, name="payments.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_cli_checks_with_dry_run_then_records(runner, city, users, tmp_path):
    path = _file(tmp_path, GOOD)
    email = users["procurement_officer"].email
    dry = runner.invoke(args=["import", "payments", path, "--as", email, "--dry-run", "--now", "2026-01-01T12:00:00Z"])
    assert dry.exit_code == 0, dry.output
    assert "No problems. This would record 2 payments on 1 contract. Nothing was written (--dry-run)." in dry.output
    assert payments() == 0
    result = runner.invoke(args=["import", "payments", path, "--as", email])
    assert result.exit_code == 0, result.output
    assert f"Recorded 2 payments from {path}." in result.output
    assert payments() == 2


def test_the_cli_prints_every_problem_and_records_nothing(runner, city, users, tmp_path):
    path = _file(tmp_path, HEADER + "HS-1,2025-08-15,100,INV-1,,,\r\nHS-1,2025-08-15,abc,INV-2,,,\r\n")
    result = runner.invoke(args=["import", "payments", path, "--as", users["procurement_officer"].email])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "row 3, column Amount: “abc” is not a number: use digits, an optional decimal point and commas between "
        "thousands (1,250.5).",
        "1 problem; nothing was recorded.",
    ]
    assert payments() == 0
    viewer = runner.invoke(args=["import", "payments", path, "--as", users["viewer"].email])
    assert viewer.exit_code != 0 and "only procurement officers and contract managers record payments" in viewer.output
