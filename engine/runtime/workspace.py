"""The employee's workspace in the web UI: what they may start, their requests, a case's page with its
diagram, comments, form drafts, and what they may do with a task."""
import functools
import json
import math

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.errors import NotFound, ValidationFailed
from engine.formrules import resolve_choices
from engine.jsonsafe import json_safe
from engine.org import Directory
from engine.runtime import access, spiff
from engine.runtime.accounts import AccountMixin
from engine.runtime.attachments import AttachmentMixin, case_attachments
from engine.runtime.diagram import localized_diagram
from engine.runtime.inbox import InboxMixin, clamp_page, page_count, page_size, whole_number
from engine.store.models import Definition, Event, HumanTask, Instance, TaskDraft, User, active_definitions
from engine.templates import pick_language, render

STATUSES = ("running", "completed", "cancelled")
MAX_COMMENT = 4000
MAX_DRAFT_BYTES = 256 * 1024
_CASE_COLUMNS = (Instance.id, Instance.process_key, Definition.version, Instance.status, Instance.started_at,
                 Instance.ended_at, Instance.updated_at, Instance.search, Instance.end_event)
_WAITING_COLUMNS = (HumanTask.instance_id, HumanTask.id, HumanTask.title_en, HumanTask.title_zh, HumanTask.role,
                    HumanTask.assignee, HumanTask.created_at.label("since"), HumanTask.due_at)


class WorkspaceMixin(InboxMixin, AttachmentMixin, AccountMixin):
    """Reads and small writes of the web UI around the commands (start, complete, claim ...)."""

    def startable(self, user):
        """The active version of every procedure an active user may start, by key."""
        with self.db.read() as session:
            directory = Directory(session)
            if not directory.is_active(user):
                return []
            loaded = [self.catalog.get(r.id, session) for r in session.execute(active_definitions())
                      if access.can_start(directory, user, r.manifest)]
        return [_procedure(version) | {"has_form": bool(_fields(version.package.start_form()))} for version in loaded]

    def start_form(self, process_key, user, language="en"):
        """The start form of a procedure's active version, for a user who may start it (else NotFound)."""
        with self.db.read() as session:
            directory = Directory(session)
            loaded = self.catalog.get(self.catalog.active_id(session, process_key), session)
            if not directory.is_active(user) or not access.can_start(directory, user, loaded.package.manifest):
                raise NotFound(f"no procedure {process_key!r} is deployed")
            form = loaded.package.start_form() or {}
            schema = resolve_choices(form.get("schema"), self.rule_names({"starter": user}, directory))
        return _procedure(loaded) | {
            "title": form.get("title") or loaded.package.manifest["name"],
            "schema": schema,
            "instructions": render(pick_language(form.get("instructions"), language), {}),
            "searchable": list(loaded.package.manifest.get("searchable") or [])}

    def requests(self, user, *, status=None, page=1, per_page=50):
        """The cases the user started, newest first, each with the people it waits for."""
        if status not in (None, "", *STATUSES):
            raise ValidationFailed({"status": f"is not one of {', '.join(STATUSES)}"})
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

    def case_view(self, instance_id, user, language="en"):
        """describe_case as `user` sees it, plus the procedure's name, the diagram with the case's state on it
        (step names in `language`), attachments and what the user may do."""
        with self.db.read() as session:
            directory = Directory(session)
            view, row, loaded, workflow = self._case_snapshot(session, directory, instance_id, user)
            manifest = loaded.package.manifest
            supervisor = access.is_supervisor(directory, user, manifest)
            view.update(name=manifest["name"], attachments=case_attachments(session, row["id"]),
                        is_supervisor=supervisor,
                        can_cancel=row["status"] == "running" and access.can_cancel(directory, user, row, manifest),
                        diagram=dict(spiff.node_states(workflow), xml=localized_diagram(loaded.package, language),
                                     process_id=loaded.package.process_id))
        return view

    def add_comment(self, instance_id, user, text):
        """Add a comment to a case's history (running or finished); return the event id."""
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise ValidationFailed({"text": "write a comment first"})
        if len(text) > MAX_COMMENT:
            raise ValidationFailed({"text": f"must be at most {MAX_COMMENT} characters"})
        with self.db.write() as session:
            directory = Directory(session)
            if not directory.is_active(user):
                raise NotFound(f"no case {instance_id}")
            row, _loaded = self._visible_case(session, directory, instance_id, user)
            event = Event(instance_id=row["id"], at=self.clock.now(), actor=user, kind="comment", data={"text": text})
            session.add(event)
            session.flush()
            return event.id

    def save_draft(self, task_id, user, data):
        """Keep what the user typed into an open task's form (not validated); return when it was saved."""
        data = _draft_data(data)
        now = self.clock.now()
        with self.db.write() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            self._check_can_work_on(directory, user, task)
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            statement = dialect.insert(TaskDraft).values(task_id=task["id"], username=user, data=data, saved_at=now)
            session.execute(statement.on_conflict_do_update(index_elements=["task_id", "username"],
                                                            set_={"data": data, "saved_at": now}))
        return now

    def draft(self, task_id, user):
        """The user's draft of a task's form: {data, saved_at}, or None."""
        with self.db.read() as session:
            found = session.execute(select(TaskDraft.data, TaskDraft.saved_at).where(
                TaskDraft.task_id == str(task_id), TaskDraft.username == user)).first()
        return dict(found._mapping) if found else None

    def discard_draft(self, task_id, user):
        """Forget the user's draft of an open task's form (nothing happens when there is none).

        Like every task command, a task the user may not see is NotFound, a closed one says why.
        """
        with self.db.write() as session:
            self._task_row(session, Directory(session), task_id, user)
            session.execute(delete(TaskDraft).where(TaskDraft.task_id == str(task_id), TaskDraft.username == user))

    def candidates(self, task_id, user):
        """Active users a supervisor may hand an open task to: its pool (role or named people) less the excluded."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            self._check_supervisor(session, directory, user, task)
            rows = session.execute(access.eligible_users(task).order_by(User.name, User.username)).all()
        return [dict(r._mapping) for r in rows]

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
            task = self._task_row(session, directory, task_id, user)
            manifest = self.catalog.get(task["definition_id"], session).package.manifest
            releasable = task["assignee"] == user and access.others_in_pool(session, task, user)
            return {"can_complete": access.can_work_on(user, task),
                    "can_claim": access.can_claim(task),
                    "can_release": releasable,
                    "can_reassign": access.is_supervisor(directory, user, manifest)}


def _procedure(loaded):
    """Key, version, name and description of a deployed version."""
    manifest = loaded.package.manifest
    return {"key": loaded.package.key, "version": loaded.version, "name": manifest["name"],
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


def _draft_data(data):
    """A draft as JSON-safe data of at most 256 KiB, else ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed({"data": "must be an object of field values"})
    try:
        data = json_safe(data)
    except TypeError as exc:
        raise ValidationFailed({"data": str(exc)}) from exc
    size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise ValidationFailed({"data": f"is {math.ceil(size / 1024)} KiB; a draft may hold at most "
                                        f"{MAX_DRAFT_BYTES // 1024} KiB"})
    return data
