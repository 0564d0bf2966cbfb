"""Writing published files so that a reader never sees half a file and an unchanged file is not
touched: each file's bytes are compared, as they are made, with the file they would replace;
while they are the same nothing is written (a nightly run that changes nothing writes no byte);
from the first difference they go to a temporary name in the same folder (after the old file's
equal beginning), which is renamed over the old file once complete. Nothing is held in memory
but the chunk being written, so a file of any size is written in constant memory.

``json_text`` and ``json_chunks`` give the text of a published JSON document, the second one
element of its last list at a time (the OCDS packages: hundreds of megabytes in a large city)."""
import json
import math
import os
import tempfile
from json.encoder import encode_basestring

CHUNK = 1 << 16


class ReplacingFile:
    """A published file being written (see the module docstring): ``write`` text or bytes, then
    ``commit()`` (True when the file was replaced, False when it already held these bytes) or
    ``discard()``. As a context manager it discards on an exception and commits otherwise.

    The old file is opened at the start and compared with what is written; one writer at a
    time is assumed (the publication is one scheduler job)."""

    def __init__(self, path):
        self.path = path
        self.temporary = None
        self.file = None  # the temporary file, from the first byte that differs
        try:
            self._old = open(path, "rb")
        except FileNotFoundError:
            self._old = None
        self._same = 0  # bytes so far equal to the old file's first bytes
        self.size = 0
        self.changed = None
        # Text is gathered into blocks of about CHUNK characters before it is encoded and
        # compared: a CSV row at a time would cost an encode, a read and a compare per row.
        self._pending = []
        self._pending_length = 0

    def write(self, chunk):
        if isinstance(chunk, str):
            self._pending.append(chunk)
            self._pending_length += len(chunk)
            if self._pending_length >= CHUNK:
                self._flush_pending()
            return
        self._flush_pending()
        self._write_bytes(chunk)

    def _flush_pending(self):
        if self._pending:
            text = "".join(self._pending)
            self._pending, self._pending_length = [], 0
            self._write_bytes(text.encode("utf-8"))

    def _write_bytes(self, data):
        self.size += len(data)
        if self.file is None:
            if self._old is not None and self._old.read(len(data)) == data:
                self._same += len(data)
                return
            self._diverge()
        self.file.write(data)

    def _diverge(self):
        """From here on the bytes go to the temporary file, after the old file's equal start."""
        folder = os.path.dirname(os.path.abspath(self.path))
        handle, self.temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(self.path) + ".",
                                                  suffix=".tmp")
        self.file = os.fdopen(handle, "wb", buffering=CHUNK)
        if self._old is not None:
            self._old.seek(0)
            remaining = self._same
            while remaining:
                block = self._old.read(min(remaining, 16 * CHUNK))
                if not block:
                    raise OSError(f"{self.path} became shorter while it was compared")
                self.file.write(block)
                remaining -= len(block)
            self._close_old()

    def _close_old(self):
        if self._old is not None:
            self._old.close()
            self._old = None

    def commit(self):
        try:
            self._flush_pending()
            if self.file is None:
                if self._old is not None and self._old.read(1) == b"":
                    # Every byte the same and nothing more: the file stays as it is.
                    self._close_old()
                    self.changed = False
                    return False
                self._diverge()  # the old file is longer, or there is none
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            # mkstemp makes the file private (0600); a published file gets the mode a plain open()
            # would give it, or keeps the mode of the file it replaces.
            os.chmod(self.temporary, _mode_for(self.path))
            os.replace(self.temporary, self.path)
        except BaseException:
            self.discard()
            raise
        self.changed = True
        return True

    def discard(self):
        """Drop what was written: the earlier file stays as it was, no temporary file behind."""
        self._close_old()
        if self.file is not None and not self.file.closed:
            try:
                self.file.close()
            except OSError:
                pass
        if self.temporary and os.path.exists(self.temporary):
            os.unlink(self.temporary)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self.commit()
        else:
            self.discard()
        return False


def write_if_changed(path, chunks):
    """Write the text or bytes ``chunks`` to ``path`` unless the file already holds exactly
    them. Returns True when the file was (re)written. A failure (an exception from ``chunks``,
    a full disk) leaves the earlier file as it was and no temporary file behind."""
    with ReplacingFile(path) as file:
        for chunk in chunks:
            file.write(chunk)
    return file.changed


def _mode_for(path):
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def json_text(document):
    """A published JSON document's text: indented, UTF-8 as it is, ending in a newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class JsonList:
    """The text of ``json_text({**head, key: items})`` a piece at a time: ``item(value)`` for each
    element of the list in turn (the first piece also carries the head), then ``end()``.
    ``key`` comes last and must not be in ``head``."""

    _EMPTY = "[]\n}"

    def __init__(self, head, key):
        opening = json.dumps({**head, key: []}, indent=2, ensure_ascii=False)
        if key in head or not opening.endswith(self._EMPTY):
            raise ValueError(f"{key!r} must be a new key, after the head")
        self._prefix = opening[: -len(self._EMPTY)]
        self._separator = "[\n    "
        self.count = 0

    # Where an item's lines start (``indented_json(item, ITEM_NEWLINE)`` is its text).
    ITEM_NEWLINE = "\n    "

    def item(self, value):
        return self.item_text(indented_json(value, self.ITEM_NEWLINE))

    def item_text(self, value_text):
        """``item`` of the value whose text (``indented_json(value, ITEM_NEWLINE)``) is given."""
        text = self._prefix + self._separator + value_text
        self._prefix, self._separator = "", ",\n    "
        self.count += 1
        return text

    def end(self):
        return self._prefix + ("\n  ]" if self.count else "[]") + "\n}\n"


def json_chunks(head, key, items):
    """The text ``json_text({**head, key: list(items)})`` gives, in chunks: one per item
    (consumed one at a time, the first with the head), then the end (see ``JsonList``)."""
    document = JsonList(head, key)
    for item in items:
        yield document.item(item)
    yield document.end()


def indented_json(value, newline="\n"):
    """``json.dumps(value, indent=2, ensure_ascii=False)`` as it reads nested where ``newline``
    (a newline and the indentation there) starts each line: the same text, several times
    faster (json's indented encoder is pure Python, one generator step per token; here a
    container's scalar members are written inline, without a call each)."""
    kind = type(value)
    if kind is dict:
        return _object(value, newline)
    if kind is list or kind is tuple:
        return _array(value, newline)
    return _scalar(value, newline)


def _scalar(value, newline):
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _dumped(value, newline)


def _member(item, inner):
    # One member of a container, its most common kinds first.
    kind = type(item)
    if kind is str:
        return encode_basestring(item)
    if kind is dict:
        return _object(item, inner)
    if kind is list or kind is tuple:
        return _array(item, inner)
    if kind is int:
        return int.__repr__(item)
    return _scalar(item, inner)


def _object(value, newline):
    if not value:
        return "{}"
    inner = newline + "  "
    parts = []
    append = parts.append
    for name, item in value.items():
        if type(name) is not str:
            return _dumped(value, newline)
        kind = type(item)
        if kind is str:
            append(encode_basestring(name) + ": " + encode_basestring(item))
        elif kind is dict:
            append(encode_basestring(name) + ": " + _object(item, inner))
        else:
            append(encode_basestring(name) + ": " + _member(item, inner))
    return "{" + inner + ("," + inner).join(parts) + newline + "}"


def _array(value, newline):
    if not value:
        return "[]"
    inner = newline + "  "
    return "[" + inner + ("," + inner).join([_member(item, inner) for item in value]) + newline + "]"


def member_texts(mapping, newline="\n"):
    """{key: its value's text} as ``indented_json(mapping, newline)`` writes each member (the
    keys must be text); ``object_text`` puts them together. For a document that reuses some
    members' text elsewhere (the record package reuses the releases')."""
    inner = newline + "  "
    return {key: indented_json(item, inner) for key, item in mapping.items()}


def object_text(members, newline="\n"):
    """``indented_json`` of a dict from ``member_texts`` of it (or texts written to match)."""
    if not members:
        return "{}"
    inner = newline + "  "
    return "{" + inner + ("," + inner).join([encode_basestring(key) + ": " + text for key, text in members.items()]) \
        + newline + "}"


def _dumped(value, newline):
    # Anything unusual (keys that are not text, NaN, subclasses) as json itself writes it.
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", newline)
