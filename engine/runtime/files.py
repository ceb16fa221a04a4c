"""Uploaded files: storing a stream on disk, cleaning what the browser says about it, and form fields
(`x-widget: file`) whose values are attachment ids, checked and linked to their case on submit."""
import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from pathlib import Path

from sqlalchemy import select, update

from engine.errors import Conflict, ValidationFailed
from engine.formfields import file_values, has_file_fields
from engine.store.models import Attachment

CHUNK_BYTES = 64 * 1024
MIB = 1024 * 1024
MAX_FILENAME = 255
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")  # controls, bidi overrides, surrogates, unassigned


def clean_filename(name):
    """The user's file name made safe to show: last path part, no control characters, at most 255 chars."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _UNSAFE_CATEGORIES).strip()
    if text in ("", ".", ".."):
        return "file"
    if len(text) <= MAX_FILENAME:
        return text
    stem, dot, suffix = text.rpartition(".")
    if dot and 0 < len(suffix) <= 16:
        return stem[:MAX_FILENAME - len(suffix) - 1] + "." + suffix
    return text[:MAX_FILENAME]


def clean_content_type(value):
    """A plain `type/subtype` in lower case (parameters dropped); anything else is application/octet-stream."""
    text = str(value or "").split(";", 1)[0].strip().lower()
    return text if len(text) <= 200 and _MIME.match(text) else "application/octet-stream"


def stored_path(folder, attachment_id):
    """Where an attachment's bytes live: <folder>/<first two characters of the id>/<id>."""
    return Path(folder).resolve() / attachment_id[:2] / attachment_id


def store_stream(folder, stream, limit):
    """Copy a binary stream into the folder under a new random id; return (id, size, sha256 hex, path).

    The bytes go to a temporary file first, hashed as they arrive; a stream over `limit` bytes or an
    empty one raises ValidationFailed and leaves nothing behind.
    """
    root = Path(folder).resolve()
    root.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            size, digest = _copy(stream, handle, limit)
        attachment_id = uuid.uuid4().hex
        target = stored_path(root, attachment_id)
        target.parent.mkdir(exist_ok=True)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return attachment_id, size, digest, target


def _copy(stream, handle, limit):
    """Copy in chunks up to `limit` bytes; return (size, sha256 hex)."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise ValidationFailed({"file": f"is larger than {limit / MIB:.3g} MB"})
        digest.update(chunk)
        handle.write(chunk)
    if size == 0:
        raise ValidationFailed({"file": "is empty"})
    return size, digest.hexdigest()


def check_form_files(session, schema, data, user, instance_id=None):
    """{attachment id: field path} of the pending uploads a valid form names, to link once saved.

    Every file value must be a pending upload of `user` or a file already linked to this case;
    any other value is refused as ValidationFailed({field path: "unknown attachment"}).
    """
    if not schema or not has_file_fields(schema):
        return {}
    named = list(file_values(schema, data))
    if not named:
        return {}
    ids = {value for _, value in named if isinstance(value, str)}
    rows = session.execute(select(Attachment.id, Attachment.instance_id, Attachment.uploaded_by)
                           .where(Attachment.id.in_(ids))).all() if ids else []
    pending = {r.id for r in rows if r.instance_id is None and r.uploaded_by == user}
    usable = pending | {r.id for r in rows if instance_id is not None and r.instance_id == instance_id}
    errors = {path: "unknown attachment" for path, value in named if not (isinstance(value, str) and value in usable)}
    if errors:
        raise ValidationFailed(errors)
    return {value: path for path, value in named if value in pending}


def link_form_files(session, pending, instance_id, task_id=None):
    """Attach pending uploads to the case (and task) whose form named them, in the command's transaction."""
    for attachment_id, path in pending.items():
        result = session.execute(update(Attachment)
                                 .where(Attachment.id == attachment_id, Attachment.instance_id.is_(None))
                                 .values(instance_id=instance_id, task_id=task_id, field=path[:200])
                                 .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict(f"attachment {attachment_id} was used by another form meanwhile; upload it again")
