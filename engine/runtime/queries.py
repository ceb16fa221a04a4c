"""The runtime's reads: a task and its page, a case, what a user may start, their requests, the organisation.

Plain SQL rows; a workflow is loaded (from the instance cache when current) only for case data.
"""
import functools

from sqlalchemy import func, select

from engine import formfields
from engine.errors import FieldError, NotFound, ValidationFailed
from engine.formfields import any_field
from engine.formrules import resolve_choices
from engine.org import Directory
from engine.runtime import access, spiff
from engine.runtime.access import TASK_COLUMNS
from engine.runtime.accounts import active_people
from engine.runtime.attachments import case_attachments, readable_attachments
from engine.runtime.case import load_workflow, task_case_row
from engine.runtime.context import Component
from engine.runtime.diagram import localized_diagram
from engine.runtime.inbox import clamp_page, page_count, page_size, whole_number
from engine.runtime.repair import repair_facts
from engine.runtime.repeated import name_helpers
from engine.store.models import (
    Definition,
    Department,
    Event,
    HumanTask,
    Instance,
    Role,
    TaskDraft,
    User,
    UserRole,
    active_definitions,
)
from engine.templates import pick_language, render

STATUSES = ("running", "completed", "cancelled")
_CASE_COLUMNS = (Instance.id, Instance.process_key, Definition.version, Instance.status, Instance.started_at,
                 Instance.ended_at, Instance.updated_at, Instance.search, Instance.end_event)
_WAITING_COLUMNS = (HumanTask.instance_id, HumanTask.id, HumanTask.title_en, HumanTask.title_zh, HumanTask.role,
                    HumanTask.assignee, HumanTask.created_at.label("since"), HumanTask.due_at)


class Queries(Component):
    """Reads for the web UI, the CLI and tests; `guard` hides what the reader may not see."""

    def __init__(self, ctx, guard):
        super().__init__(ctx)
        self.guard = guard

    def task(self, task_id, user, language="en"):
        """One open task with its form schema, its data and instructions rendered in `language`."""
        with self.db.read() as session:
            return self._task(session, Directory(session), task_id, user, language)

    def task_page(self, task_id, user, language="en", shown=None):
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
                case = self._case(session, directory, task["instance_id"], user, language)
            except NotFound:
                case = None
            draft = _draft(session, task_id, user)
            supervisor = actions["can_reassign"]
            return {"task": task, "actions": actions, "draft": draft, "case": case,
                    "candidates": _eligible(session, task) if supervisor else [],
                    "repair": repair_facts(session, task) if supervisor else None,
                    "attachments": _form_files(session, task, shown, draft, case, user),
                    "people": active_people(session) if any_field(task["schema"], "user") else None}

    def _task(self, session, directory, task_id, user, language):
        """The open task with its title, schema (choices resolved), data, version and instructions."""
        task = self.guard.task(session, directory, task_id, user)
        deployed = self.catalog.get(task["definition_id"], session)
        workflow = load_workflow(self.ctx, session, task_case_row(task))
        self.cache.put(task["instance_id"], task["lock_version"], workflow)
        spiff_task = spiff.find_task(workflow, task_id)
        data = dict(spiff_task.data) if spiff_task is not None else {}
        form = deployed.package.form_for(task["task_key"]) or {}
        shown = dict(data, **name_helpers(directory, language))
        access.candidates_of(session, [task])
        return dict(task, title=form.get("title") or {"en": task["title_en"], "zh-Hant": task["title_zh"]},
                    schema=resolve_choices(form.get("schema"), self.ctx.rule_names(data, directory)), data=data,
                    version=deployed.version,
                    instructions=render(pick_language(form.get("instructions"), language), shown))

    def case(self, case_id, viewer=None, language=None):
        """A case: status, version, open tasks, data, path and history, as `viewer` may see it (NotFound when
        they may not; None: a trusted caller). With `language`, also what its page shows: the procedure's name,
        the diagram with the case's state (step names in that language), attachments and what `viewer` may do."""
        with self.db.read() as session:
            return self._case(session, Directory(session), case_id, viewer, language)

    def _case(self, session, directory, case_id, viewer, language):
        """The case as `case` reads it, inside a transaction."""
        row, deployed = self.guard.case(session, directory, case_id, viewer)
        facts = session.execute(select(Instance).where(Instance.id == row["id"])).scalar_one()
        workflow = load_workflow(self.ctx, session, row)
        self.cache.put(row["id"], row["lock_version"], workflow)
        tasks = session.execute(select(*TASK_COLUMNS).where(HumanTask.instance_id == row["id"])
                                .order_by(HumanTask.created_at)).all()
        events = session.execute(select(Event).where(Event.instance_id == row["id"]).order_by(Event.id)).scalars()
        view = {"id": row["id"], "process_key": row["process_key"], "version": deployed.version,
                "definition_id": row["definition_id"], "status": row["status"], "starter": row["starter"],
                "started_at": facts.started_at, "ended_at": facts.ended_at, "end_event": facts.end_event,
                "search": facts.search,
                "tasks": [dict(t._mapping) for t in tasks], "data": spiff.case_data(workflow),
                "path": spiff.completed_path(workflow),
                "history": [{"at": e.at, "actor": e.actor, "kind": e.kind, "task_id": e.task_id,
                             "task_key": e.task_key, "data": e.data} for e in events]}
        if language is None:
            return view
        manifest = deployed.package.manifest
        view.update(name=manifest["name"], attachments=case_attachments(session, row["id"]),
                    is_supervisor=access.is_supervisor(directory, viewer, manifest),
                    can_cancel=row["status"] == "running" and access.can_cancel(directory, viewer, row, manifest),
                    diagram=dict(spiff.node_states(workflow), xml=localized_diagram(deployed.package, language),
                                 process_id=deployed.package.process_id))
        return view

    def startable(self, user):
        """The active version of every procedure an active user may start, by key."""
        with self.db.read() as session:
            directory = Directory(session)
            if not directory.is_active(user):
                return []
            deployed = [self.catalog.get(r.id, session) for r in session.execute(active_definitions())
                      if access.can_start(directory, user, r.manifest)]
        return [_procedure(version) | {"has_form": bool(_fields(version.package.start_form()))} for version in deployed]

    def start_form(self, process_key, user, language="en"):
        """The start form of a procedure's active version, for a user who may start it (else NotFound)."""
        with self.db.read() as session:
            directory = Directory(session)
            deployed = self.catalog.get(self.catalog.active_id(session, process_key), session)
            if not directory.is_active(user) or not access.can_start(directory, user, deployed.package.manifest):
                raise NotFound("no_procedure", procedure=process_key)
            form = deployed.package.start_form() or {}
            schema = resolve_choices(form.get("schema"), self.ctx.rule_names({"starter": user}, directory))
        return _procedure(deployed) | {
            "title": form.get("title") or deployed.package.manifest["name"],
            "schema": schema,
            "instructions": render(pick_language(form.get("instructions"), language), {}),
            "searchable": list(deployed.package.manifest.get("searchable") or [])}

    def requests(self, user, *, status=None, page=1, per_page=50):
        """The cases the user started, newest first, each with the people it waits for."""
        if status not in (None, "", *STATUSES):
            raise ValidationFailed({"status": FieldError("not_one_of", choices=", ".join(STATUSES))})
        where = [Instance.starter == user] + ([Instance.status == status] if status else [])
        per_page = page_size(per_page)
        with self.db.read() as session:
            total = session.scalar(select(func.count()).select_from(Instance).where(*where))
            page = clamp_page(whole_number(page, "page"), total, per_page)
            cases = [dict(r._mapping) for r in session.execute(
                select(*_CASE_COLUMNS).join(Definition, Definition.id == Instance.definition_id).where(*where)
                .order_by(Instance.started_at.desc(), Instance.id.desc()).limit(per_page)
                .offset((page - 1) * per_page))]
            waiting = session.execute(select(*_WAITING_COLUMNS)
                                      .where(HumanTask.instance_id.in_([c["id"] for c in cases]))
                                      .order_by(HumanTask.created_at, HumanTask.id)).all() if cases else []
        by_case = {}
        for task in waiting:
            by_case.setdefault(task.instance_id, []).append({k: v for k, v in task._mapping.items()
                                                             if k != "instance_id"})
        for item in cases:
            item.update(waiting=by_case.get(item["id"], []), can_cancel=item["status"] == "running")
        return {"cases": cases, "total": total, "page": page, "pages": page_count(total, per_page)}

    def draft(self, task_id, user):
        """The user's draft of a task's form: {data, saved_at}, or None."""
        with self.db.read() as session:
            return _draft(session, task_id, user)

    def candidates(self, task_id, user):
        """Active users a supervisor may hand an open task to: its pool (role or named people) less the excluded."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            self.guard.check_supervisor(session, directory, user, task)
            return _eligible(session, task)

    def field_choices(self, process_key):
        """field -> {code: {en, zh-Hant}} of the active version's choice fields (NotFound when not deployed)."""
        return choice_labels(self._active_package(process_key))

    def _active_package(self, process_key):
        """The package of a procedure's active version (parsed once per process by the catalogue)."""
        with self.db.read() as session:
            return self.catalog.get(self.catalog.active_id(session, process_key), session).package

    def task_actions(self, task_id, user):
        """Which buttons an open task shows the user: complete, claim, release, reassign."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            manifest = self.catalog.get(task["definition_id"], session).package.manifest
            return _actions(session, directory, user, task, manifest)

    def ping(self):
        """Run a trivial query; raises when the database cannot be reached (health checks)."""
        with self.db.read() as session:
            session.execute(select(1))

    def users(self):
        """The organisation: every user with department, manager and roles."""
        with self.db.read() as session:
            roles = {}
            for username, role in session.execute(select(UserRole.username, UserRole.role)):
                roles.setdefault(username, []).append(role)
            users = session.execute(select(User.username, User.name, User.email, User.department, User.manager,
                                           User.active).order_by(User.username)).all()
            return [dict(u._mapping, roles=sorted(roles.get(u.username, []))) for u in users]

    def departments(self):
        """Every department with its names and head."""
        with self.db.read() as session:
            rows = session.execute(select(Department.key, Department.name_en, Department.name_zh, Department.head)
                                   .order_by(Department.key))
            return [dict(r._mapping) for r in rows]

    def roles(self):
        """Every role with its names."""
        with self.db.read() as session:
            return [dict(r._mapping) for r in session.execute(select(Role.key, Role.name_en, Role.name_zh))]

    def definitions(self):
        """The active version (the one new cases start on) of each deployed procedure."""
        with self.db.read() as session:
            return [dict(r._mapping) for r in session.execute(active_definitions())]


def _procedure(deployed):
    """Key, version, name and description of a deployed version."""
    manifest = deployed.package.manifest
    return {"key": deployed.package.key, "version": deployed.version, "name": manifest["name"],
            "description": manifest["description"]}


def _fields(form):
    """The properties of a form's schema (none for a missing form)."""
    return ((form or {}).get("schema") or {}).get("properties") or {}


@functools.lru_cache(maxsize=64)
def choice_labels(package):
    """The labels of every stored code a case field may hold: its forms' x-enum-labels (top-level fields),
    then the manifest's searchable `choices` for codes a script works out."""
    found = {}
    for form in package.forms.values():
        for name, prop in _fields(form).items():
            if isinstance(prop, dict) and isinstance(prop.get("x-enum-labels"), dict):
                found.setdefault(name, {}).update({str(k): v for k, v in prop["x-enum-labels"].items()})
    for spec in package.manifest.get("searchable") or []:
        if spec.get("choices"):
            found.setdefault(spec["field"], {}).update(spec["choices"])
    return found


def _actions(session, directory, user, task, manifest):
    """Which buttons an open task shows `user`: complete, claim, release, reassign."""
    return {"can_complete": access.can_work_on(user, task),
            "can_claim": access.can_claim(task),
            "can_release": task["assignee"] == user and access.others_in_pool(session, task, user),
            "can_reassign": access.is_supervisor(directory, user, manifest)}


def _draft(session, task_id, user):
    """The user's draft of a task's form: {data, saved_at}, or None."""
    found = session.execute(select(TaskDraft.data, TaskDraft.saved_at).where(
        TaskDraft.task_id == str(task_id), TaskDraft.username == user)).first()
    return dict(found._mapping) if found else None


def _eligible(session, task):
    """The active users who may hold the task, by name."""
    return [dict(r._mapping) for r in session.execute(access.eligible_users(task).order_by(User.name, User.username))]


def _form_files(session, task, shown, draft, case, user):
    """id -> metadata of the files a task's form may show: its case's, and the user's pending uploads it names."""
    known = {a["id"]: a for a in case["attachments"]} if case else {}
    if not formfields.has_file_fields(task["schema"]):
        return known
    values = shown if shown is not None else (draft or {}).get("data") or task["data"]
    named = {v for _path, v in formfields.file_values(task["schema"], values) if isinstance(v, str)} - set(known)
    return known | readable_attachments(session, named, user)
