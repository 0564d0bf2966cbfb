"""What a file is, from its bytes alone (contracts_app/attachments/sniff.py)."""
import pytest

from contracts_app.attachments import sniff
from tests.attachments import files


def detect(tmp_path, data):
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    return sniff.detect(str(path))


@pytest.mark.parametrize("name", sorted(files.ACCEPTED))
def test_it_recognises_every_accepted_kind(tmp_path, name):
    data, content_type = files.ACCEPTED[name]
    assert detect(tmp_path, data).content_type == content_type


def test_it_recognises_a_workbook_that_openpyxl_wrote(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(["Placements", 42])
    path = tmp_path / "real.xlsx"
    workbook.save(path)
    assert detect(tmp_path, path.read_bytes()) is sniff.XLSX


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_it_reads_csv_in_each_encoding_people_save_it_in(tmp_path, encoding):
    assert detect(tmp_path, files.csv_text(encoding)) is sniff.CSV


def test_it_reads_semicolon_separated_csv(tmp_path):
    assert detect(tmp_path, b"metric;value\nPlacements;42\n") is sniff.CSV


@pytest.mark.parametrize("data, message", [
    (files.executable(), "This is a program or a script"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "This is a program or a script"),
    (b"#!/bin/sh\nrm -rf /\n", "This is a program or a script"),
    (files.html(), "This is a web page or other markup"),
    (b"  <svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "This is a web page or other markup"),
    (b"name,value\nx,<script>alert(1)</script>\n", "This is a web page or other markup"),
    (files.legacy_xls(), "older Word or Excel file (.doc or .xls)"),
    (files.plain_zip(), "This is a zip file"),
    (files.xlsm(), "contains macros"),
    (files.pptx(), "neither an Excel workbook nor a Word document"),
    (b"PK\x03\x04not really a zip", "cannot be read"),
    (b"metric,value\x00\x00\n", "not one of the accepted kinds"),
    (bytes(range(256)) * 4, "not one of the accepted kinds"),
    ("metric,value\r\n".encode("utf-16"), "not one of the accepted kinds"),
    (b'metric,value\n"an unclosed quote,1\n', "cannot be read as CSV"),
    (b"   \r\n\r\n", "The file is empty."),
])
def test_it_refuses_everything_else_and_says_what_is_accepted(tmp_path, data, message):
    with pytest.raises(sniff.RefusedFile) as refused:
        detect(tmp_path, data)
    assert message in str(refused.value)
    if message != "The file is empty.":
        assert "Attach a PDF, Excel (.xlsx), CSV, Word (.docx), PNG or JPEG file." in str(refused.value)


@pytest.mark.parametrize("name, kind, shown", [
    ("report.pdf", sniff.PDF, "report.pdf"),
    ("REPORT.PDF", sniff.PDF, "REPORT.PDF"),
    ("photo.jpeg", sniff.JPEG, "photo.jpeg"),
    ("photo.JPG", sniff.JPEG, "photo.JPG"),
    ("scan", sniff.PNG, "scan.png"),
    ("export.txt", sniff.CSV, "export.txt.csv"),
    ("", sniff.PDF, "file.pdf"),
])
def test_the_download_name_carries_the_extension_of_what_the_file_is(name, kind, shown):
    assert sniff.download_name(name, kind) == shown


def test_it_refuses_a_name_that_claims_another_accepted_kind():
    with pytest.raises(sniff.RefusedFile) as refused:
        sniff.download_name("readings.pdf", sniff.CSV)
    assert "named .pdf but its content is a CSV" in str(refused.value)
