"""Small real files of every accepted kind, and some that must be refused, built in the test."""
import io
import os
import struct
import zipfile
import zlib

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def pdf():
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def png():
    """A real 1 x 1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def jpeg():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def _zip(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def xlsx():
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": "<Relationships/>",
                 "xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": "<worksheet/>"})


def docx():
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": "<Relationships/>", "word/document.xml": "<document/>"})


def xlsm():
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": "<workbook/>", "xl/vbaProject.bin": "macro"})


def pptx():
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": "<presentation/>"})


def plain_zip():
    return _zip({"notes.txt": "hello"})


def csv_text(encoding="utf-8"):
    text = "metric,period,value\r\nPlacements,Oct 2026,42\r\nCafé visits,Oct 2026,\"1,250\"\r\n"
    return text.encode(encoding)


def executable():
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"This program cannot be run in DOS mode."


def html():
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def legacy_xls():
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


ACCEPTED = {
    # name: (bytes, content type the download carries)
    "report.pdf": (pdf(), "application/pdf"),
    "scan.png": (png(), "image/png"),
    "photo.jpeg": (jpeg(), "image/jpeg"),
    "placements.xlsx": (xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "minutes.docx": (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "readings.csv": (csv_text(), "text/csv"),
}


def left_files(directory):
    """The files in the attachments folder (none when it was never made)."""
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def upload(client, url, data, filename):
    return client.post(url, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
