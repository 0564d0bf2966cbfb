"""`flask --app contracts_app demo load`."""
from sqlalchemy import func, select

from contracts_app.auth.models import ROLES
from contracts_app.contracts.models import Contract
from contracts_app.demo.loader import DEFAULT_PASSWORD


def count_contracts(db):
    return db.session.scalar(select(func.count()).select_from(Contract))


def test_it_loads_the_demo_city(db, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert count_contracts(db) == 40
    assert "40 contracts" in result.output
    assert " held check-ins, " in result.output and " action items (" in result.output


def test_it_prints_the_sign_ins(runner):
    result = runner.invoke(args=["demo", "load"])
    assert "ana@demo.city" in result.output and "ben@demo.city" in result.output
    for role in ROLES:
        line = next(line for line in result.output.splitlines() if f" {role} " in line)
        assert "@demo.city" in line and line.rstrip().endswith(DEFAULT_PASSWORD)


def test_it_prints_the_password_from_the_environment(runner, monkeypatch):
    monkeypatch.setenv("RDC_DEMO_PASSWORD", "city-demo-pass")
    result = runner.invoke(args=["demo", "load"])
    assert "city-demo-pass" in result.output
    assert DEFAULT_PASSWORD not in result.output


def test_it_says_so_and_does_nothing_when_the_database_has_data(db, runner, factory):
    factory.make_contract()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "already has" in result.output
    assert count_contracts(db) == 1


def test_it_does_nothing_the_second_time(db, runner):
    runner.invoke(args=["demo", "load"])
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "already has" in result.output
    assert count_contracts(db) == 40
