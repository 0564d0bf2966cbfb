"""Reading an upload: encodings, files that are not CSV, delimiters and row numbers (no database)."""
import pytest

from contracts_app.imports import reader

TEXT = "reference,vendor\r\nHS-1,Café – “Harbor” ‘Light’\r\n"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("cp1252"), "windows-1252"),
])
def test_it_reads_utf8_with_or_without_bom_and_windows_1252(data, encoding):
    text, found = reader.decode(data)

    assert found == encoding
    assert text == TEXT
    assert reader.parse(text).rows == [(2, ["HS-1", "Café – “Harbor” ‘Light’"])]


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b" \r\n\r\n", "The file is empty."),
    (b"\xef\xbb\xbf", "The file is empty."),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "older Excel workbook (.xls)"),
    (TEXT.encode("utf-16"), "UTF-16"),
    (b"reference\x00,title\n", "NUL bytes"),
    (b"reference,title\nHS-1,\x81\x8d\x90", "neither UTF-8 nor Windows-1252"),
    (b"reference,title\nHS-1,\x01\x02\x03", "control characters"),
])
def test_it_refuses_what_is_not_a_csv_file_with_a_clear_message(data, message):
    with pytest.raises(reader.ImportFileError) as refused:
        reader.decode(data)

    assert message in str(refused.value)
    if message != "The file is empty.":
        assert "CSV UTF-8" in str(refused.value)  # says how to save a file that will do


def test_it_refuses_a_file_over_the_limit_before_reading_it():
    with pytest.raises(reader.ImportFileError) as refused:
        reader.decode(b"x" * 2049, max_bytes=2048)

    assert "larger than 2 KB" in str(refused.value)
    assert reader.decode(b"x" * 2048, max_bytes=2048)[0] == "x" * 2048


def test_it_numbers_rows_as_the_spreadsheet_shows_them():
    text = 'reference,problem\r\nA,"two\r\nlines"\r\n\r\nB,x\nC,y\r\n'

    parsed = reader.parse(text)

    # The quoted line break stays in its cell; the blank row keeps its number.
    assert parsed.rows == [(2, ["A", "two\r\nlines"]), (3, []), (4, ["B", "x"]), (5, ["C", "y"])]


def test_it_reads_semicolon_separated_files_as_excel_saves_them_in_many_locales():
    parsed = reader.parse('reference;priorities;value\r\nA;"One; Two";1,5\r\n')

    assert parsed.delimiter == ";"
    assert parsed.rows == [(2, ["A", "One; Two", "1,5"])]


def test_it_names_the_row_where_the_csv_itself_is_broken():
    parsed = reader.parse('reference,title\r\nA,ok\r\nB,"never closed\r\nC,x\r\n')

    assert parsed.rows == [(2, ["A", "ok"])]
    assert parsed.problem[0] == 3
    assert "not valid CSV" in parsed.problem[1]
