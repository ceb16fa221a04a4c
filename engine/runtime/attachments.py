"""Uploads: files attached to a case, or waiting for the form they were uploaded with to be submitted."""
from collections.abc import Iterable
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.errors import FieldError, Forbidden, NotFound, NotReady, ValidationFailed
from engine.filestore import KEY_PATTERN
from engine.org import Directory
from engine.runtime import files
from engine.runtime.access import Guard
from engine.runtime.context import Component, Context
from engine.runtime.results import AttachmentMeta, CaseRow
from engine.store.models import Attachment, Event

# An upload made with a form that was never submitted is deleted after this long.
PENDING_LIFETIME = timedelta(hours=24)
# Uploads one user may have waiting for their forms at once.
MAX_PENDING_PER_USER = 100


class Attachments(Component):
    """Store, describe and hand out uploaded files; who may read one follows who may see its case."""

    def __init__(self, ctx: Context, guard: Guard) -> None:
        super().__init__(ctx)
        self.guard = guard

    def add_attachment(self, user: str, filename: object, content_type: object, stream: BinaryIO, *,
                       case_id: int | None = None, task_id: object = None,
                       field: object = None) -> AttachmentMeta:
        """Store a binary stream as a new attachment; return its metadata.

        With `case_id` it is added to that running case (and its history); without, it waits for
        the form it was uploaded with, and only its uploader may use it.
        """
        names = {"task_id": _optional_text(task_id, "task_id", 36), "field": _optional_text(field, "field", 200),
                 "filename": files.clean_filename(filename), "content_type": files.clean_content_type(content_type)}
        with self.db.read() as session:
            self._check_upload(session, user, case_id)
        stored = self.ctx.file_store.put(stream, self.settings.max_attachment_bytes)
        try:
            with self.db.write() as session:
                row = self._check_upload(session, user, case_id)
                attachment = Attachment(id=stored.key, case_id=row and row["id"], size=stored.size,
                                        sha256=stored.sha256, uploaded_by=user, uploaded_at=self.clock.now(), **names)
                session.add(attachment)
                if row is not None:
                    session.add(Event(case_id=row["id"], at=attachment.uploaded_at, actor=user,
                                      kind="attachment_added", task_id=names["task_id"],
                                      data={"id": stored.key, "filename": names["filename"], "size": stored.size}))
        except BaseException:
            self.ctx.file_store.delete(stored.key)
            raise
        return attachment_metadata(attachment)

    def _check_upload(self, session: Session, user: str, case_id: int | None) -> CaseRow | None:
        """The running case an upload goes to (None for a pending upload), if `user` may add to it."""
        directory = Directory(session)
        if case_id is None:
            if not directory.is_active(user):
                raise Forbidden("user_inactive", user=user)
            waiting = session.scalars(select(func.count()).select_from(Attachment).where(
                Attachment.case_id.is_(None), Attachment.uploaded_by == user)).one()
            if waiting >= MAX_PENDING_PER_USER:
                raise ValidationFailed({"file": FieldError("uploads_waiting", count=waiting)})
            return None
        if not directory.is_active(user):
            raise NotFound("no_case", case=case_id)
        row, _deployed = self.guard.case(session, directory, case_id, user)
        if row["status"] != "running":
            raise NotReady("case_closed_for_files", case=row["id"], status=row["status"])
        return row

    def purge_pending_uploads(self, older_than: timedelta = PENDING_LIFETIME) -> int:
        """Delete uploads no submitted form took within `older_than` (rows, then their bytes); return how many."""
        cutoff = self.clock.now() - older_than
        with self.db.write() as session:
            stale = list(session.scalars(select(Attachment.id).where(Attachment.case_id.is_(None),
                                                                      Attachment.uploaded_at < cutoff)))
            if stale:
                session.execute(delete(Attachment).where(Attachment.id.in_(stale), Attachment.case_id.is_(None)))
        for attachment_id in stale:
            self.ctx.file_store.delete(attachment_id)
        return len(stale)

    def attachment(self, attachment_id: str, user: str) -> tuple[AttachmentMeta, object]:
        """(metadata, where the file store keeps it) of an attachment `user` may read; else NotFound."""
        found = self._readable_attachment(attachment_id, user)
        if not self.ctx.file_store.exists(attachment_id):
            raise NotFound("attachment_file_missing", attachment=attachment_id)
        return attachment_metadata(found), self.ctx.file_store.location(attachment_id)

    def open_attachment(self, attachment_id: str, user: str) -> tuple[AttachmentMeta, BinaryIO]:
        """(metadata, binary file object to read and close) of an attachment `user` may read; else NotFound."""
        found = self._readable_attachment(attachment_id, user)
        try:
            stream = self.ctx.file_store.open(attachment_id)
        except FileNotFoundError:
            raise NotFound("attachment_file_missing", attachment=attachment_id) from None
        return attachment_metadata(found), stream

    def _readable_attachment(self, attachment_id: object, user: str) -> Attachment:
        """The row of an attachment `user` may read: its case's readers, or its uploader while it is pending."""
        if not isinstance(attachment_id, str) or not KEY_PATTERN.match(attachment_id):
            raise NotFound("no_attachment", attachment=attachment_id)
        with self.db.read() as session:
            found = session.get(Attachment, attachment_id)
            if found is None or (found.case_id is None and found.uploaded_by != user):
                raise NotFound("no_attachment", attachment=attachment_id)
            if found.case_id is not None:
                self.guard.case(session, Directory(session), found.case_id, user)
        return found


def case_attachments(session: Session, case_id: int) -> list[AttachmentMeta]:
    """Metadata of a case's attachments, oldest first."""
    rows = session.scalars(select(Attachment).where(Attachment.case_id == case_id)
                           .order_by(Attachment.uploaded_at, Attachment.id))
    return [attachment_metadata(r) for r in rows]


def readable_attachments(session: Session, attachment_ids: Iterable[str], user: str) -> dict[str, AttachmentMeta]:
    """id -> metadata of those of `attachment_ids` that are `user`'s uploads still waiting for a form."""
    if not attachment_ids:
        return {}
    rows = session.scalars(select(Attachment).where(Attachment.id.in_(sorted(attachment_ids)),
                                                    Attachment.case_id.is_(None), Attachment.uploaded_by == user))
    return {row.id: attachment_metadata(row) for row in rows}


def attachment_metadata(row: Attachment) -> AttachmentMeta:
    """An attachment row as the plain dict callers get (results.AttachmentMeta)."""
    return {"id": row.id, "case_id": row.case_id, "task_id": row.task_id, "field": row.field,
            "filename": row.filename, "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
            "uploaded_by": row.uploaded_by, "uploaded_at": row.uploaded_at}


def _optional_text(value: object, name: str, limit: int) -> str | None:
    """An optional short text (a task id, a field path) that must fit its column."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed({name: FieldError("text_too_long", most=limit)})
    return value
