"""Who may see and who may act: the engine's one place for both rules.

Seeing a case (starter, supervisors, people with a task of it, people who acted on it) and acting
on a task are separate questions. A task is held by its assignee, or waits in a pool: the holders of
its role (`pool` "role") or the candidates the manifest named (`pool` "people", rows in
task_people). People `excluded` from a task (a manifest's `exclude`, or `separate_duties`: whoever
did one step may not do another) may never claim, complete or be handed it, whatever roles they hold.
Anything a user may not see is reported as not found.
"""
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Label, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from engine.errors import Conflict, Forbidden, NotFound, NotReady, OpsflowError
from engine.org import Directory
from engine.runtime.context import Component
from engine.runtime.results import CaseRow, JsonObject, OpenTask
from engine.runtime.rows import load_row
from engine.store.models import (
    CANDIDATE,
    EXCLUDED,
    POOL_PEOPLE,
    POOL_ROLE,
    CaseRecord,
    Event,
    HumanTask,
    TaskPerson,
    User,
    UserRole,
)

ADMIN_ROLE = "admin"
TASK_COLUMNS = (HumanTask.id, HumanTask.case_id, HumanTask.process_key, HumanTask.task_key,
                HumanTask.title_en, HumanTask.title_zh, HumanTask.lane, HumanTask.role, HumanTask.assignee,
                HumanTask.created_at, HumanTask.due_at, HumanTask.escalated_at, HumanTask.priority)
MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number would fail in the database, not just miss

if TYPE_CHECKING:  # the catalogue's module is loaded by the runtime's facade; mypy alone needs the name here
    from engine.runtime.catalog import DeployedVersion


def is_supervisor(directory: Directory, username: str | None, manifest: JsonObject) -> bool:
    """Admins, the owner role and supervisor roles see every case; a confidential procedure names its own.

    Nobody (None, a trusted caller's read) supervises nothing."""
    return username is not None and bool(directory.roles_of(username) & supervisor_roles(manifest))


def supervisor_roles(manifest: JsonObject) -> set[str | None]:
    """The roles that supervise a procedure: its confidential roles, else its supervisor and owner roles and admins."""
    secret = manifest.get("confidential")
    if secret is not None:
        return set(secret.get("roles") or [])
    return set(manifest.get("supervisor_roles", [])) | {manifest.get("owner_role"), ADMIN_ROLE}


def can_start(directory: Directory, username: str, manifest: JsonObject) -> bool:
    """The user holds one of the procedure's start roles (or is an admin)."""
    roles = directory.roles_of(username)
    return bool(roles & (set(manifest.get("start_roles", [])) | {ADMIN_ROLE}))


def named(username: str, relation: str) -> Select[str]:
    """SQL: ids of the tasks that name `username` as a candidate (or as excluded)."""
    return select(TaskPerson.task_id).where(TaskPerson.username == username, TaskPerson.relation == relation)


def open_to(username: str, roles: set[str], scope: str = "all") -> ColumnElement[bool]:
    """SQL over human_tasks: the tasks `username` holds ("mine"), may take from a pool ("unclaimed"), or both.

    Each pool is a branch of its own, so a role's unclaimed tasks are read from the covering index
    (role, assignee, pool, due_at, ...) alone and a named pool by the ids of the user's few rows.
    """
    mine = HumanTask.assignee == username
    allowed = HumanTask.id.not_in(named(username, EXCLUDED))
    role_pool = and_(HumanTask.role.in_(roles or {""}), HumanTask.assignee.is_(None),
                     HumanTask.pool == POOL_ROLE, allowed)
    # coalesce(): "unclaimed" as an expression no index serves, so the planner reads this branch by the
    # user's candidate ids instead of walking every unclaimed task by the assignee index.
    people_pool = and_(HumanTask.id.in_(named(username, CANDIDATE)), func.coalesce(HumanTask.assignee, "") == "",
                       HumanTask.pool == POOL_PEOPLE, allowed)
    unclaimed = or_(role_pool, people_pool)
    return {"mine": mine, "unclaimed": unclaimed}.get(scope, or_(mine, role_pool, people_pool))


def pool_candidates(session: Session, rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Task id -> the usernames who may take it, for those task rows of a named pool (`pool` "people")."""
    ids = [row["id"] for row in rows if row.get("pool") == POOL_PEOPLE]
    found: dict[str, list[str]] = {}
    if ids:
        for task_id, username in session.execute(select(TaskPerson.task_id, TaskPerson.username).where(
                TaskPerson.task_id.in_(ids), TaskPerson.relation == CANDIDATE).order_by(TaskPerson.username)):
            found.setdefault(task_id, []).append(username)
    return found


def candidates_of(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give task rows of a named pool (`pool` "people") their `candidates`: the usernames who may take them."""
    found = pool_candidates(session, rows)
    for row in rows:
        row["candidates"] = found.get(row["id"], [])
    return rows


def person_flags(task_id: InstrumentedAttribute[str] | ColumnElement[str],
                 username: ColumnElement[str]) -> tuple[Label[bool], Label[bool], Label[bool]]:
    """SQL columns for one task row: does `username` hold its role, is a candidate of it, is excluded from it."""
    def person(relation: str) -> Any:
        return exists().where(TaskPerson.task_id == task_id, TaskPerson.username == username,
                              TaskPerson.relation == relation)
    has_role = exists().where(UserRole.username == username, UserRole.role == HumanTask.role)
    return (has_role.label("has_role"), person(CANDIDATE).label("is_candidate"),
            person(EXCLUDED).label("is_excluded"))


_ACTIVE = exists().where(User.username == bindparam("b_user"), User.active.is_(True))
_OPEN_TASK = (select(*TASK_COLUMNS, HumanTask.pool, CaseRecord.definition_id, CaseRecord.status, CaseRecord.starter,
                     CaseRecord.lock_version, *person_flags(HumanTask.id, bindparam("b_user")),
                     _ACTIVE.label("user_active"))
              .join(CaseRecord, CaseRecord.id == HumanTask.case_id).where(HumanTask.id == bindparam("b_task")))


def open_task(session: Session, task_id: str, user: str | None = None) -> OpenTask | None:
    """An open task joined with its case facts, and for `user`: active, holds its role, candidate, excluded; or None."""
    found = session.connection().execute(_OPEN_TASK, {"b_task": str(task_id), "b_user": user}).first()
    return cast(OpenTask, dict(found._mapping)) if found else None


def can_see_case(session: Session, directory: Directory, username: str, row: CaseRow, manifest: JsonObject) -> bool:
    """Starter, supervisors, anyone whose inbox holds a task of it, and anyone who acted on it.

    A confidential procedure shows a case only to its starter, its roles and the users its
    expressions name (row["viewers"]); doing one task of it shows that task, not the case.
    """
    if row["starter"] == username or is_supervisor(directory, username, manifest):
        return True
    if manifest.get("confidential") is not None:
        return username in (row.get("viewers") or [])
    open_for_me = exists().where(HumanTask.case_id == row["id"], open_to(username, directory.roles_of(username)))
    acted = exists().where(Event.case_id == row["id"], Event.actor == username)
    return bool(session.scalar(select(open_for_me | acted)))


def can_cancel(directory: Directory, username: str | None, row: CaseRow, manifest: JsonObject) -> bool:
    """Who may cancel a case (while it runs): its starter and the procedure's supervisors."""
    return row["starter"] == username or is_supervisor(directory, username, manifest)


def in_pool(task_row: OpenTask) -> bool:
    """Whether the user the row was read for belongs to the task's pool (role holder or named candidate)."""
    if task_row["is_excluded"]:
        return False
    return bool(task_row["has_role"] if task_row["pool"] == POOL_ROLE else task_row["is_candidate"])


def can_work_on(username: str, task_row: OpenTask) -> bool:
    """The assignee, or (while unclaimed) anyone in its pool; never someone excluded from it."""
    if task_row["assignee"] is not None:
        return task_row["assignee"] == username and not task_row["is_excluded"]
    return in_pool(task_row)


def can_claim(task_row: OpenTask) -> bool:
    """An unclaimed task the user may take from its pool."""
    return task_row["assignee"] is None and in_pool(task_row)


def can_see_task(directory: Directory, username: str, task_row: OpenTask, manifest: JsonObject) -> bool:
    """Who may open a task: whoever may work on it, and the procedure's supervisors."""
    return can_work_on(username, task_row) or is_supervisor(directory, username, manifest)


def eligible_users(task_row: OpenTask, repair: bool = False) -> Select[str, str, str | None]:
    """SQL: active users who may hold the task: its pool (role holders or candidates) less the excluded.

    `repair` widens a named pool nobody can take (see `stuck`) to the holders of the task's role as well.
    """
    holds_role = exists().where(UserRole.username == User.username, UserRole.role == (task_row["role"] or ""))
    named_here = exists().where(TaskPerson.task_id == task_row["id"], TaskPerson.username == User.username,
                                TaskPerson.relation == CANDIDATE)
    widened = or_(named_here, holds_role) if repair else named_here
    in_pool = holds_role if task_row["pool"] == POOL_ROLE else widened
    excluded = exists().where(TaskPerson.task_id == task_row["id"], TaskPerson.username == User.username,
                              TaskPerson.relation == EXCLUDED)
    return select(User.username, User.name, User.department).where(User.active.is_(True), in_pool, ~excluded)


def is_eligible(session: Session, task_row: OpenTask, username: str) -> bool:
    """Whether `username` is one of the task's eligible users (a reassignment's target must be)."""
    return session.execute(eligible_users(task_row).where(User.username == username).limit(1)).first() is not None


def others_in_pool(session: Session, task_row: OpenTask, username: str) -> bool:
    """Whether anyone but `username` could take the task if they gave it back (so a release makes sense)."""
    return session.execute(eligible_users(task_row).where(User.username != username).limit(1)).first() is not None


def stuck() -> ColumnElement[bool]:
    """SQL over human_tasks: unclaimed tasks of a named pool with no active candidate, which nobody may take.

    They come from an assignee expression that named nobody, someone inactive or someone excluded (and no
    stand-ins), or from candidates deactivated since; only a supervisor's repair gets them going again.
    """
    person = aliased(TaskPerson)
    live = exists().where(person.task_id == HumanTask.id, person.relation == CANDIDATE,
                          exists().where(User.username == person.username, User.active.is_(True)))
    return and_(HumanTask.pool == POOL_PEOPLE, HumanTask.assignee.is_(None), ~live)


class Guard(Component):
    """The checks every command and read makes before it shows or changes anything, with the reason it refuses."""

    def task(self, session: Session, directory: Directory, task_id: str, user: str) -> OpenTask:
        """An open task joined with its case, or an error that explains a stale page."""
        task = open_task(session, task_id, user)
        if task is None:
            raise self.why_not_open(session, directory, task_id, user)
        if not task["user_active"]:
            raise Forbidden("user_inactive", user=user)
        manifest = self.catalog.get(task["definition_id"], session).package.manifest
        if not can_see_task(directory, user, task, manifest):
            raise NotFound("no_task", task=task_id)
        return task

    def case(self, session: Session, directory: Directory, case_id: int | str,
             user: str | None) -> tuple[CaseRow, "DeployedVersion"]:
        """(row, deployed version) of a case `user` may see (None: a trusted caller); else NotFound."""
        row = load_row(session, _case_id(case_id))
        if row is None:
            raise NotFound("no_case", case=case_id)
        deployed = self.catalog.get(row["definition_id"], session)
        if user is not None and not can_see_case(session, directory, user, row, deployed.package.manifest):
            raise NotFound("no_case", case=case_id)
        return row, deployed

    def check_can_work_on(self, user: str, task: OpenTask) -> None:
        """Forbidden unless `user` may complete the task: its assignee, or one of its pool while unclaimed."""
        if not can_work_on(user, task):
            raise self.why_not_eligible(task, user)

    @staticmethod
    def why_not_eligible(task: OpenTask, user: str) -> Forbidden:
        """The refusal (Forbidden) to claim or complete: excluded, held by someone else, or not in the pool."""
        if task["is_excluded"]:
            return Forbidden("separation_of_duties", user=user, step=task["task_key"], case=task["case_id"])
        if task["assignee"] is not None:
            return Forbidden("task_assigned_to_other", task=task["id"], owner=task["assignee"], user=user)
        if task["pool"] == POOL_ROLE:
            return Forbidden("role_not_held", user=user, role=task["role"], task=task["id"])
        return Forbidden("not_a_candidate", user=user, task=task["id"])

    def check_supervisor(self, session: Session, directory: Directory, user: str, task: OpenTask) -> None:
        """Forbidden unless `user` supervises the task's procedure."""
        manifest = self.catalog.get(task["definition_id"], session).package.manifest
        if not is_supervisor(directory, user, manifest):
            raise Forbidden("not_supervisor", user=user, procedure=task["process_key"])

    def why_not_open(self, session: Session, directory: Directory, task_id: str, user: str) -> OpsflowError:
        """Tell a stale page (task done, case cancelled) from a wrong id, to those who may know."""
        last = session.execute(select(Event.case_id, Event.actor, Event.at, Event.kind, Event.data)
                               .where(Event.task_id == str(task_id)).order_by(Event.id.desc()).limit(1)).first()
        row = load_row(session, last.case_id) if last is not None else None
        if row is None:
            return NotFound("no_open_task", task=task_id)
        manifest = self.catalog.get(row["definition_id"], session).package.manifest
        assert last is not None  # the case row was read through it
        facts = last.data or {}
        was_candidate = facts.get("assignee") == user or facts.get("role") in directory.roles_of(user)
        if not was_candidate and not can_see_case(session, directory, user, row, manifest):
            return NotFound("no_open_task", task=task_id)
        if row["status"] == "cancelled":
            return NotReady("case_cancelled", case=row["id"], task=task_id)
        if last.kind == "task_completed":
            return Conflict("task_done", task=task_id, user=last.actor, at=last.at)
        return NotReady("task_closed", task=task_id, case=row["id"])


def _case_id(value: int | str) -> int:
    """A case id as the integer the table holds (-1, which matches nothing, for text or a number out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number <= MAX_ID else -1
