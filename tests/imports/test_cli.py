"""`flask --app contracts_app import contracts FILE.csv --as EMAIL [--dry-run]`."""
from sqlalchemy import func, select

from contracts_app.contracts.models import Contract
from contracts_app.imports.columns import template_rows
from contracts_app.imports.models import ImportUpload
from tests.imports.conftest import contract_only, example, to_csv


def _file(tmp_path, text, name="contracts.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def _contracts(db):
    db.session.expire_all()
    return db.session.scalars(select(Contract.reference).order_by(Contract.reference)).all()


def test_it_checks_with_dry_run_then_imports_and_prints_the_counts(runner, import_city, db, users, tmp_path):
    path = _file(tmp_path, to_csv(template_rows()[1:] + [list(contract_only(reference="HS-2026-002").values())]))
    officer = users["procurement_officer"].email

    dry = runner.invoke(args=["import", "contracts", path, "--as", officer, "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "No errors. The import would create 2 contracts, 2 metrics and 1 new vendor (Harbor Light Services)." in dry.output
    assert _contracts(db) == []

    result = runner.invoke(args=["import", "contracts", path, "--as", officer.upper()])

    assert result.exit_code == 0, result.output
    assert f"Imported 2 contracts, 2 metrics and 1 new vendor from {path}." in result.output
    assert _contracts(db) == ["HS-2026-001", "HS-2026-002"]
    assert db.session.scalar(select(ImportUpload.filename)) == "contracts.csv"


def test_a_bad_row_exits_non_zero_names_the_row_and_column_and_writes_nothing(runner, import_city, db, users, tmp_path):
    rows = [example(0, reference="A-1"), example(1, reference="A-1", metric_due_days="ten"),
            contract_only(reference="B-1", end_date="2025-01-01")]
    path = _file(tmp_path, to_csv(rows))

    result = runner.invoke(args=["import", "contracts", path, "--as", users["procurement_officer"].email])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "row 3, column metric_due_days: Not a valid integer value.",
        "row 4, column end_date: The end date must be on or after the start date.",
        "2 errors; nothing was imported.",
    ]
    assert _contracts(db) == [] and db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_it_imports_only_as_an_active_procurement_officer(runner, import_city, factory, users, tmp_path, db):
    path = _file(tmp_path, to_csv([contract_only()]))
    gone = factory.make_user("procurement_officer", active=False)
    for email, message in (
        (users["admin"].email, "is an admin; only procurement officers create contracts"),
        (users["viewer"].email, "is a viewer; only procurement officers create contracts"),
        (gone.email, f"No active user has the email {gone.email}."),
        ("nobody@city.test", "No active user has the email nobody@city.test."),
    ):
        result = runner.invoke(args=["import", "contracts", path, "--as", email])
        assert result.exit_code == 1 and message in result.output, (email, result.output)
    assert _contracts(db) == []


def test_it_refuses_a_file_that_is_not_csv(runner, import_city, users, tmp_path):
    path = _file(tmp_path, b"PK\x03\x04\x14\x00workbook", "contracts.xlsx")

    result = runner.invoke(args=["import", "contracts", path, "--as", users["procurement_officer"].email])

    assert result.exit_code == 1
    assert "contracts.xlsx: This is an Excel workbook (.xlsx)" in result.output
