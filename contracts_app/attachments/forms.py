"""The upload form: one file, CSRF-protected. What the file is, is the service's check."""
from flask_babel import gettext as _

from contracts_app.i18n import lazy_gettext as _l
from flask import current_app
from flask_wtf.file import FileField, FileRequired

from contracts_app.attachments import sniff
from contracts_app.forms_common import BaseForm
from contracts_app.imports.reader import human_size


class AttachmentForm(BaseForm):
    file = FileField(
        _l('Add a file'), validators=[FileRequired(message=_l('Choose a file to attach.'))],
        render_kw={"accept": sniff.ACCEPT_ATTRIBUTE},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file.description = _(
            "%(kinds)s, at most %(size)s.", kinds=sniff.ACCEPTED_TEXT,
            size=human_size(current_app.config["MAX_ATTACHMENT_BYTES"]),
        )
