"""`flask import readings FILE --as EMAIL [--dry-run]`."""

from sqlalchemy import func, select

from contracts_app.imports.models import ImportUpload
from contracts_app.metrics.models import Reading

NOW = "2026-02-15T12:00:00Z"


def _file(tmp_path, lines, name="readings.csv"):
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return str(path)


def _count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Reading))


def test_it_checks_with_dry_run_then_records_the_rows(runner, db, city, tmp_path):
    placed, days = city["placed"].id, city["days"].id
    path = _file(tmp_path, ["Metric id,Period start,Value,Note", f"{placed},2025-07-01,19,", f"{days},2025-07-01,55,late",
                            f"{placed},2025-08-01,,"])
    email = city["manager"].email

    dry = runner.invoke(args=["import", "readings", path, "--as", email, "--dry-run", "--now", NOW])

    assert dry.exit_code == 0, dry.output
    assert "No problems. This would record 2 readings (1 row without a value skipped). Nothing was written" in dry.output
    assert _count(db) == 0

    result = runner.invoke(args=["import", "readings", path, "--as", email, "--now", NOW])

    assert result.exit_code == 0, result.output
    assert f"Recorded 2 readings from {path}" in result.output
    assert _count(db) == 2
    assert db.session.scalar(select(ImportUpload.kind)) == "readings"


def test_problems_exit_non_zero_each_printed_and_nothing_written(runner, db, city, tmp_path):
    placed = city["placed"].id
    path = _file(tmp_path, ["Metric id,Period start,Value,Note", f"{placed},2025-07-01,19,", f"{placed},2030-01-01,5,",
                            f"{placed},2025-08-01,five,"])

    result = runner.invoke(args=["import", "readings", path, "--as", city["manager"].email, "--now", NOW])

    assert result.exit_code == 1
    assert "row 3, column Period start:" in result.output
    assert "row 4, column Value: “five” is not a number" in result.output
    assert "2 problems; nothing was recorded." in result.output
    assert _count(db) == 0
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_it_refuses_a_viewer_and_an_unknown_email(runner, db, city, users, tmp_path):
    path = _file(tmp_path, ["Metric id,Period start,Value", f"{city['placed'].id},2025-07-01,19"])
    viewer = runner.invoke(args=["import", "readings", path, "--as", users["viewer"].email])
    assert viewer.exit_code != 0 and "only procurement officers and contract managers" in viewer.output
    nobody = runner.invoke(args=["import", "readings", path, "--as", "nobody@example.org"])
    assert nobody.exit_code != 0 and "No active user" in nobody.output
