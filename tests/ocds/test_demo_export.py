"""The demo city's OCDS export: valid against the OCDS 1.1 + Metrics schema, public contracts
only, metrics and readings as observations, stable, and mergeable.

The demo city is put in once per backend for this module (a copy of the one each test process
loads, tests.conftest.demo_city), so these tests only read; changes are tested on small data in
test_export.py.
"""
import json
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts_app import create_app
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric
from contracts_app.ocds.export import METRICS_EXTENSION, release_package
from tests.conftest import BACKENDS, _config_for, _empty_postgres_tables, _prepare, _sqlite_template, demo_city
from tests.demo.conftest import NOW
from tests.ocds.conftest import compile_releases, release_of, schema_errors


@pytest.fixture(scope="module", params=BACKENDS)
def demo_app(request, tmp_path_factory):
    """An app whose database holds the demo city loaded at NOW, for the whole module."""
    if request.param == "postgresql":
        url = request.getfixturevalue("_postgres_schema")
    else:
        path = tmp_path_factory.mktemp("ocds") / "demo.sqlite3"
        shutil.copyfile(_sqlite_template(), path)
        url = f"sqlite:///{path}"
    application = _prepare(create_app(_config_for(url)))
    with application.app_context():
        assert demo_city(NOW).loaded, "the database was not empty"
        yield application
        db.session.remove()
        if request.param == "postgresql":
            _empty_postgres_tables()
        db.engine.dispose()


@pytest.fixture(scope="module")
def package(demo_app):
    return release_package(now=NOW)


def contracts():
    return db.session.scalars(select(Contract).order_by(Contract.id)).all()


def test_it_exports_the_demo_city_with_zero_schema_errors(package):
    assert schema_errors(package) == []
    assert package["version"] == "1.1"
    assert package["extensions"] == [METRICS_EXTENSION]
    assert package["publisher"] == {"name": "Demo City"}
    assert package["license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert package["uri"].endswith("/public/data/release-package.json")
    assert package["publishedDate"] == max(r["date"] for r in package["releases"])


def test_it_publishes_every_public_contract_and_nothing_of_the_others(package):
    public = [c for c in contracts() if c.is_public]
    hidden = [c for c in contracts() if not c.is_public]
    assert len(public) == len(package["releases"]) >= 30 and hidden
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-rdctrk-{c.id}" for c in public]
    dump = json.dumps(package)
    for contract in hidden:
        assert contract.reference not in dump and json.dumps(contract.title) not in dump


def test_it_maps_every_demo_status_and_ids_are_unique(package):
    expected = {"draft": "pending", "active": "active", "completed": "terminated", "terminated": "terminated"}
    seen = set()
    for contract in (c for c in contracts() if c.is_public):
        release = release_of(package, contract)
        assert release["contracts"][0]["status"] == expected[contract.status]
        assert ("contractTermination" in release["tag"]) == (contract.status in ("completed", "terminated"))
        seen.add(contract.status)
    assert seen >= {"draft", "active", "completed"}  # the demo's terminated contract is not public
    ids = [r["id"] for r in package["releases"]]
    assert len(set(ids)) == len(ids)


def test_it_publishes_baselines_targets_and_readings_as_observations(package):
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    placements, housed, days = db.session.scalars(
        select(Metric).where(Metric.contract_id == contract.id).order_by(Metric.position)
    ).all()[:3]
    release = release_of(package, contract)
    block = release["contracts"][0]
    agreed = {m["id"]: m for m in block["agreedMetrics"]}
    observed = {m["id"]: m for m in block["implementation"]["metrics"]}

    baseline, target = agreed[str(placements.id)]["observations"]
    assert baseline["dimensions"] == {"observationType": "baseline"} and baseline["measure"] == 18
    assert target["dimensions"] == {"observationType": "target"} and target["measure"] == 30
    assert target["period"]["endDate"] == "2027-06-30T23:59:59-05:00"
    assert baseline["unit"] == {"scheme": "UNCEFACT", "id": "C62", "name": "count"}
    assert agreed[str(housed.id)]["observations"][0]["unit"]["id"] == "P1"
    assert agreed[str(days.id)]["observations"][0]["unit"]["id"] == "DAY"

    august = {o["id"]: o for o in observed[str(placements.id)]["observations"]}[f"{placements.id}-2025-08-01"]
    assert august["measure"] == 21
    assert august["period"] == {"startDate": "2025-08-01T00:00:00-05:00", "endDate": "2025-08-31T23:59:59-05:00"}
    assert "dimensions" not in august
    assert len(observed[str(placements.id)]["observations"]) == len(placements.readings)
    # No payment statement of the demo city is approved yet (the sweep drafts them), and payments
    # made are not transactions: no payer or payee.
    assert {p["id"]: p["roles"] for p in release["parties"]} == {
        f"dept-{contract.department_id}": ["buyer"], f"vendor-{contract.vendor_id}": ["supplier"],
    }
    assert release["planning"]["rationale"].startswith("Problem: People living outside")
    assert "Performance-based" in block["description"] and "10% of each quarterly payment" in block["description"]


def test_it_puts_milestones_under_implementation_with_codelist_statuses(package):
    milestones = [m for r in package["releases"] for m in r["contracts"][0].get("implementation", {}).get("milestones", [])]
    assert len(milestones) >= 30
    assert {m["status"] for m in milestones} <= {"scheduled", "met", "notMet", "partiallyMet"}
    assert all("dateMet" in m for m in milestones if m["status"] == "met")


def test_it_gives_the_same_package_for_unchanged_data(demo_app, package):
    assert release_package(now=NOW + timedelta(days=30)) == package


def test_it_merges_with_the_reference_implementation(package):
    compiled = compile_releases(package["releases"] * 2)
    assert len(compiled) == len(package["releases"])
    for release in package["releases"]:
        merged = compiled[release["ocid"]]["contracts"][0]
        assert merged["agreedMetrics"] == release["contracts"][0]["agreedMetrics"]


def test_each_demo_release_compiles_as_ocdsmerge_compiles_it(package):
    # The record package's fast compile of a one-release process (ocds.records.compiled_release)
    # against the reference implementation, key order included (the published text).
    from contracts_app.ocds.records import _merger, compiled_release

    for release in package["releases"]:
        ours = json.dumps(compiled_release(release))
        assert ours == json.dumps(_merger().create_compiled_release([release])), release["ocid"]
