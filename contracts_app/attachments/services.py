"""Attaching evidence files: check, store and record one upload, all of it or nothing.

A file is written to a temporary name in ``ATTACHMENTS_DIR``, read in chunks (refused the moment
it passes ``MAX_ATTACHMENT_BYTES``), judged from its bytes (``sniff.detect``), then renamed to a
generated name (a random hex string and the extension of what it is: never the uploader's name,
so no name can reach outside the folder or overwrite another file) and recorded in the same
transaction as its row and audit event. The file is kept only if that transaction commits: when
it rolls back, or the session closes without committing, the file is removed (the session hooks
at the end of this module). So a refused or failed upload leaves neither a row nor a file.

Nothing here deletes an attachment: archiving a contract keeps every file.
"""
from flask_babel import gettext as _
import hashlib
import os
import re
import tempfile
import uuid

from flask import current_app
from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session, joinedload

from contracts_app.attachments import sniff
from contracts_app.attachments.models import (
    CHECKIN, CONTRACT, READING, SUBMISSION, Attachment, owner_contract, owner_kind,
)
from contracts_app.audit.services import record, snapshot
from contracts_app.db_types import max_length, utcnow
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.imports.reader import human_size
from contracts_app.vendors.models import ACCEPTED, VendorSubmission

CHUNK_BYTES = 64 * 1024
# Files renamed into place in the session's current transaction, removed unless it commits.
_PENDING = "attachments_pending_files"


class AttachmentError(ServiceError):
    """An upload that cannot be attached (empty, too large, not an accepted kind)."""


def attachments_dir():
    """Where the files are: ``ATTACHMENTS_DIR``, else ``attachments`` in the instance folder."""
    return current_app.config.get("ATTACHMENTS_DIR") or os.path.join(current_app.instance_path, "attachments")


def stored_path(attachment):
    return os.path.join(attachments_dir(), attachment.stored_name)


def clean_filename(filename):
    """The file's own name as people will see it: browsers may send a path (keep the last part),
    control characters and surrounding spaces and dots dropped, at most what the column holds
    (cut before the extension, which is kept)."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(char for char in name if char.isprintable()).strip().strip(".").strip()
    limit = max_length(Attachment.original_name)
    if len(name) > limit:
        stem, dot, extension = name.rpartition(".")
        extension = dot + extension if dot and len(extension) <= 10 else ""
        name = (stem if extension else name)[: limit - len(extension)] + extension
    return name


def _refused(given, message):
    """The refusal, naming the file (the page's file box is empty again when it shows it)."""
    return AttachmentError(_('“%(given)s” was not attached. %(message)s', given=given, message=message) if given else message, "file")


def _copy_limited(stream, target, limit, given=""):
    """Copy ``stream`` into ``target`` in chunks: (size, sha256 hex), or AttachmentError as soon
    as more than ``limit`` bytes have come (the rest is never read)."""
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return size, digest.hexdigest()
        size += len(chunk)
        if size > limit:
            raise _refused(given, too_large_message(limit))
        digest.update(chunk)
        target.write(chunk)


def too_large_message(limit):
    return (f"The file is larger than {human_size(limit)}, the most one attachment may be. "
            "Attach a smaller file (for a scan, a lower resolution; for a spreadsheet, only the sheets needed).")


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


@command
def attach(owner, file_storage, actor, now=None, commit=True):
    """Attach the uploaded ``file_storage`` (a werkzeug FileStorage) to ``owner`` (a Contract,
    Reading, CheckIn or VendorSubmission) as ``actor``; returns the Attachment, audited.

    Refused with AttachmentError (field "file"), having written nothing, when there is no file,
    it is empty, larger than ``MAX_ATTACHMENT_BYTES`` or not an accepted kind (judged from its
    bytes; a name claiming another accepted kind is refused too, see ``sniff.download_name``).
    Who may attach is the caller's check (``permissions.can_attach``).

    ``commit=False`` attaches inside the caller's transaction, for a command that saves a record
    and its evidence together (a vendor's submission): the row and the audit event are added
    and flushed, the file is in place, and both stay only if the caller commits; if the caller
    rolls back (or its session closes uncommitted) the file is removed. A refusal still rolls
    the whole session back (``@command``), so the caller's own changes go too: all or nothing.
    """
    kind = owner_kind(owner)
    contract = owner_contract(owner)
    now = now or utcnow()
    if contract.is_archived:
        raise AttachmentError(_('This contract is archived: restore it before attaching files to it.'), "file")
    if file_storage is None:
        raise AttachmentError(_('Choose a file to attach.'), "file")
    directory = attachments_dir()
    os.makedirs(directory, exist_ok=True)
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    given = clean_filename(file_storage.filename)
    # The temporary file is in the same folder, so the rename below is atomic and never copies.
    handle = tempfile.NamedTemporaryFile(dir=directory, prefix=".upload-", suffix=".part", delete=False)
    try:
        with handle:
            size, sha256 = _copy_limited(file_storage.stream, handle, limit, given)
        if size == 0:
            raise _refused(given, "The file is empty.")
        try:
            file_kind = sniff.detect(handle.name)
            # Cleaned again: the added extension may take it past what the column holds.
            name = clean_filename(sniff.download_name(given, file_kind))
        except sniff.RefusedFile as error:
            raise _refused(given, str(error)) from None
        attachment = Attachment(
            owner_kind=kind, owner_id=owner.id, contract_id=contract.id, original_name=name,
            stored_name=uuid.uuid4().hex + file_kind.extension, content_type=file_kind.content_type, size=size,
            sha256=sha256, uploaded_by_id=actor.id if actor is not None else None, uploaded_at=now,
        )
        db.session.add(attachment)
        db.session.flush()
        final = stored_path(attachment)
        os.replace(handle.name, final)
        db.session.info.setdefault(_PENDING, []).append(final)
        record(actor, "create", attachment, after=snapshot(attachment), contract_id=contract.id,
               summary=f"Attached {name} ({human_size(size)}) to {_describe(kind, owner, contract)}")
        if commit:
            db.session.commit()
        return attachment
    except Exception as error:
        if commit and not isinstance(error, ServiceError):
            # An unexpected failure (the disk, the database): undo the row, which removes the file.
            db.session.rollback()
        raise
    finally:
        _remove(handle.name)  # gone already once renamed into place


def _describe(kind, owner, contract):
    if kind == CONTRACT:
        return contract.reference
    if kind == CHECKIN:
        return f"the check-in of {contract.reference}"
    if kind == READING:
        return f"the reading of {owner.metric.name} ({owner.period_start.isoformat()}), {contract.reference}"
    return f"the vendor submission for {owner.metric.name} ({owner.period_start.isoformat()}), {contract.reference}"


# --- reading ---------------------------------------------------------------------------------


def attachments_for(owner_kind, owner_ids):
    """{owner id: [Attachment, oldest first]} for the records of one kind a page shows, in one
    query (with who uploaded each); records without files are absent."""
    ids = sorted({owner_id for owner_id in owner_ids if owner_id is not None})
    found = {}
    if not ids:
        return found
    rows = db.session.scalars(
        select(Attachment)
        .options(joinedload(Attachment.uploaded_by))
        .where(Attachment.owner_kind == owner_kind, Attachment.owner_id.in_(ids))
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    for attachment in rows:
        found.setdefault(attachment.owner_id, []).append(attachment)
    return found


def reading_evidence(reading_ids):
    """{reading id: [Attachment]}: each reading's own files and those of the vendor submission
    accepted as it (the vendor's evidence stays with the value it backs). One query."""
    ids = sorted({reading_id for reading_id in reading_ids if reading_id is not None})
    found = {}
    if not ids:
        return found
    accepted = (
        select(VendorSubmission.id, VendorSubmission.reading_id)
        .where(VendorSubmission.reading_id.in_(ids), VendorSubmission.state == ACCEPTED)
        .subquery()
    )
    rows = db.session.execute(
        select(Attachment, func.coalesce(accepted.c.reading_id, Attachment.owner_id))
        .options(joinedload(Attachment.uploaded_by))
        .outerjoin(accepted, and_(Attachment.owner_kind == SUBMISSION, Attachment.owner_id == accepted.c.id))
        .where(or_(
            and_(Attachment.owner_kind == READING, Attachment.owner_id.in_(ids)),
            accepted.c.id.is_not(None),
        ))
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    for attachment, reading_id in rows:
        found.setdefault(reading_id, []).append(attachment)
    return found


# --- keeping files and rows together -----------------------------------------------------------


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session):
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session, transaction):
    """When the outermost transaction ends without a commit (rolled back, or the session closed),
    remove the files renamed into place in it: their rows are gone, so must they be. (A process
    killed between the rename and the commit leaves an unreferenced file, never a row without
    its file.)"""
    if transaction.parent is not None or transaction.nested:
        return
    for path in session.info.pop(_PENDING, ()):
        _remove(path)
