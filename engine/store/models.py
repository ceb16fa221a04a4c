"""Tables of opsflow. Inbox and dashboard reads are plain SQL on these, never workflow blobs."""
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column
from sqlalchemy.sql import Select


class Stamp(TypeDecorator[datetime]):
    """A UTC timestamp that comes back timezone-aware from SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC."""
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Read naive SQLite values as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base whose metadata Alembic migrates."""

    # Every model maps one plain table, so its insert/update/delete statements can be built from it.
    __table__: ClassVar[Table]


class Department(Base):
    """A department of the organisation."""

    __tablename__ = "departments"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    head: Mapped[str | None] = mapped_column(String(64))


class Role(Base):
    """A role that lanes and start permissions refer to."""

    __tablename__ = "roles"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A person who signs in and works on tasks."""

    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(64))
    manager: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    # Raised by sign-out and password change; a web session names the generation it began in, so every
    # session from before ends at its next request.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UserRole(Base):
    """Which user holds which role."""

    __tablename__ = "user_roles"
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_user_roles_role", "role"),)


class Definition(Base):
    """One immutable deployed version of a process package."""

    __tablename__ = "definitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(200))
    manifest: Mapped[dict] = mapped_column(JSON)
    files: Mapped[dict] = deferred(mapped_column(JSON))
    deployed_at: Mapped[datetime] = mapped_column(Stamp())
    deployed_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_definitions_key_version"),
        UniqueConstraint("key", "content_hash", name="uq_definitions_key_hash"),
    )


class Activation(Base):
    """Append-only: which version of a procedure new cases start on from now on, who chose it and when.

    The newest row per procedure is the active version. Deploying new content adds one (the new version);
    `opsflow activate` adds one to roll back or forward. Running cases keep their own version.
    """

    __tablename__ = "activations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    activated_at: Mapped[datetime] = mapped_column(Stamp())
    activated_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_activations_key", "process_key", "id"),)


def active_definitions() -> Select[Any]:
    """Query: id, key, version, manifest and deployed_at of the active version of each procedure, by key."""
    newest = (select(Activation.process_key, func.max(Activation.id).label("id"))
              .group_by(Activation.process_key).subquery())
    return (select(Definition.id, Definition.key, Definition.version, Definition.manifest, Definition.deployed_at)
            .join(Activation, Activation.definition_id == Definition.id)
            .join(newest, newest.c.id == Activation.id)
            .order_by(Definition.key))


class CaseRecord(Base):
    """A running or finished case; `state` is the serialized SpiffWorkflow workflow, zlib-compressed JSON."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    starter: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(Stamp())
    updated_at: Mapped[datetime] = mapped_column(Stamp())
    ended_at: Mapped[datetime | None] = mapped_column(Stamp())
    end_event: Mapped[str | None] = mapped_column(String(200))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    serializer_version: Mapped[str] = mapped_column(String(20))
    state: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    search: Mapped[dict] = mapped_column(JSON, default=dict)
    # Confidential procedures: who may see this case, worked out from its data at every save.
    viewers: Mapped[list | None] = mapped_column(JSON)


class HumanTask(Base):
    """An open user task: the row inboxes query. Deleted when the task is done."""

    __tablename__ = "human_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(100))
    task_key: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300))
    title_zh: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Stamp())
    due_at: Mapped[datetime | None] = mapped_column(Stamp())
    escalated_at: Mapped[datetime | None] = mapped_column(Stamp())
    # 1 urgent, 2 high, 3 normal, 4 low: from the manifest's `priority` when the task became ready.
    priority: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    # Who may take the task while nobody holds it: "role" (holders of `role`) or "people" (its
    # candidate rows in task_people); see engine/runtime/access.py.
    pool: Mapped[str] = mapped_column(String(10), server_default="role")
    __table_args__ = (
        Index("ix_human_tasks_assignee_due", "assignee", "due_at"),
        Index("ix_human_tasks_role_assignee", "role", "assignee"),
        # Covers the inbox page's sort (due time, then creation and id) for a role's unclaimed tasks, so
        # paging a crowded shared inbox reads this index only, never the task rows.
        Index("ix_human_tasks_role_assignee_pool_due", "role", "assignee", "pool", "due_at", "created_at", "id"),
        Index("ix_human_tasks_case", "case_id"),
    )


# human_tasks.pool: who may take an unclaimed task (its role's holders, or the people task_people names);
# task_people.relation: a candidate of that pool, or someone excluded from the task altogether.
POOL_ROLE, POOL_PEOPLE = "role", "people"
CANDIDATE, EXCLUDED = "candidate", "excluded"


class TaskPerson(Base):
    """A person named for one open task: a `candidate` of its pool, or `excluded` from acting on it at all."""

    __tablename__ = "task_people"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    relation: Mapped[str] = mapped_column(String(10))
    __table_args__ = (Index("ix_task_people_username", "username", "relation", "task_id"),)


class Timer(Base):
    """A pending or fired timer: a BPMN timer event, a task's SLA, or a procedure's scheduled start."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for kind "start": a scheduled start belongs to a procedure (process_key), not to a case.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    process_key: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    task_id: Mapped[str] = mapped_column(String(200))
    # SLA timers belong to their open task row and vanish with it (no second DELETE per completion).
    human_task_id: Mapped[str | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(Stamp())
    fired_at: Mapped[datetime | None] = mapped_column(Stamp())
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "task_id", "due_at", name="uq_timers_task"),
        Index("ix_timers_pending_due", "due_at", sqlite_where=fired_at.is_(None),
              postgresql_where=fired_at.is_(None)),
    )


class Event(Base):
    """Append-only history: who did what to which case, when, with which data."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(Stamp())
    actor: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_key: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    __table_args__ = (Index("ix_events_case", "case_id", "id"),)


class TaskDraft(Base):
    """What a user typed into an open task's form but has not submitted; vanishes with the task row."""

    __tablename__ = "task_drafts"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(Stamp())


class Attachment(Base):
    """An uploaded file, described here; its bytes are in the runtime's file store under its id.

    `case_id` is None while the upload waits for the form it belongs to to be submitted.
    """

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(Stamp())


class SavedFilter(Base):
    """A user's named inbox filter (the query string of the inbox page)."""

    __tablename__ = "saved_filters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(Stamp())
    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_filters_username_name"),)


class WorkerHeartbeat(Base):
    """One timer worker's pulse, so /healthz on any machine sees whether timers still fire."""

    __tablename__ = "worker_heartbeats"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(Stamp())
    last_poll_at: Mapped[datetime] = mapped_column(Stamp(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None] = mapped_column(Stamp())


class OutboxMessage(Base):
    """A message a command decided someone should get, written in the command's own transaction.

    Nothing is sent inside a request: the worker sends unsent rows whose `not_before` has come, retrying
    with a later `not_before` after a failure, and sets `sent_at` once (engine/notify). `recipient` is a
    username, or None when `role` names the role whose holders get it (resolved when it is sent);
    `dedupe_key` is unique, so the same message about the same happening is recorded once.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Stamp())
    not_before: Mapped[datetime] = mapped_column(Stamp())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(Stamp())
    last_error: Mapped[str | None] = mapped_column(String(500))
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        # The worker's query: unsent rows of a channel whose time has come, oldest first.
        Index("ix_outbox_unsent", "channel", "not_before", "id", sqlite_where=sent_at.is_(None),
              postgresql_where=sent_at.is_(None)),
    )


class ApiToken(Base):
    """A personal API token: a caller of /api/v1 acts as `username` by presenting its secret.

    Only the SHA-256 of the secret is kept (`token_hash`, unique), so the secret is shown once, when made;
    `prefix` (its first characters) tells tokens apart in a list. A token is usable while its user is active,
    it is not revoked and its `expires_at`, if any, has not come. `username` carries no foreign key:
    `opsflow org load` replaces every user row, and a token outlives a reload of the same user.
    """

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Stamp())
    expires_at: Mapped[datetime | None] = mapped_column(Stamp())
    last_used_at: Mapped[datetime | None] = mapped_column(Stamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Stamp())
    __table_args__ = (
        Index("ix_api_tokens_token_hash", "token_hash", unique=True),
        Index("ix_api_tokens_username", "username", "id"),
    )
