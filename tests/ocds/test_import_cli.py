"""``flask import ocds FILE --as EMAIL [--dry-run] [--encoding NAME]``."""
import json

from sqlalchemy import func, select

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from tests import factories
from tests.ocds.test_import import FIXTURES, package, release


def contracts():
    return db.session.scalar(select(func.count()).select_from(Contract))


def test_dry_run_then_import_then_again(runner, tmp_path):
    officer = factories.make_users(["procurement_officer"])["procurement_officer"]
    path = str(FIXTURES / "fictional-example-release-package.json")
    dry = runner.invoke(args=["import", "ocds", path, "--as", officer.email, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "contracts 1 to create" in dry.stdout and "Nothing was written (--dry-run)." in dry.stdout
    assert contracts() == 0
    done = runner.invoke(args=["import", "ocds", path, "--as", officer.email])
    assert done.exit_code == 0, done.output
    assert "contracts 1 created" in done.stdout
    assert contracts() == 1
    again = runner.invoke(args=["import", "ocds", path, "--as", officer.email])
    assert again.exit_code == 0 and "0 created, 1 unchanged" in again.stdout
    assert "Nothing was written." in again.stdout
    assert contracts() == 1


def test_a_dry_run_lists_the_changes_of_each_contract_to_update(runner, tmp_path):
    officer = factories.make_users(["procurement_officer"])["procurement_officer"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package(release())))
    assert runner.invoke(args=["import", "ocds", str(path), "--as", officer.email]).exit_code == 0
    same = runner.invoke(args=["import", "ocds", str(path), "--as", officer.email, "--dry-run"])
    assert "contracts 0 to create, 1 unchanged." in same.stdout and "To update" not in same.stdout
    newer = release(id="x-2", date="2026-05-01T00:00:00Z")
    newer["contracts"][0]["period"]["endDate"] = "2027-06-30T23:59:59-04:00"
    path.write_text(json.dumps(package(newer)))
    dry = runner.invoke(args=["import", "ocds", str(path), "--as", officer.email, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "To update: ocds-test-1 contract c1 (Street cleaning):\n  End: 31 Jan 2027 → 30 Jun 2027\n" in dry.stdout
    assert "contracts 0 to create, 1 to update." in dry.stdout


def test_an_administrator_may_import_and_a_contract_manager_may_not(runner, tmp_path):
    people = factories.make_users(["admin", "contract_manager"])
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package(release())))
    refused = runner.invoke(args=["import", "ocds", str(path), "--as", people["contract_manager"].email])
    assert refused.exit_code != 0
    assert "only procurement officers and administrators import open contracting data" in refused.output
    done = runner.invoke(args=["import", "ocds", str(path), "--as", people["admin"].email])
    assert done.exit_code == 0, done.output
    assert contracts() == 1


def test_problems_are_printed_with_their_path_and_nothing_is_written(runner, tmp_path):
    officer = factories.make_users(["procurement_officer"])["procurement_officer"]
    bad = release()
    bad["contracts"][0]["value"]["amount"] = "lots"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package(release("ocds-ok"), bad)))
    result = runner.invoke(args=["import", "ocds", str(path), "--as", officer.email])
    assert result.exit_code == 1
    assert 'releases[1].contracts[0].value.amount: is not a number: "lots".' in result.stderr
    assert "1 problem; nothing was imported." in result.stderr
    assert contracts() == 0


def test_a_declared_encoding(runner, tmp_path):
    officer = factories.make_users(["procurement_officer"])["procurement_officer"]
    data = package(release())
    data["releases"][0]["contracts"][0]["title"] = "Señalización"
    path = tmp_path / "p.json"
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode("cp1252"))
    result = runner.invoke(args=["import", "ocds", str(path), "--as", officer.email, "--encoding", "cp1252"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Contract.title)) == "Señalización"
