"""The publication writes the OCDS packages streaming, a batch of contracts at a time: the files
are exactly what the dict-built packages give, the queries grow with the batches and not with
the rows, a change made while the packages are written gets them written again, and the JSON
writer gives json.dumps's text."""
import json
import os
import tempfile
from datetime import date, datetime, timedelta, timezone

import pytest

from contracts_app.extensions import db
from contracts_app.ocds import export
from contracts_app.ocds.export import iter_releases, latest_release_date, release_package
from contracts_app.ocds.records import record_package
from contracts_app.publish import run
from contracts_app.publish.files import JsonList, indented_json, json_chunks, json_text, write_if_changed
from contracts_app.publish.run import PublishConflict, publish_open_data
from tests.ocds.conftest import schema_errors
from tests.ocds.test_export import full_contract
from tests.querycount import count_queries

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def read(folder, name):
    return (folder / name).read_text(encoding="utf-8")


def city(factory, contracts, readings_per_metric=2):
    """``contracts`` public contracts with two metrics and their readings, a non-public one and
    an archived one among them (so that batches' id ranges hold contracts left out)."""
    made = []
    for index in range(contracts):
        contract = full_contract(factory, archived_at=T0 + timedelta(days=2) if index == 2 else None)
        metric = factory.make_metric(contract, name=f"Placements {index}", unit="people", position=1,
                                     created_at=T0 + timedelta(hours=index))
        for month in range(readings_per_metric):
            factory.make_reading(metric, date(2025, 7 + month % 6, 1) if month < 6 else date(2026, month - 5, 1),
                                 10 + month, recorded_at=T0 + timedelta(minutes=month))
        made.append(contract)
        if index == 1:
            full_contract(factory, is_public=False, title="Confidential pilot")
    db.session.commit()
    return made


def test_the_streamed_packages_are_the_dict_built_ones_across_batches(app, publish_folder, factory):
    city(factory, contracts=7)
    app.config["OCDS_BATCH_SIZE"] = 3
    publish_open_data(now=NOW)

    package = release_package(now=NOW)
    assert len(package["releases"]) == 7 and schema_errors(package) == []
    assert json.loads(read(publish_folder, "release-package.json")) == package
    # Byte for byte: the text json_text gives the whole dict.
    assert read(publish_folder, "release-package.json") == json_text(package)
    records = record_package(package, uri="http://127.0.0.1:5000/public/data/record-package.json")
    assert read(publish_folder, "record-package.json") == json_text(records)
    assert package["publishedDate"] == latest_release_date() == max(r["date"] for r in package["releases"])
    assert "Confidential pilot" not in read(publish_folder, "release-package.json")


def test_the_batch_size_does_not_change_the_package(app, factory):
    city(factory, contracts=5)
    whole = release_package(now=NOW)
    for size in (1, 2, 5, 50):
        assert list(iter_releases(batch_size=size)) == whole["releases"], size


def test_queries_grow_with_the_batches_not_with_the_rows(app, factory):
    def queries():
        with count_queries() as counter:
            releases = list(iter_releases(batch_size=2))
        return counter.count, len(releases)

    city(factory, contracts=2)  # one full batch, then an empty one
    one_batch, count = queries()
    assert count == 2
    city(factory, contracts=2)
    two_batches, count = queries()
    assert count == 4
    per_batch = two_batches - one_batch
    # One statement per table read (amendments and payments made are two of them).
    assert 0 < per_batch <= 12
    # Many more readings, the same batches: the same queries.
    city(factory, contracts=1, readings_per_metric=12)
    city(factory, contracts=1, readings_per_metric=12)
    three_batches, count = queries()
    assert count == 6 and three_batches == one_batch + 2 * per_batch


def test_the_whole_publication_s_queries_grow_with_the_batches_not_with_the_rows(app, publish_folder, factory):
    # Every file of the nightly job, not only the releases: the CSVs are one query each, however
    # many rows they hold; the packages a fixed number per batch of contracts.
    app.config["OCDS_BATCH_SIZE"] = 2

    def queries():
        for name in os.listdir(publish_folder) if publish_folder.exists() else []:
            os.unlink(publish_folder / name)
        with count_queries() as counter:
            result = publish_open_data(now=NOW)
        assert len(result.written) == 6
        return counter.count

    city(factory, contracts=2)
    one_batch = queries()
    city(factory, contracts=2)
    two_batches = queries()
    per_batch = two_batches - one_batch
    # (11 since the count metrics' group values are read per batch too: issue 15.)
    assert 0 < per_batch <= 11
    # Six times the readings in two more batches: two batches' worth of queries more, no more.
    city(factory, contracts=2, readings_per_metric=12)
    city(factory, contracts=2, readings_per_metric=12)
    assert queries() == two_batches + 2 * per_batch
    assert len(read(publish_folder, "readings.csv").splitlines()) == 1 + 4 * (1 + 2) + 4 * (1 + 12)


def test_a_change_while_the_packages_are_written_gets_them_written_again(app, publish_folder, factory, monkeypatch):
    city(factory, contracts=3)
    calls = []

    def stale_once():
        # The first time, as if a reading were recorded after the date was read.
        calls.append(1)
        latest = latest_release_date()
        return "2026-01-01T00:00:00Z" if len(calls) == 1 else latest

    monkeypatch.setattr(run, "latest_release_date", stale_once)
    result = publish_open_data(now=NOW)
    assert len(calls) == 2 and "release-package.json" in result.written
    package = release_package(now=NOW)
    assert read(publish_folder, "release-package.json") == json_text(package)
    assert package["publishedDate"] == "2026-01-17T12:00:00Z"  # the archiving, not the stale date
    assert json.loads(read(publish_folder, "data.json"))["dataset"][0]["modified"] == "2026-01-17"


def test_data_that_keeps_changing_keeps_the_earlier_packages(app, publish_folder, factory, monkeypatch):
    city(factory, contracts=2)
    publish_open_data(now=NOW)
    before = {name: os.stat(publish_folder / name).st_mtime_ns for name in os.listdir(publish_folder)}
    monkeypatch.setattr(run, "latest_release_date", lambda: "2026-01-01T00:00:00Z")
    with pytest.raises(PublishConflict, match="changed during each of 3 attempts"):
        publish_open_data(now=NOW)
    assert {name: os.stat(publish_folder / name).st_mtime_ns for name in os.listdir(publish_folder)} == before


def test_with_nothing_public_the_package_carries_the_run_date_then_keeps_it(app, publish_folder, factory):
    factory.make_contract(is_public=False)
    assert latest_release_date() is None
    publish_open_data(now=NOW)
    assert json.loads(read(publish_folder, "release-package.json"))["publishedDate"] == "2026-03-02T15:00:00Z"
    assert publish_open_data(now=NOW + timedelta(days=1)).written == []


ODD = {
    "text": "é, \u2028, \"quoted\"\n\ttab", "numbers": [0, -3, 1.5, 1e-07, 12345678901234567890, float("nan")],
    "flags": [True, False, None], "empty": {"dict": {}, "list": [], "tuple": ()}, "pair": (1, "two"),
    "keys": {1: "int key", 2.5: "float key", None: "null key"}, "nested": [[[]], [{}], [{"a": [{"b": None}]}]],
}


@pytest.mark.parametrize("value", [ODD, [], {}, "", 0, None, [ODD, ODD], {"a": ODD}])
def test_the_json_writer_gives_json_dumps_text(value):
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
    head = {"uri": "https://example.test/p.json", "more": ODD}
    items = [value, ODD] if value != [] else []
    assert "".join(json_chunks(head, "items", iter(items))) == json_text({**head, "items": items})


def test_the_json_list_refuses_a_key_already_in_the_head():
    with pytest.raises(ValueError):
        JsonList({"releases": []}, "releases")


def test_a_file_of_the_same_size_with_other_bytes_is_replaced(tmp_path):
    path = tmp_path / "readings.csv"
    assert write_if_changed(str(path), ["a,b\n", "1,2\n"]) is True
    assert write_if_changed(str(path), ["a,b\n1,2\n"]) is False
    assert write_if_changed(str(path), [b"a,b\n", "1,3\n"]) is True
    assert path.read_text() == "a,b\n1,3\n" and os.listdir(tmp_path) == ["readings.csv"]


def test_export_keeps_one_package_for_both_readers(app, factory):
    # The JSON API's dict and the streamed head agree on everything but the releases.
    city(factory, contracts=1)
    package = release_package(now=NOW)
    assert export.package_head(package["publishedDate"]) == {k: v for k, v in package.items() if k != "releases"}


@pytest.mark.parametrize("old, new", [
    ("a,b\n1,2\n", "a,b\n1,2\n3,4\n"),  # the old file is the new one's beginning
    ("a,b\n1,2\n3,4\n", "a,b\n1,2\n"),  # the new one is the old one's beginning
    ("x" * 300_000 + "old", "x" * 300_000 + "new"),  # the same for several blocks, then not
    ("", "a"), ("a", ""),
])
def test_the_file_is_replaced_from_the_first_difference(tmp_path, old, new):
    path = tmp_path / "readings.csv"
    path.write_text(old)
    assert write_if_changed(str(path), [new[i:i + 70_000] for i in range(0, len(new), 70_000)] or [""]) is True
    assert path.read_text() == new and os.listdir(tmp_path) == ["readings.csv"]


def test_an_unchanged_file_is_compared_not_written(tmp_path, monkeypatch):
    path = tmp_path / "readings.csv"
    text = "row\n" * 100_000
    assert write_if_changed(str(path), [text]) is True
    made = []
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: made.append(1) or real(*a, **k))
    before = os.stat(path).st_mtime_ns
    assert write_if_changed(str(path), [text[:1000], text[1000:]]) is False
    assert made == [] and os.stat(path).st_mtime_ns == before


def test_a_failure_after_the_first_difference_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text("a,b\n" + "1,2\n" * 50_000)

    def chunks():
        yield "a,b\n" + "1,2\n" * 40_000
        yield "9,9\n"  # differs: the temporary file starts here
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        write_if_changed(str(path), chunks())
    assert path.read_text() == "a,b\n" + "1,2\n" * 50_000 and os.listdir(tmp_path) == ["readings.csv"]
