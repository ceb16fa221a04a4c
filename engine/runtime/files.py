"""Uploaded files: cleaning what the browser says about them, the runtime's default file store, and form
fields (`x-widget: file`) whose values are attachment ids, checked and linked to their case on submit."""
import re
import unicodedata
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.errors import Conflict, FieldError, ValidationFailed
from engine.filestore import LocalDiskStore
from engine.formfields import file_values, has_file_fields
from engine.store.models import Attachment

MAX_FILENAME = 255
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")  # controls, bidi overrides, surrogates, unassigned


def clean_filename(name: object) -> str:
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


def clean_content_type(value: object) -> str:
    """A plain `type/subtype` in lower case (parameters dropped); anything else is application/octet-stream."""
    text = str(value or "").split(";", 1)[0].strip().lower()
    return text if len(text) <= 200 and _MIME.match(text) else "application/octet-stream"


def default_store(settings: Settings) -> LocalDiskStore:
    """The file store a runtime keeps uploads in unless it is given one: the attachments folder on disk."""
    return LocalDiskStore(settings.attachments_path)


def check_form_files(session: Session, schema: dict[str, Any] | None, data: dict[str, Any], user: str,
                     case_id: int | None = None) -> dict[str, str]:
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
    rows = session.execute(select(Attachment.id, Attachment.case_id, Attachment.uploaded_by)
                           .where(Attachment.id.in_(ids))).all() if ids else []
    pending = {r.id for r in rows if r.case_id is None and r.uploaded_by == user}
    usable = pending | {r.id for r in rows if case_id is not None and r.case_id == case_id}
    errors = {path: FieldError("unknown_attachment") for path, value in named
              if not (isinstance(value, str) and value in usable)}
    if errors:
        raise ValidationFailed(errors)
    return {value: path for path, value in named if value in pending}


def link_form_files(session: Session, pending: dict[str, str], case_id: int, task_id: str | None = None) -> None:
    """Attach pending uploads to the case (and task) whose form named them, in the command's transaction."""
    for attachment_id, path in pending.items():
        result = cast(CursorResult[Any], session.execute(
            update(Attachment).where(Attachment.id == attachment_id, Attachment.case_id.is_(None))
            .values(case_id=case_id, task_id=task_id, field=path[:200])
            .execution_options(synchronize_session=False)))
        if result.rowcount != 1:
            raise Conflict("attachment_taken", attachment=attachment_id)
