"""``flask --app contracts_app export ocds [-o FILE]``."""
import json
import os

from contracts_app.publish import files as published_files
from contracts_app.ocds.export import release_package
from tests.ocds.conftest import schema_errors


def public_contract(factory):
    contract = factory.make_contract()
    factory.make_metric(contract)
    return contract


def test_it_prints_the_package_to_stdout(runner, factory):
    public_contract(factory)
    result = runner.invoke(args=["export", "ocds"])
    assert result.exit_code == 0, result.output
    package = json.loads(result.stdout)
    assert schema_errors(package) == []
    assert package == json.loads(json.dumps(release_package()))


def out_folder(tmp_path):
    """A folder of its own (tmp_path also holds the test's SQLite database)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_it_writes_the_file_given_with_o_replacing_an_earlier_export(runner, factory, tmp_path):
    public_contract(factory)
    folder = out_folder(tmp_path)
    path = folder / "ocds.json"
    path.write_text("an earlier export", encoding="utf-8")
    path.chmod(0o644)
    result = runner.invoke(args=["export", "ocds", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Wrote 1 release to" in result.stderr
    assert len(json.loads(path.read_text(encoding="utf-8"))["releases"]) == 1
    assert os.listdir(folder) == ["ocds.json"]
    assert path.stat().st_mode & 0o777 == 0o644  # the earlier file's mode, not mkstemp's 0600


def test_a_failed_write_leaves_the_earlier_file_whole_and_no_temporary_file(runner, factory, tmp_path, monkeypatch):
    public_contract(factory)
    folder = out_folder(tmp_path)
    path = folder / "ocds.json"
    path.write_text("an earlier export", encoding="utf-8")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(published_files.os, "fsync", disk_full)
    result = runner.invoke(args=["export", "ocds", "-o", str(path)])
    assert result.exit_code == 1
    assert "Could not write" in result.output and "No space left on device" in result.output
    assert path.read_text(encoding="utf-8") == "an earlier export"
    assert os.listdir(folder) == ["ocds.json"]


def test_it_refuses_a_folder_that_does_not_exist(runner, factory, tmp_path):
    public_contract(factory)
    result = runner.invoke(args=["export", "ocds", "-o", str(tmp_path / "missing" / "ocds.json")])
    assert result.exit_code == 1
    assert "Could not write" in result.output


def test_it_warns_when_no_contract_is_public(runner, factory):
    factory.make_contract(is_public=False)
    result = runner.invoke(args=["export", "ocds"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["releases"] == []
    assert "No contract is public" in result.stderr
