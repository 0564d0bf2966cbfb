"""The nightly publication: every file written, valid and free of internal detail; a second run
changes nothing; a failed write keeps the earlier file; the job and the command."""
import csv
import io
import json
import os
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.metrics import services as metric_services
from contracts_app.metrics.models import Metric, Reading
from contracts_app.publish.catalog import CatalogError
from contracts_app.publish.files import write_if_changed
from contracts_app.publish.run import FILES, publish_open_data
from scheduler.jobs import job_definitions, publish_job
from tests.conftest import demo_city
from tests.demo.conftest import NOW
from tests.ocds.conftest import compile_releases, schema_errors
from tests.publish.conftest import dcat_errors

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def read(folder, name):
    return (folder / name).read_text(encoding="utf-8-sig")


def csv_rows(folder, name):
    return list(csv.DictReader(io.StringIO(read(folder, name))))


def published_contracts():
    return db.session.scalars(
        select(Contract).where(Contract.is_public.is_(True), Contract.archived_at.is_(None)).order_by(Contract.id)
    ).all()


def test_it_publishes_every_file_valid_and_without_internal_detail(app, publish_folder):
    demo_city(NOW)
    result = publish_open_data(now=NOW)
    assert sorted(result.written) == sorted(FILES) and result.unchanged == []

    package = json.loads(read(publish_folder, "release-package.json"))
    assert schema_errors(package) == []
    assert package["uri"] == "http://127.0.0.1:5000/public/data/release-package.json"

    records = json.loads(read(publish_folder, "record-package.json"))
    assert records["uri"].endswith("/public/data/record-package.json") and records["packages"] == [package["uri"]]
    compiled = compile_releases(package["releases"])
    assert [r["ocid"] for r in records["records"]] == [r["ocid"] for r in package["releases"]]
    for record in records["records"]:
        assert record["compiledRelease"] == compiled[record["ocid"]]
        assert record["compiledRelease"]["tag"] == ["compiled"]
        (linked,) = record["releases"]
        assert linked["url"].startswith(package["uri"] + "#" + record["ocid"] + "-")

    public = published_contracts()
    contracts = csv_rows(publish_folder, "contracts.csv")
    assert [row["reference"] for row in contracts] == [c.reference for c in public]
    hidden = db.session.scalars(select(Contract.reference).where(
        (Contract.is_public.is_(False)) | (Contract.archived_at.is_not(None)))).all()
    assert hidden, "the demo city has non-public or archived contracts"
    ids = [c.id for c in public]
    metrics = csv_rows(publish_folder, "metrics.csv")
    assert len(metrics) == len(db.session.scalars(select(Metric.id).where(Metric.contract_id.in_(ids))).all())
    readings = csv_rows(publish_folder, "readings.csv")
    expected = db.session.scalars(select(Reading.id).join(Metric).where(Metric.contract_id.in_(ids))).all()
    assert len(readings) == len(expected) > 100
    assert {row["status"] for row in readings} <= {"on_track", "at_risk", "off_track", "no_data", "overdue"}

    staff = db.session.scalars(select(User.name)).all()
    notes = [n for n in db.session.scalars(select(Reading.note)).all() if n and len(n) > 12]
    for name in FILES:
        text = read(publish_folder, name)
        for reference in hidden:
            assert f",{reference}," not in text and f'"{reference}"' not in text, (name, reference)
        assert not [person for person in staff if person in text], name
        assert not [note for note in notes if note in text], name
        if name != "data.json":  # the catalogue names the open-data mailbox, on purpose
            assert not EMAIL.findall(text), (name, EMAIL.findall(text)[:3])

    catalogue = json.loads(read(publish_folder, "data.json"))
    assert dcat_errors(catalogue) == []
    urls = {d["downloadURL"] for dataset in catalogue["dataset"] for d in dataset["distribution"]}
    assert urls == {f"http://127.0.0.1:5000/public/data/{name}" for name in FILES if name != "data.json"}
    assert {dataset["modified"] for dataset in catalogue["dataset"]} == {package["publishedDate"][:10]}


def test_a_run_that_changes_nothing_changes_no_file(app, publish_folder):
    demo_city(NOW)
    publish_open_data(now=NOW)
    before = {name: os.stat(publish_folder / name) for name in FILES}
    result = publish_open_data(now=NOW + timedelta(hours=24))
    assert result.written == [] and sorted(result.unchanged) == sorted(FILES)
    after = {name: os.stat(publish_folder / name) for name in FILES}
    assert {n: (s.st_ino, s.st_mtime_ns) for n, s in after.items()} == {n: (s.st_ino, s.st_mtime_ns) for n, s in before.items()}
    assert sorted(os.listdir(publish_folder)) == sorted(FILES)  # no temporary file left behind


def test_a_new_reading_rewrites_the_files_that_hold_it(app, publish_folder, factory):
    contract = factory.make_contract()
    metric = factory.make_metric(contract)
    publish_open_data(now=NOW)
    officer = factory.make_user("procurement_officer")
    metric_services.record_reading(metric, officer, date(2025, 8, 1), "25", now=NOW)
    result = publish_open_data(now=NOW)
    assert {"readings.csv", "release-package.json", "record-package.json"} <= set(result.written)
    assert csv_rows(publish_folder, "metrics.csv")[0]["status"] == metric.status  # re-judged by the reading
    (row,) = csv_rows(publish_folder, "readings.csv")
    assert (row["contract_reference"], row["period_start"], row["value"]) == (contract.reference, "2025-08-01", "25")


def test_with_nothing_public_a_second_run_still_changes_nothing(app, publish_folder, factory):
    factory.make_contract(is_public=False)
    publish_open_data(now=NOW)
    assert json.loads(read(publish_folder, "release-package.json"))["releases"] == []
    result = publish_open_data(now=NOW + timedelta(days=1))
    assert result.written == []
    assert csv_rows(publish_folder, "contracts.csv") == []


def test_a_failed_write_keeps_the_earlier_file_whole(tmp_path):
    path = tmp_path / "readings.csv"
    assert write_if_changed(str(path), ["first,version\n"]) is True

    def broken():
        yield "half of a new"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_if_changed(str(path), broken())
    assert path.read_text() == "first,version\n"
    assert os.listdir(tmp_path) == ["readings.csv"]
    assert write_if_changed(str(path), ["first,", "version\n"]) is False


def test_the_scheduler_publishes_nightly_in_the_city(app, publish_folder, factory):
    factory.make_contract()
    jobs = {job_id: (func, trigger) for job_id, func, trigger in job_definitions(app)}
    func, trigger = jobs["publish"]
    assert func is publish_job
    assert str(trigger.timezone) == app.config["CITY_TIMEZONE"]
    assert "hour='2'" in str(trigger)
    result = publish_job(app, now=NOW)
    assert sorted(result["written"]) == sorted(FILES)
    assert publish_job(app, now=NOW)["written"] == []


def test_the_command_publishes_into_a_folder(app, runner, factory, tmp_path):
    factory.make_contract()
    result = runner.invoke(args=["publish", "--dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "6 written" in result.output
    assert sorted(os.listdir(tmp_path / "out")) == sorted(FILES)
    again = runner.invoke(args=["publish", "--dir", str(tmp_path / "out")])
    assert "0 written (none), 6 unchanged" in again.output


def test_the_command_says_when_the_folder_cannot_be_written(app, runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = runner.invoke(args=["publish", "--dir", str(blocker / "out")])
    assert result.exit_code != 0
    assert "Could not write the open data files" in result.output


@pytest.mark.parametrize("address", ["rdc-tracker@localhost", "", "not an address"])
def test_it_refuses_to_publish_without_a_real_contact_mailbox(app, publish_folder, runner, factory, address):
    factory.make_contract()
    app.config.update(OPEN_DATA_CONTACT_EMAIL=address, MAIL_DEFAULT_SENDER="rdc-tracker@localhost")
    with pytest.raises(CatalogError, match="set OPEN_DATA_CONTACT_EMAIL"):
        publish_open_data(now=NOW)
    assert not publish_folder.exists() or os.listdir(publish_folder) == []
    result = runner.invoke(args=["publish"])
    assert result.exit_code != 0 and "set OPEN_DATA_CONTACT_EMAIL" in result.output


def test_a_metric_switched_off_is_not_published_with_its_readings(app, publish_folder, factory):
    contract = factory.make_contract(reference="HS-9")
    shown = factory.make_metric(contract, name="Placements")
    kept = factory.make_metric(contract, name="Incidents involving staff", is_public=False)
    for metric in (shown, kept):
        factory.make_reading(metric, date(2025, 8, 1), 21)
    publish_open_data(now=NOW)
    assert [row["name"] for row in csv_rows(publish_folder, "metrics.csv")] == ["Placements"]
    assert [row["metric"] for row in csv_rows(publish_folder, "readings.csv")] == ["Placements"]
    for name in ("release-package.json", "record-package.json"):
        assert "Incidents involving staff" not in read(publish_folder, name)
    package = json.loads(read(publish_folder, "release-package.json"))
    (release,) = package["releases"]
    assert [m["title"] for m in release["contracts"][0]["agreedMetrics"]] == ["Placements"]
    assert schema_errors(package) == []


def test_the_catalogue_takes_the_address_out_of_a_sender_with_a_name(app, publish_folder, factory):
    factory.make_contract()
    app.config.update(OPEN_DATA_CONTACT_EMAIL="", MAIL_DEFAULT_SENDER="RDC Tracker <rdc-tracker@springfield.gov>")
    publish_open_data(now=NOW)
    catalogue = json.loads(read(publish_folder, "data.json"))
    assert {d["contactPoint"]["hasEmail"] for d in catalogue["dataset"]} == {"mailto:rdc-tracker@springfield.gov"}
    assert dcat_errors(catalogue) == []
