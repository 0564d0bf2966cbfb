"""What kind of file an upload is, judged from its bytes alone.

The name a browser sends and the content type it claims are both the uploader's to choose, so
neither is trusted: a program renamed ``report.pdf`` is refused for what it is. Pure functions
of the bytes (and a path, for the zip checks); no database, no Flask.

Accepted: PDF, PNG and JPEG by their signatures; XLSX and DOCX, which are zip files, by the
parts every Office Open XML package of their kind holds; CSV as text (UTF-8 with or without a
byte-order mark, or Windows-1252) without NUL bytes or markup that the csv module reads into
rows. (Signature libraries such as ``filetype`` and ``puremagic`` would add nothing: three
signatures are a line each, and telling a workbook from a document and CSV from other text
needs the checks below anyway.)
"""
import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from contracts_app.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class FileKind:
    key: str
    label: str
    extension: str  # the one the stored file and the download name get
    content_type: str
    aliases: tuple = ()  # other extensions people give the same kind

    @property
    def extensions(self):
        return (self.extension, *self.aliases)


PDF = FileKind("pdf", "PDF", ".pdf", "application/pdf")
XLSX = FileKind("xlsx", "Excel workbook (.xlsx)", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CSV = FileKind("csv", "CSV", ".csv", "text/csv")
DOCX = FileKind("docx", "Word document (.docx)", ".docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
PNG = FileKind("png", "PNG image", ".png", "image/png")
JPEG = FileKind("jpeg", "JPEG image", ".jpg", "image/jpeg", aliases=(".jpeg", ".jpe"))
KINDS = (PDF, XLSX, CSV, DOCX, PNG, JPEG)
BY_EXTENSION = {extension: kind for kind in KINDS for extension in kind.extensions}

ACCEPTED_TEXT = _l("PDF, Excel (.xlsx), CSV, Word (.docx), PNG or JPEG")
# For the file input's accept attribute: a hint to the browser's picker, never a check.
ACCEPT_ATTRIBUTE = ",".join(extension for kind in KINDS for extension in kind.extensions)

# How much of the file the signature checks read.
HEAD_BYTES = 4096

_CONTENT_TYPES = "[Content_Types].xml"
# Markup a browser would run: a text file starting with "<", or holding one of these tags.
_MARKUP = re.compile(r"\A\s*<|<\s*(?:!doctype|html|script|iframe|svg|object|embed)\b", re.IGNORECASE)


class RefusedFile(ValueError):
    """The file is not one of the accepted kinds; the message says what it is and what is accepted."""


def _refuse(what):
    return RefusedFile(f"{what} Attach a {ACCEPTED_TEXT} file.")


def detect(path):
    """The FileKind of the (non-empty) file at ``path``, or RefusedFile saying why not."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse("This is an older Word or Excel file (.doc or .xls), which is not accepted: "
                      "save it as .docx or .xlsx first.")
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe", b"#!")):
        raise _refuse("This is a program or a script, which is never accepted.")
    return _text_kind(path)


def _office_kind(path):
    """XLSX or DOCX: a zip holding [Content_Types].xml and the workbook or the document part.

    Only the zip's directory is read (nothing is extracted), so a zip bomb costs nothing. A
    macro-enabled file (.xlsm, .docm: a vbaProject.bin part) is refused: macros are programs."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse("This file looks like a zip file but cannot be read (it may be damaged).")
    if _CONTENT_TYPES in names:
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise _refuse("This Office file contains macros (.xlsm or .docm), which are not accepted: "
                          "save it as a plain .xlsx or .docx.")
        if "xl/workbook.xml" in names:
            return XLSX
        if "word/document.xml" in names:
            return DOCX
        raise _refuse("This Office file is neither an Excel workbook nor a Word document (a PowerPoint file?).")
    raise _refuse("This is a zip file, which is not accepted.")


def _decode(data):
    """(text, encoding), or None when the bytes are not UTF-8 or Windows-1252 text."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _text_kind(path):
    """CSV: text without NUL bytes, control characters or markup, that the csv module reads
    (strictly) into at least one row. HTML and SVG are text too, and a browser would run their
    scripts, so markup is refused even though the csv module would read it."""
    with open(path, "rb") as handle:
        data = handle.read()
    if b"\x00" in data or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse("This file is not one of the accepted kinds.")
    decoded = _decode(data)
    if decoded is None:
        raise _refuse("This file is not one of the accepted kinds.")
    text, _ = decoded
    if not text.strip():
        raise RefusedFile("The file is empty.")
    if any(ord(char) < 32 and char not in "\t\r\n\x0c" for char in text):
        raise _refuse("This file is not one of the accepted kinds.")
    if _MARKUP.search(text):
        raise _refuse("This is a web page or other markup (HTML, XML, SVG), which is not accepted.")
    try:
        dialect = csv.Sniffer().sniff(text[:HEAD_BYTES], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True) if row]
    except csv.Error:
        raise _refuse("This text file cannot be read as CSV (a quote is not closed, or a field is too long).")
    if not rows:
        raise RefusedFile("The file is empty.")
    return CSV


def download_name(original, kind):
    """The name a file is shown and downloaded under: ``original`` (already cleaned) with the
    extension of what it is. A name without a known extension gets it added ("scan" becomes
    "scan.png"); a name claiming another accepted kind is refused, since the person meant to
    attach something else (a CSV export saved as "report.pdf" is not the PDF they think)."""
    stem, dot, extension = original.rpartition(".")
    extension = f".{extension.lower()}" if dot else ""
    if extension in kind.extensions:
        return original
    claimed = BY_EXTENSION.get(extension)
    if claimed is not None:
        raise RefusedFile(
            f"This file is named {extension} but its content is {_article(kind.label)}: "
            f"check that it is the file you meant, and give it the {kind.extension} extension."
        )
    return (original or "file") + kind.extension


def _article(label):
    return ("an " if label[0] in "AEIOU" else "a ") + label
