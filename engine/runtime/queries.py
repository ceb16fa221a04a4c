"""The runtime's reads: a task and its page, a case, what a user may start, their requests, the organisation.

Plain SQL rows; a workflow is loaded (from the workflow cache when current) only for case data.
"""
import functools
from typing import Any, cast, overload

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import formfields
from engine.definitions import Package
from engine.errors import FieldError, NotFound, ValidationFailed
from engine.formfields import any_field
from engine.formrules import resolve_choices
from engine.org import Directory
from engine.runtime import access, spiff
from engine.runtime.access import TASK_COLUMNS, Guard
from engine.runtime.accounts import active_people
from engine.runtime.attachments import case_attachments, readable_attachments
from engine.runtime.case import load_workflow
from engine.runtime.catalog import DeployedVersion
from engine.runtime.context import Component, Context
from engine.runtime.diagram import localized_diagram
from engine.runtime.inbox import clamp_page, page_count, page_size, whole_number
from engine.runtime.repair import repair_facts
from engine.runtime.repeated import name_helpers
from engine.runtime.results import (
    ActiveDefinition,
    AttachmentMeta,
    CasePage,
    CaseRow,
    CaseView,
    DepartmentRow,
    Draft,
    JsonObject,
    OpenTask,
    OrgUser,
    Person,
    Procedure,
    RequestRow,
    RequestsPage,
    RoleRow,
    StartableProcedure,
    StartForm,
    TaskActions,
    TaskPage,
    TaskRow,
    TaskView,
    Texts,
    WaitingTask,
)
from engine.runtime.rows import task_case_row
from engine.runtime.spiff import Workflow
from engine.store.models import (
    CaseRecord,
    Definition,
    Department,
    Event,
    HumanTask,
    Role,
    TaskDraft,
    User,
    UserRole,
    active_definitions,
)
from engine.templates import pick_language, render

STATUSES = ("running", "completed", "cancelled")
_CASE_COLUMNS = (CaseRecord.id, CaseRecord.process_key, Definition.version, CaseRecord.status, CaseRecord.started_at,
                 CaseRecord.ended_at, CaseRecord.updated_at, CaseRecord.search, CaseRecord.end_event)
_WAITING_COLUMNS = (HumanTask.case_id, HumanTask.id, HumanTask.title_en, HumanTask.title_zh, HumanTask.role,
                    HumanTask.assignee, HumanTask.created_at.label("since"), HumanTask.due_at)


class Queries(Component):
    """Reads for the web UI, the CLI and tests; `guard` hides what the reader may not see."""

    def __init__(self, ctx: Context, guard: Guard) -> None:
        super().__init__(ctx)
        self.guard = guard

    def task(self, task_id: str, user: str, language: str = "en") -> TaskView:
        """One open task with its form schema, its data and instructions rendered in `language`."""
        with self.db.read() as session:
            return self._task(session, Directory(session), task_id, user, language)

    def task_page(self, task_id: str, user: str, language: str = "en", shown: JsonObject | None = None) -> TaskPage:
        """Everything a task's page shows, read in one transaction (NotFound for a task `user` may not see).

        {task, actions, draft, case (None when only the task may be seen), candidates and repair (for its
        supervisors), attachments (id -> metadata of the files its form shows: of the case, and the user's
        uploads named by `shown`, the values a refused submission comes back with, else the draft), people
        (for user pickers)}.
        """
        with self.db.read() as session:
            directory = Directory(session)
            task = self._task(session, directory, task_id, user, language)
            manifest = self.catalog.get(task["definition_id"], session).package.manifest
            actions = _actions(session, directory, user, task, manifest)
            try:
                case: CasePage | None = self._case_page(session, directory, task["case_id"], user, language)
            except NotFound:
                case = None
            draft = _draft(session, task_id, user)
            supervisor = actions["can_reassign"]
            return {"task": task, "actions": actions, "draft": draft, "case": case,
                    "candidates": _eligible(session, task) if supervisor else [],
                    "repair": repair_facts(session, task) if supervisor else None,
                    "attachments": _form_files(session, task, shown, draft, case, user),
                    "people": active_people(session) if any_field(task["schema"], "user") else None}

    def _task(self, session: Session, directory: Directory, task_id: str, user: str, language: str) -> TaskView:
        """The open task with its title, schema (choices resolved), data, version and instructions."""
        task = self.guard.task(session, directory, task_id, user)
        deployed = self.catalog.get(task["definition_id"], session)
        workflow = load_workflow(self.ctx, session, task_case_row(task))
        self.cache.put(task["case_id"], task["lock_version"], workflow)
        spiff_task = spiff.find_task(workflow, task_id)
        data = dict(spiff_task.data) if spiff_task is not None else {}
        form = deployed.package.form_for(task["task_key"]) or {}
        shown = dict(data, **name_helpers(directory, language))
        row_title: Texts = {"en": task["title_en"], "zh-Hant": task["title_zh"]}
        return {**task, "candidates": access.pool_candidates(session, [task]).get(task["id"], []),
                "title": form.get("title") or row_title,
                "schema": resolve_choices(form.get("schema"), self.ctx.rule_names(data, directory)), "data": data,
                "version": deployed.version,
                "instructions": render(pick_language(form.get("instructions"), language), shown)}

    @overload
    def case(self, case_id: int, viewer: str | None = None, language: None = None) -> CaseView: ...

    @overload
    def case(self, case_id: int, viewer: str, language: str) -> CasePage: ...

    def case(self, case_id: int, viewer: str | None = None, language: str | None = None) -> CaseView | CasePage:
        """A case: status, version, open tasks, data, path and history, as `viewer` may see it (NotFound when
        they may not; None: a trusted caller). With `language`, also what its page shows: the procedure's name,
        the diagram with the case's state (step names in that language), attachments and what `viewer` may do."""
        with self.db.read() as session:
            directory = Directory(session)
            if language is None:
                return self._case(session, directory, case_id, viewer)[0]
            return self._case_page(session, directory, case_id, viewer, language)

    def _case_page(self, session: Session, directory: Directory, case_id: int, viewer: str | None,
                   language: str) -> CasePage:
        """The case as its page shows it in `language`, inside a transaction."""
        view, row, deployed, workflow = self._case(session, directory, case_id, viewer)
        manifest = deployed.package.manifest
        return {**view, "name": manifest["name"], "attachments": case_attachments(session, row["id"]),
                "is_supervisor": access.is_supervisor(directory, viewer, manifest),
                "can_cancel": row["status"] == "running" and access.can_cancel(directory, viewer, row, manifest),
                "diagram": {**spiff.node_states(workflow), "xml": localized_diagram(deployed.package, language),
                            "process_id": deployed.package.process_id}}

    def _case(self, session: Session, directory: Directory, case_id: int,
              viewer: str | None) -> tuple[CaseView, CaseRow, DeployedVersion, Workflow]:
        """The case as `case` reads it, inside a transaction, with the row, version and workflow it was read from."""
        row, deployed = self.guard.case(session, directory, case_id, viewer)
        facts = session.execute(select(CaseRecord).where(CaseRecord.id == row["id"])).scalar_one()
        workflow = load_workflow(self.ctx, session, row)
        self.cache.put(row["id"], row["lock_version"], workflow)
        tasks = session.execute(select(*TASK_COLUMNS).where(HumanTask.case_id == row["id"])
                                .order_by(HumanTask.created_at)).all()
        events = session.execute(select(Event).where(Event.case_id == row["id"]).order_by(Event.id)).scalars()
        view: CaseView = {"id": row["id"], "process_key": row["process_key"], "version": deployed.version,
                "definition_id": row["definition_id"], "status": row["status"], "starter": row["starter"],
                "started_at": facts.started_at, "ended_at": facts.ended_at, "end_event": facts.end_event,
                "search": facts.search,
                "tasks": [cast(TaskRow, dict(t._mapping)) for t in tasks], "data": spiff.case_data(workflow),
                "path": spiff.completed_path(workflow),
                "history": [{"at": e.at, "actor": e.actor, "kind": e.kind, "task_id": e.task_id,
                             "task_key": e.task_key, "data": e.data} for e in events]}
        return view, row, deployed, workflow

    def startable(self, user: str) -> list[StartableProcedure]:
        """The active version of every procedure an active user may start, by key."""
        with self.db.read() as session:
            directory = Directory(session)
            if not directory.is_active(user):
                return []
            deployed = [self.catalog.get(r.id, session) for r in session.execute(active_definitions())
                      if access.can_start(directory, user, r.manifest)]
        return [{**_procedure(version), "has_form": bool(_fields(version.package.start_form()))}
                for version in deployed]

    def start_form(self, process_key: str, user: str, language: str = "en") -> StartForm:
        """The start form of a procedure's active version, for a user who may start it (else NotFound)."""
        with self.db.read() as session:
            directory = Directory(session)
            deployed = self.catalog.get(self.catalog.active_id(session, process_key), session)
            if not directory.is_active(user) or not access.can_start(directory, user, deployed.package.manifest):
                raise NotFound("no_procedure", procedure=process_key)
            form = deployed.package.start_form() or {}
            schema = resolve_choices(form.get("schema"), self.ctx.rule_names({"starter": user}, directory))
        return {
            **_procedure(deployed),
            "title": form.get("title") or deployed.package.manifest["name"],
            "schema": schema,
            "instructions": render(pick_language(form.get("instructions"), language), {}),
            "searchable": list(deployed.package.manifest.get("searchable") or [])}

    def requests(self, user: str, *, status: str | None = None, page: int | str = 1,
                 per_page: int | str = 50) -> RequestsPage:
        """The cases the user started, newest first, each with the people it waits for."""
        if status not in (None, "", *STATUSES):
            raise ValidationFailed({"status": FieldError("not_one_of", choices=", ".join(STATUSES))})
        where = [CaseRecord.starter == user] + ([CaseRecord.status == status] if status else [])
        size = page_size(per_page)
        with self.db.read() as session:
            total: int = session.execute(select(func.count()).select_from(CaseRecord).where(*where)).scalar_one()
            number = clamp_page(whole_number(page, "page"), total, size)
            cases = [cast(RequestRow, dict(r._mapping)) for r in session.execute(
                select(*_CASE_COLUMNS).join(Definition, Definition.id == CaseRecord.definition_id).where(*where)
                .order_by(CaseRecord.started_at.desc(), CaseRecord.id.desc()).limit(size)
                .offset((number - 1) * size))]
            waiting = session.execute(select(*_WAITING_COLUMNS)
                                      .where(HumanTask.case_id.in_([c["id"] for c in cases]))
                                      .order_by(HumanTask.created_at, HumanTask.id)).all() if cases else []
        by_case: dict[int, list[WaitingTask]] = {}
        for task in waiting:
            shown = {k: v for k, v in task._mapping.items() if k != "case_id"}
            by_case.setdefault(task.case_id, []).append(cast(WaitingTask, shown))
        for item in cases:
            item["waiting"] = by_case.get(item["id"], [])
            item["can_cancel"] = item["status"] == "running"
        return {"cases": cases, "total": total, "page": number, "pages": page_count(total, size)}

    def draft(self, task_id: str, user: str) -> Draft | None:
        """The user's draft of a task's form: {data, saved_at}, or None."""
        with self.db.read() as session:
            return _draft(session, task_id, user)

    def candidates(self, task_id: str, user: str) -> list[Person]:
        """Active users a supervisor may hand an open task to: its pool (role or named people) less the excluded."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            self.guard.check_supervisor(session, directory, user, task)
            return _eligible(session, task)

    def field_choices(self, process_key: str) -> dict[str, dict[str, Any]]:
        """field -> {code: {en, zh-Hant}} of the active version's choice fields (NotFound when not deployed)."""
        return choice_labels(self._active_package(process_key))

    def _active_package(self, process_key: str) -> Package:
        """The package of a procedure's active version (parsed once per process by the catalogue)."""
        with self.db.read() as session:
            return self.catalog.get(self.catalog.active_id(session, process_key), session).package

    def task_actions(self, task_id: str, user: str) -> TaskActions:
        """Which buttons an open task shows the user: complete, claim, release, reassign."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            manifest = self.catalog.get(task["definition_id"], session).package.manifest
            return _actions(session, directory, user, task, manifest)

    def ping(self) -> None:
        """Run a trivial query; raises when the database cannot be reached (health checks)."""
        with self.db.read() as session:
            session.execute(select(1))

    def users(self) -> list[OrgUser]:
        """The organisation: every user with department, manager and roles."""
        with self.db.read() as session:
            roles: dict[str, list[str]] = {}
            for username, role in session.execute(select(UserRole.username, UserRole.role)):
                roles.setdefault(username, []).append(role)
            users = session.execute(select(User.username, User.name, User.email, User.department, User.manager,
                                           User.active).order_by(User.username)).all()
            return [cast(OrgUser, dict(u._mapping, roles=sorted(roles.get(u.username, [])))) for u in users]

    def departments(self) -> list[DepartmentRow]:
        """Every department with its names and head."""
        with self.db.read() as session:
            rows = session.execute(select(Department.key, Department.name_en, Department.name_zh, Department.head)
                                   .order_by(Department.key))
            return [cast(DepartmentRow, dict(r._mapping)) for r in rows]

    def roles(self) -> list[RoleRow]:
        """Every role with its names."""
        with self.db.read() as session:
            rows = session.execute(select(Role.key, Role.name_en, Role.name_zh))
            return [cast(RoleRow, dict(r._mapping)) for r in rows]

    def definitions(self) -> list[ActiveDefinition]:
        """The active version (the one new cases start on) of each deployed procedure."""
        with self.db.read() as session:
            return [cast(ActiveDefinition, dict(r._mapping)) for r in session.execute(active_definitions())]


def _procedure(deployed: DeployedVersion) -> Procedure:
    """Key, version, name and description of a deployed version."""
    manifest = deployed.package.manifest
    return {"key": deployed.package.key, "version": deployed.version, "name": manifest["name"],
            "description": manifest["description"]}


def _fields(form: JsonObject | None) -> dict[str, Any]:
    """The properties of a form's schema (none for a missing form)."""
    return ((form or {}).get("schema") or {}).get("properties") or {}


@functools.lru_cache(maxsize=64)
def choice_labels(package: Package) -> dict[str, dict[str, Any]]:
    """The labels of every stored code a case field may hold: its forms' x-enum-labels (top-level fields),
    then the manifest's searchable `choices` for codes a script works out."""
    found: dict[str, dict[str, Any]] = {}
    for form in package.forms.values():
        for name, prop in _fields(form).items():
            if isinstance(prop, dict) and isinstance(prop.get("x-enum-labels"), dict):
                found.setdefault(name, {}).update({str(k): v for k, v in prop["x-enum-labels"].items()})
    for spec in package.manifest.get("searchable") or []:
        if spec.get("choices"):
            found.setdefault(spec["field"], {}).update(spec["choices"])
    return found


def _actions(session: Session, directory: Directory, user: str, task: OpenTask, manifest: JsonObject) -> TaskActions:
    """Which buttons an open task shows `user`: complete, claim, release, reassign."""
    return {"can_complete": access.can_work_on(user, task),
            "can_claim": access.can_claim(task),
            "can_release": task["assignee"] == user and access.others_in_pool(session, task, user),
            "can_reassign": access.is_supervisor(directory, user, manifest)}


def _draft(session: Session, task_id: str, user: str) -> Draft | None:
    """The user's draft of a task's form: {data, saved_at}, or None."""
    found = session.execute(select(TaskDraft.data, TaskDraft.saved_at).where(
        TaskDraft.task_id == str(task_id), TaskDraft.username == user)).first()
    return cast(Draft, dict(found._mapping)) if found else None


def _eligible(session: Session, task: OpenTask) -> list[Person]:
    """The active users who may hold the task, by name."""
    return [cast(Person, dict(r._mapping))
            for r in session.execute(access.eligible_users(task).order_by(User.name, User.username))]


def _form_files(session: Session, task: TaskView, shown: JsonObject | None, draft: Draft | None, case: CasePage | None,
                user: str) -> dict[str, AttachmentMeta]:
    """id -> metadata of the files a task's form may show: its case's, and the user's pending uploads it names."""
    known = {a["id"]: a for a in case["attachments"]} if case else {}
    if not formfields.has_file_fields(task["schema"]):
        return known
    values = shown if shown is not None else (draft["data"] if draft else None) or task["data"]
    named = {v for _path, v in formfields.file_values(task["schema"], values) if isinstance(v, str)} - set(known)
    return known | readable_attachments(session, named, user)
