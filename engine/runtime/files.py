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

from engine.errors import Conflict, FieldError, ValidationFailed
from engine.forms import schema_has
from engine.store.models import Attachment

CHUNK_BYTES = 64 * 1024
MIB = 1024 * 1024
MAX_FILENAME = 255
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")  # controls, bidi overrides, surrogates, unassigned
_HAS_FILES = {}  # id(schema) -> (schema, whether it has a file field): schemas live with their package


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
            raise ValidationFailed({"file": FieldError("file_too_large", mb=limit / MIB)})
        digest.update(chunk)
        handle.write(chunk)
    if size == 0:
        raise ValidationFailed({"file": FieldError("file_empty")})
    return size, digest.hexdigest()


def is_file_field(prop):
    """A form property holding attachment ids: `x-widget: file` on it, or on the items of its array.

    The web form renders both as a file upload, so both are checked and linked here.
    """
    items = prop.get("items")
    return prop.get("x-widget") == "file" or (isinstance(items, dict) and items.get("x-widget") == "file")


def has_file_fields(schema):
    """Whether a form schema has file fields (worked out once per schema object)."""
    found = _HAS_FILES.get(id(schema))
    if found is None or found[0] is not schema:
        found = _HAS_FILES[id(schema)] = (schema, schema_has(schema, is_file_field))
    return found[1]


def file_values(schema, data, path=()):
    """Yield (field path such as 'items/0/receipt', value) for every value of a file field in form data."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not isinstance(data, dict):
        return
    for name, prop in properties.items():
        if name not in data or not isinstance(prop, dict):
            continue
        value, here = data[name], path + (name,)
        if is_file_field(prop):
            for item in value if isinstance(value, list) else [value]:
                if item not in (None, ""):
                    yield "/".join(here), item
        elif isinstance(value, dict):
            yield from file_values(prop, value, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from file_values(prop.get("items"), item, here + (str(index),))


def check_form_files(session, schema, data, user, instance_id=None):
    """{attachment id: field path} of the pending uploads a valid form names, to link once saved.

    Every file value must be a pending upload of `user` or a file already linked to this case;
    any other value is refused as ValidationFailed({field path: FieldError("unknown_attachment")}).
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
    errors = {path: FieldError("unknown_attachment") for path, value in named
              if not (isinstance(value, str) and value in usable)}
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
            raise Conflict("attachment_taken", attachment=attachment_id)
