"""Pushing the publication to CKAN and Socrata, against the stand-in portals of
tests/portal_standin.py (a real HTTP server on 127.0.0.1): the first push creates and uploads
everything, an unchanged publication sends nothing, a change sends only the files it changed, a
portal that fails or refuses is reported and retried while the other still gets its push, and
half-configured settings refuse the app's start."""
import csv
import io
import socket
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db
from contracts_app.metrics import services as metric_services
from contracts_app.operations.models import JobHeartbeat
from contracts_app.publish import push
from contracts_app.publish.catalog import KEYWORDS
from contracts_app.publish.models import PortalPush
from contracts_app.publish.push import check_settings, push_published
from contracts_app.publish.run import DATASETS, publish_open_data
from scheduler.jobs import publish_job
from tests.conftest import demo_city
from tests.demo.conftest import NOW
from tests.operations.test_page import page_text

CKAN_FILES = {f"rdc-{key}/{name}" for key, _, _, names in DATASETS for name in names}
CKAN_DATASETS = {f"rdc-{key}" for key, *_ in DATASETS}
SOCRATA_ITEMS = {"abcd-1234/contracts.csv", "wxyz-5678/readings.csv"}


def csv_table(data):
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return header, rows


def publish_and_push(now=NOW):
    result = publish_open_data(now=now)
    return result, push_published(result.folder, now)


def outcome_of(outcome, portal):
    return next(p for p in outcome.portals if p.portal == portal)


@pytest.fixture
def small_city(factory):
    contract = factory.make_contract(reference="HS-1")
    metric = factory.make_metric(contract, name="Placements")
    for month in (8, 9):
        factory.make_reading(metric, date(2025, month, 1), 20 + month)
    return metric


def test_the_first_push_creates_every_dataset_and_uploads_every_file(app, portals, publish_folder):
    demo_city(NOW)
    _, outcome = publish_and_push()

    ckan, socrata = outcome_of(outcome, "CKAN"), outcome_of(outcome, "Socrata")
    assert not outcome.failed
    assert set(ckan.pushed) == CKAN_DATASETS | CKAN_FILES and ckan.unchanged == []
    assert set(socrata.pushed) == SOCRATA_ITEMS

    assert set(portals.packages) == CKAN_DATASETS
    package = portals.packages["rdc-readings"]
    assert package["title"] == "Demo City: results of strategic contracts"
    assert package["notes"].startswith("Each key metric's reading per reporting period")
    assert package["license_id"] == "cc-zero"
    assert (package["maintainer"], package["maintainer_email"]) == ("Demo City open data", "opendata@demo.city")
    assert sorted(tag["name"] for tag in package["tags"]) == sorted(KEYWORDS)
    assert package["url"] == "http://127.0.0.1:5000/public/data"
    assert {c.json["owner_org"] for c in portals.ckan_calls("package_create")} == {"city-of-demo"}
    for key, _, _, names in DATASETS:
        package = portals.packages[f"rdc-{key}"]
        assert [r["name"] for r in package["resources"]] == list(names)
        for name in names:
            assert portals.uploaded(f"rdc-{key}", name) == (publish_folder / name).read_bytes()
    upload = portals.ckan_calls("resource_create")[0]
    assert upload.headers["Authorization"] == "ckan-key" and upload.files["upload"][0] == "release-package.json"
    assert upload.headers["Content-Type"].startswith("multipart/form-data")

    for dataset, name in (("abcd-1234", "contracts.csv"), ("wxyz-5678", "readings.csv")):
        header, rows = csv_table((publish_folder / name).read_bytes())
        assert portals.datasets[dataset]["header"] == header
        assert portals.rows(dataset) == rows
    readings = [c for c in portals.socrata_calls() if c.path == "/resource/wxyz-5678.json"]
    # 40 rows a request: the first replaces the dataset's rows, the others add to them.
    assert len(portals.rows("wxyz-5678")) > 100 and len(readings) == -(-len(portals.rows("wxyz-5678")) // 40)
    assert [c.method for c in readings] == ["PUT"] + ["POST"] * (len(readings) - 1)
    assert all(c.headers["X-App-Token"] == "app-token" and c.headers["Authorization"].startswith("Basic ")
               for c in portals.socrata_calls())

    rows = db.session.scalars(select(PortalPush)).all()
    assert len(rows) == len(CKAN_DATASETS) + len(CKAN_FILES) + len(SOCRATA_ITEMS)
    assert all(row.sha256 and row.pushed_at == NOW and row.error is None for row in rows)


def test_a_second_run_with_nothing_changed_calls_no_portal(app, portals, small_city):
    publish_and_push()
    calls = len(portals.calls)
    result, outcome = publish_and_push(NOW + timedelta(days=1))
    assert result.written == []
    assert [(p.pushed, p.failed) for p in outcome.portals] == [([], {}), ([], {})]
    assert set(outcome_of(outcome, "CKAN").unchanged) == CKAN_DATASETS | CKAN_FILES
    assert len(portals.calls) == calls


def test_a_new_reading_sends_only_the_files_it_changed(app, portals, publish_folder, factory):
    contract = factory.make_contract(reference="HS-1")
    metric = factory.make_metric(contract, name="Placements")
    officer = factory.make_user("procurement_officer")
    metric_services.record_reading(metric, officer, date(2025, 8, 1), "30", now=NOW)
    publish_and_push()
    portals.calls.clear()
    metric_services.record_reading(metric, officer, date(2025, 9, 1), "31", now=NOW)

    result, outcome = publish_and_push(NOW + timedelta(days=1))

    changed = set(result.written) - {"data.json"}
    assert "readings.csv" in changed and "contracts.csv" not in changed  # the health stays the same
    uploads = portals.ckan_calls("resource_create", "resource_patch")
    assert {c.files["upload"][0] for c in uploads} == changed
    assert {c.action for c in uploads} == {"resource_patch"}  # the resources already exist
    assert portals.ckan_calls("package_create", "package_patch") == []
    for name in changed:
        key = next(key for key, _, _, names in DATASETS if name in names)
        assert portals.uploaded(f"rdc-{key}", name) == (publish_folder / name).read_bytes()
    assert {c.path for c in portals.socrata_calls()} == {"/resource/wxyz-5678.json"}
    assert portals.rows("wxyz-5678")[-1][5:8] == ["2025-09-01", "2025-09-30", "31"]
    assert outcome_of(outcome, "Socrata").unchanged == ["abcd-1234/contracts.csv"]


@pytest.mark.parametrize("status", [500, 403])
def test_a_failing_ckan_is_reported_and_retried_while_socrata_gets_its_push(app, portals, small_city, status):
    portals.fail["ckan"] = status
    _, outcome = publish_and_push()

    ckan = outcome_of(outcome, "CKAN")
    assert outcome.failed and ckan.pushed == []
    assert set(ckan.failed) == CKAN_DATASETS | CKAN_FILES
    message = next(iter(ckan.failed.values()))
    assert f"HTTP {status}" in message and portals.url in message
    # One refused call, not one per file: the portal as a whole is down or refuses.
    assert len(portals.ckan_calls()) == 1
    assert set(outcome_of(outcome, "Socrata").pushed) == SOCRATA_ITEMS
    failed = db.session.scalars(select(PortalPush).where(PortalPush.portal == "ckan")).all()
    assert failed and all(row.sha256 is None and f"HTTP {status}" in row.error for row in failed)

    del portals.fail["ckan"]
    _, retry = publish_and_push(NOW + timedelta(hours=1))
    assert set(outcome_of(retry, "CKAN").pushed) == CKAN_DATASETS | CKAN_FILES
    assert outcome_of(retry, "Socrata").pushed == [] and not retry.failed
    assert db.session.scalars(select(PortalPush).where(PortalPush.error.is_not(None))).all() == []


@pytest.mark.parametrize("status", [500, 403])
def test_a_failing_socrata_is_reported_and_retried_while_ckan_gets_its_push(app, portals, publish_folder, small_city,
                                                                           status):
    portals.fail["socrata"] = status
    _, outcome = publish_and_push()
    socrata = outcome_of(outcome, "Socrata")
    assert socrata.pushed == [] and set(socrata.failed) == SOCRATA_ITEMS
    assert all(f"HTTP {status}" in message for message in socrata.failed.values())
    assert set(outcome_of(outcome, "CKAN").pushed) == CKAN_DATASETS | CKAN_FILES

    del portals.fail["socrata"]
    _, retry = publish_and_push(NOW + timedelta(hours=1))
    assert set(outcome_of(retry, "Socrata").pushed) == SOCRATA_ITEMS
    assert outcome_of(retry, "CKAN").pushed == []
    assert portals.rows("wxyz-5678") == csv_table((publish_folder / "readings.csv").read_bytes())[1]


def test_a_socrata_push_that_fails_half_way_starts_again_with_a_replace(app, portals, publish_folder):
    demo_city(NOW)
    app.config["SOCRATA_DATASETS"] = "readings.csv=wxyz-5678"
    portals.fail_after["socrata"] = (3, 503)  # the replace and two upserts, then down
    _, outcome = publish_and_push()
    assert "HTTP 503" in outcome_of(outcome, "Socrata").failed["wxyz-5678/readings.csv"]
    header, rows = csv_table((publish_folder / "readings.csv").read_bytes())
    assert len(portals.rows("wxyz-5678")) == 3 * 40 < len(rows)  # part of the rows, until the next run

    del portals.fail_after["socrata"], portals.fail["socrata"]
    portals.calls.clear()
    _, retry = publish_and_push(NOW + timedelta(hours=1))
    assert outcome_of(retry, "Socrata").pushed == ["wxyz-5678/readings.csv"]
    assert portals.socrata_calls()[0].method == "PUT"
    assert portals.rows("wxyz-5678") == rows  # each row once


def test_a_wrong_ckan_api_key_is_refused_clearly(app, portals, small_city):
    app.config["CKAN_API_KEY"] = "not-the-key"
    _, outcome = publish_and_push()
    ckan = outcome_of(outcome, "CKAN")
    message = next(iter(ckan.failed.values()))
    assert "the API key (CKAN_API_KEY) is not accepted" in message and "Access denied" in message
    assert len(portals.ckan_calls()) == 1 and portals.packages == {}
    assert set(outcome_of(outcome, "Socrata").pushed) == SOCRATA_ITEMS


def test_a_wrong_socrata_password_is_refused_clearly(app, portals, small_city):
    app.config["SOCRATA_PASSWORD"] = "wrong"
    _, outcome = publish_and_push()
    socrata = outcome_of(outcome, "Socrata")
    assert set(socrata.failed) == SOCRATA_ITEMS
    message = socrata.failed["abcd-1234/contracts.csv"]
    assert "HTTP 401" in message and "SOCRATA_USERNAME, SOCRATA_PASSWORD" in message
    assert len(portals.socrata_calls()) == 1  # a refused login stops the push to that portal
    assert not outcome_of(outcome, "CKAN").failed


def test_a_dataset_socrata_does_not_have_fails_alone(app, portals, small_city):
    app.config["SOCRATA_DATASETS"] = "contracts.csv=zzzz-0000,readings.csv=wxyz-5678"
    _, outcome = publish_and_push()
    socrata = outcome_of(outcome, "Socrata")
    assert "has no dataset zzzz-0000" in socrata.failed["zzzz-0000/contracts.csv"]
    assert socrata.pushed == ["wxyz-5678/readings.csv"]


def test_an_unreachable_portal_is_reported(app, portals, small_city):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app.config["CKAN_URL"] = closed
    _, outcome = publish_and_push()
    assert all(m.startswith(f"could not reach CKAN at {closed}") for m in outcome_of(outcome, "CKAN").failed.values())
    assert set(outcome_of(outcome, "Socrata").pushed) == SOCRATA_ITEMS


def test_datasets_already_on_the_portal_are_updated_not_created_again(app, portals, small_city):
    publish_and_push()
    db.session.execute(PortalPush.__table__.delete())  # say the state was lost
    db.session.commit()
    portals.calls.clear()
    publish_and_push()
    assert portals.ckan_calls("package_create", "resource_create", "package_patch") == []
    assert {c.files["upload"][0] for c in portals.ckan_calls("resource_patch")} == {f.split("/")[1] for f in CKAN_FILES}
    assert all(len(p["resources"]) == len(names) for p, (_, _, _, names) in zip(portals.packages.values(), DATASETS))


def test_changed_metadata_patches_the_datasets_and_uploads_nothing(app, portals, small_city):
    publish_and_push()
    portals.calls.clear()
    app.config["OPEN_DATA_CONTACT_NAME"] = "Open Data Team"
    _, outcome = publish_and_push()
    assert {c.json["id"] for c in portals.ckan_calls("package_patch")} == {p["id"] for p in portals.packages.values()}
    assert portals.ckan_calls("resource_create", "resource_patch") == []
    assert {p["maintainer"] for p in portals.packages.values()} == {"Open Data Team"}
    assert set(outcome_of(outcome, "CKAN").pushed) == CKAN_DATASETS


def test_the_job_pushes_after_publishing_and_its_heartbeat_says_what_failed(app, portals, small_city):
    portals.fail["socrata"] = 500
    summary = publish_job(app, now=NOW)
    assert summary["written"] and set(summary["push"]["CKAN"]["pushed"]) == CKAN_DATASETS | CKAN_FILES
    assert set(summary["push"]["Socrata"]["failed"]) == SOCRATA_ITEMS
    beats = {beat.job: beat for beat in db.session.scalars(select(JobHeartbeat))}
    assert beats["publish"].last_error is None and beats["publish"].last_success_at
    assert beats["push"].last_error.startswith("PushFailed: Socrata: pushed nothing")
    assert "HTTP 500" in beats["push"].last_error and beats["push"].last_success_at is None

    del portals.fail["socrata"]
    summary = publish_job(app, now=NOW + timedelta(days=1))
    assert set(summary["push"]["Socrata"]["pushed"]) == SOCRATA_ITEMS
    db.session.expire_all()
    assert db.session.get(JobHeartbeat, "push").last_error is None


def test_the_job_does_not_push_without_portals(app, publish_folder, small_city):
    summary = publish_job(app, now=NOW)
    assert "push" not in summary and db.session.get(JobHeartbeat, "push") is None


def test_the_operations_page_lists_each_push_and_its_error(app, portals, small_city, client_as):
    portals.fail["socrata"] = 403
    publish_and_push()
    text = page_text(client_as("admin").get("/admin/operations"))
    assert "Open-data portals" in text and "Failing 2 items not pushed on the last attempt" in text
    assert "Socrata" in text and "wxyz-5678" in text and "readings.csv" in text and "HTTP 403" in text
    assert "rdc-readings" in text and "metadata" in text


def test_the_command_pushes_unless_told_not_to(app, portals, runner, small_city):
    result = runner.invoke(args=["publish", "--no-push"])
    assert result.exit_code == 0, result.output
    assert portals.calls == [] and "CKAN" not in result.output
    result = runner.invoke(args=["publish"])
    assert result.exit_code == 0, result.output
    assert "CKAN: pushed rdc-ocds, rdc-ocds/release-package.json" in result.output
    assert "Socrata: pushed abcd-1234/contracts.csv, wxyz-5678/readings.csv, 0 unchanged." in result.output


def test_the_command_fails_when_a_portal_did_not_take_its_push(app, portals, runner, small_city):
    app.config["CKAN_API_KEY"] = "wrong"
    result = runner.invoke(args=["publish"])
    assert result.exit_code == 1
    assert "Published into" in result.output and "CKAN_API_KEY" in result.output
    assert "Some files were not pushed to the portals" in result.output


# --- settings -----------------------------------------------------------------------------------

CKAN = {"CKAN_URL": "https://data.city.gov", "CKAN_API_KEY": "k", "CKAN_OWNER_ORG": "city",
        "OCDS_LICENSE": TestingConfig.OCDS_LICENSE}
SOCRATA = {"SOCRATA_DOMAIN": "data.city.gov", "SOCRATA_APP_TOKEN": "t", "SOCRATA_USERNAME": "u",
           "SOCRATA_PASSWORD": "p", "SOCRATA_DATASETS": "contracts.csv=abcd-1234, readings.csv=wxyz-5678"}


@pytest.mark.parametrize("settings", [
    {}, CKAN, SOCRATA, CKAN | SOCRATA, CKAN | {"CKAN_URL": "http://127.0.0.1:8080", "CKAN_DATASET_PREFIX": "springfield_"},
    SOCRATA | {"SOCRATA_DOMAIN": "https://data.city.gov/"}, SOCRATA | {"SOCRATA_DOMAIN": "http://localhost:9000"},
    CKAN | {"OCDS_LICENSE": "https://example.org/our-licence", "CKAN_LICENSE_ID": "other-open"},
])
def test_it_accepts_portals_configured_whole(settings):
    check_settings(settings)


@pytest.mark.parametrize("settings, message", [
    ({"CKAN_URL": "https://data.city.gov"}, "CKAN_URL is set but CKAN_API_KEY and CKAN_OWNER_ORG not"),
    ({"CKAN_API_KEY": "k", "CKAN_OWNER_ORG": "city"}, "CKAN_API_KEY, CKAN_OWNER_ORG are set but CKAN_URL not"),
    (CKAN | {"CKAN_URL": "http://data.city.gov"}, "CKAN_URL must use https://"),
    (CKAN | {"CKAN_URL": "data.city.gov"}, "CKAN_URL must be the portal's https:// address"),
    (CKAN | {"CKAN_DATASET_PREFIX": "City Data "}, "CKAN_DATASET_PREFIX must be lower-case letters"),
    (CKAN | {"CKAN_DATASET_PREFIX": "x" * 95}, "CKAN_DATASET_PREFIX"),
    (CKAN | {"OCDS_LICENSE": "https://example.org/our-licence"}, "CKAN_LICENSE_ID must be set"),
    ({"SOCRATA_DOMAIN": "data.city.gov"}, "SOCRATA_DOMAIN is set but SOCRATA_APP_TOKEN and SOCRATA_USERNAME and "
                                          "SOCRATA_PASSWORD and SOCRATA_DATASETS not"),
    (SOCRATA | {"SOCRATA_PASSWORD": ""}, "but SOCRATA_PASSWORD not"),
    (SOCRATA | {"SOCRATA_DOMAIN": "http://data.city.gov"}, "SOCRATA_DOMAIN must use https://"),
    (SOCRATA | {"SOCRATA_DOMAIN": "data.city.gov/resource"}, "without a path"),
    (SOCRATA | {"SOCRATA_DATASETS": "contracts.csv"}, "'contracts.csv' is not file=dataset-id"),
    (SOCRATA | {"SOCRATA_DATASETS": "contracts.csv=ABCD-1234"}, "'ABCD-1234' (for contracts.csv) is not a Socrata dataset id"),
    (SOCRATA | {"SOCRATA_DATASETS": "vendors.csv=abcd-1234"}, "'vendors.csv' is not a published CSV file; use one of "
                                                             "contracts.csv, metrics.csv, readings.csv"),
    (SOCRATA | {"SOCRATA_DATASETS": "data.json=abcd-1234"}, "'data.json' is not a published CSV file"),
    (SOCRATA | {"SOCRATA_DATASETS": "contracts.csv=abcd-1234,contracts.csv=wxyz-5678"}, "contracts.csv is named twice"),
    (SOCRATA | {"SOCRATA_DATASETS": "contracts.csv=abcd-1234,readings.csv=abcd-1234"}, "named for two files"),
    (SOCRATA | {"SOCRATA_DATASETS": " , "}, "names no file=dataset-id pair"),
    (SOCRATA | {"SOCRATA_BATCH_ROWS": 0}, "SOCRATA_BATCH_ROWS must be a whole number of at least 1"),
])
def test_it_refuses_a_portal_half_configured(settings, message):
    with pytest.raises(RuntimeError) as refused:
        check_settings(settings)
    assert message in str(refused.value)


def test_the_app_does_not_start_with_a_portal_half_configured():
    settings = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    with pytest.raises(RuntimeError, match="SOCRATA_DATASETS: 'vendors.csv' is not a published CSV file"):
        create_app(settings | SOCRATA | {"SOCRATA_DATASETS": "vendors.csv=abcd-1234"})
    assert push.portals_configured(create_app(settings | CKAN).config)
