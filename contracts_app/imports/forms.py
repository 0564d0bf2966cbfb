"""Forms of the CSV import: the upload (a file, CSRF-protected) and the import button."""
from flask_wtf.file import FileField, FileRequired

from contracts_app.forms_common import BaseForm


class UploadForm(BaseForm):
    file = FileField(
        "CSV file", validators=[FileRequired(message="Choose a CSV file to upload.")],
        description="UTF-8 (with or without a byte-order mark) or Windows-1252, comma- or semicolon-separated.",
        render_kw={"accept": ".csv,text/csv"},
    )


class CommitForm(BaseForm):
    """The Import button: only the CSRF token."""
