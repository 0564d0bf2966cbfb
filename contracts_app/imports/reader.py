"""Reading an uploaded CSV: bytes to text (UTF-8 or Windows-1252), text to numbered rows.

Nothing here touches the database. Row numbers are the spreadsheet's: the header is row 1, and
a cell holding a line break (quoted in the CSV) does not start a new row.
"""
import csv
import io
import re
from dataclasses import dataclass, field

from contracts_app.errors import ServiceError

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP1252 = "windows-1252"

# Control characters never found in a spreadsheet's text (tab, line feed and carriage return are).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAVE_AS = "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”, then upload that file."


class ImportFileError(ServiceError):
    """The upload cannot be read as a CSV at all (empty, too large, binary, unknown encoding)."""


def human_size(size):
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def decode(data, max_bytes=None):
    """(text, encoding) of an uploaded file, or ImportFileError saying why it cannot be read.

    UTF-8 (with or without a byte-order mark) is tried first and strictly: a file that decodes
    as UTF-8 almost certainly is UTF-8, since Windows-1252 accented letters and punctuation are
    not valid UTF-8 sequences. Otherwise the file is read as Windows-1252 (what Excel on Windows
    saves as "CSV (Comma delimited)"); its five undefined bytes make that fail for other files.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise ImportFileError(
            f"The file is larger than {human_size(max_bytes)}, the most one import accepts. "
            "Split it into several files and import them one after the other."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(f"This is an Excel workbook (.xlsx) or another zip file, not a CSV file. {_SAVE_AS}")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(f"This is an older Excel workbook (.xls), not a CSV file. {_SAVE_AS}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(f"This file is UTF-16 text (Excel's “Unicode Text”), which is not accepted. {_SAVE_AS}")
    if b"\x00" in data:
        raise ImportFileError(f"This is not a text file (it contains NUL bytes). {_SAVE_AS}")
    try:
        text = data.decode(UTF8_BOM)
        encoding = UTF8_BOM if data.startswith(b"\xef\xbb\xbf") else UTF8
    except UnicodeDecodeError:
        try:
            text = data.decode(CP1252)
            encoding = CP1252
        except UnicodeDecodeError:
            raise ImportFileError(
                f"The file's text is neither UTF-8 nor Windows-1252, the two encodings accepted. {_SAVE_AS}"
            )
    if _CONTROL.search(text):
        raise ImportFileError(f"This does not look like a CSV file: it contains control characters. {_SAVE_AS}")
    if not text.strip():
        raise ImportFileError("The file is empty.")
    return text, encoding


def delimiter_of(text):
    """Comma, or semicolon when the header line has more semicolons than commas (Excel in many
    European locales saves "CSV" with semicolons). Column names contain neither."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


@dataclass
class ParsedFile:
    header: list
    rows: list = field(default_factory=list)  # (row number, cells)
    problem: tuple | None = None  # (row number, message) when the CSV itself is broken
    delimiter: str = ","


def parse(text):
    """The header and every further row, numbered as in the spreadsheet (header = row 1).

    Blank rows are kept (as empty lists) so that the numbers stay right; callers skip them.
    A CSV syntax error (a cell too long, say) stops reading, with the row where it happened.
    """
    delimiter = delimiter_of(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    parsed = ParsedFile(header=[], delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1:
                parsed.header = cells
            else:
                parsed.rows.append((number, cells))
    except csv.Error as error:
        parsed.problem = (number + 1, f"The file is not valid CSV here ({error}).")
    return parsed
