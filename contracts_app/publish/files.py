"""Writing published files so that a reader never sees half a file and an unchanged file is not
touched: each file is written to a temporary name in the same folder, compared with the file it
would replace, and renamed over it only when its bytes differ."""
import hashlib
import json
import os
import tempfile

CHUNK = 1 << 16


def write_if_changed(path, chunks):
    """Write the text or bytes ``chunks`` to ``path`` unless the file already holds exactly
    them. Returns True when the file was (re)written. A failure (an exception from ``chunks``,
    a full disk) leaves the earlier file as it was and no temporary file behind."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
                digest.update(data)
                file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if file_digest(path) == digest.hexdigest():
            os.unlink(temporary)
            return False
        # mkstemp makes the file private (0600); a published file gets the mode a plain open()
        # would give it, or keeps the mode of the file it replaces.
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
        return True
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def file_digest(path):
    """The SHA-256 of a file's bytes, or None when there is no such file."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(CHUNK), b""):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


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
