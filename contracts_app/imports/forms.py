"""Forms of the CSV import: the upload (a file, CSRF-protected) and the import button."""
from contracts_app.i18n import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from contracts_app.forms_common import BaseForm


class UploadForm(BaseForm):
    file = FileField(
        _l('CSV file'), validators=[FileRequired(message=_l('Choose a CSV file to upload.'))],
        description=_l('UTF-8 (with or without a byte-order mark) or Windows-1252, comma- or semicolon-separated.'),
        render_kw={"accept": ".csv,text/csv"},
    )


class CommitForm(BaseForm):
    """The Import button: only the CSRF token."""


class ReadingsUploadForm(BaseForm):
    file = FileField(
        _l('Spreadsheet (.xlsx or .csv)'), validators=[FileRequired(message=_l('Choose the filled-in spreadsheet to upload.'))],
        description=_l('The file you downloaded, with Value (and Note) filled in: an Excel workbook (.xlsx), or CSV (UTF-8 or Windows-1252, comma- or semicolon-separated).'),
        render_kw={"accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )


class PaymentsUploadForm(BaseForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(message=_l("Choose the payments spreadsheet to upload."))],
        description=_l("One payment a row, with the columns listed below: an Excel workbook (.xlsx, its first sheet), "
                       "or CSV (UTF-8 or Windows-1252, comma- or semicolon-separated)."),
        render_kw={"accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )


class OcdsUploadForm(BaseForm):
    file = FileField(
        _l("OCDS file (.json or .jsonl)"), validators=[FileRequired(message=_l("Choose the open contracting data file to upload."))],
        description=_l("A release package, a record package, or JSON lines of either (OCDS 1.0 or 1.1)."),
        render_kw={"accept": ".json,.jsonl,application/json"},
    )
    encoding = StringField(
        _l("Encoding"), validators=[Optional(), Length(max=32)],
        description=_l("Only for a file without a byte-order mark that is not UTF-8, for example latin-1 or "
                       "windows-1252; left empty, the encoding is recognised from the file."),
    )
