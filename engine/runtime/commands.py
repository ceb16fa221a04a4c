"""The commands of the runtime: start, claim, release, reassign, complete, cancel, comment and drafts.

Each command is one transaction: load the case, check the caller (engine/runtime/access.py), apply, run the
engine until it waits, write state, task rows, timer rows and events (engine/runtime/case.py), commit.
"""
import copy
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, Forbidden, NotFound, NotReady, ValidationFailed
from engine.forms import validate_form
from engine.jsonsafe import json_safe
from engine.org import Directory
from engine.runtime import access, assignment, files, spiff, uniqueness
from engine.runtime.access import Guard
from engine.runtime.case import Case, load_workflow
from engine.runtime.catalog import DeployedVersion
from engine.runtime.context import Component, Context
from engine.runtime.results import CaseRow, JsonObject, Outcome
from engine.runtime.rows import task_case_row
from engine.store.models import Event, TaskDraft

MAX_COMMENT = 4000
MAX_DRAFT_BYTES = 256 * 1024


class Commands(Component):
    """Every change a person makes to a case or task; `guard` decides whether they may."""

    def __init__(self, ctx: Context, guard: Guard) -> None:
        super().__init__(ctx)
        self.guard = guard

    def start(self, process_key: str, user: str, data: JsonObject | None = None,
              input_errors: Mapping[str, str] | None = None) -> int:
        """Start a case of the active version with start-form data; return its id.

        `input_errors` are the field errors of reading the posted form (a number that is not one): they are
        reported with the form's own errors, in one ValidationFailed, and the case is not started.
        """
        with self.db.command() as session:
            directory = Directory(session)
            deployed = self.catalog.get(self.catalog.active_id(session, process_key), session)
            case = self.start_case(session, directory, deployed, user, data, input_errors=input_errors)
        self.cache.put(case.row["id"], case.row["lock_version"], case.workflow)
        return case.row["id"]

    def start_case(self, session: Session, directory: Directory, deployed: DeployedVersion, user: str,
                   data: JsonObject | None, scheduled: str | None = None,
                   input_errors: Mapping[str, str] | None = None) -> Case:
        """Within a transaction: check, validate, create, run and save a new case (also for schedules)."""
        if not directory.is_active(user) or not access.can_start(directory, user, deployed.package.manifest):
            raise Forbidden("start_forbidden", user=user, procedure=deployed.package.key)
        form = deployed.package.start_form() or {}
        schema = form.get("schema")
        clean = validate_form(schema, data, form.get("rules"), self.ctx.rule_names({"starter": user}, directory),
                              deployed.package.manifest.get("start_form"), input_errors=input_errors)
        uniqueness.check_start(session, deployed.package, clean)
        uploads = files.check_form_files(session, schema, clean, user)
        workflow = self.ctx.codec.new(deployed.spec, deployed.subprocess_specs)
        starter = directory.user(user)
        assert starter is not None  # an active user
        start_data = dict(clean, starter=user, starter_name=starter.name)
        for task in workflow.get_tasks(state=spiff.TaskState.READY):
            task.data.update(copy.deepcopy(start_data))
        fresh: CaseRow = {"status": "running", "starter": user}  # the insert gives it an id
        case = Case(self.ctx, session, directory, fresh, deployed, workflow)
        details: dict[str, Any] = {"version": deployed.version, "form": clean}
        if scheduled:
            details["scheduled_by"] = scheduled
        case.event("case_started", actor=user, data=details, main=True)
        spiff.run_engine(workflow)
        case.save()
        files.link_form_files(session, uploads, case.row["id"])
        return case

    def claim(self, task_id: str, user: str) -> None:
        """Take an unclaimed task from its pool (its role's holders, or the people the manifest names)."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            if task["assignee"] == user:
                return
            if task["assignee"] is not None:
                raise Conflict("task_claimed", task=task_id, user=task["assignee"])
            if not access.can_claim(task):
                raise self.guard.why_not_eligible(task, user)
            assignment.hand_over(session, self.ctx, task, user, "task_claimed", user, expect=None)

    def release(self, task_id: str, user: str) -> None:
        """Give a claimed task back to its pool; a task only its assignee may do stays theirs."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            if task["assignee"] != user:
                raise Forbidden("task_not_claimed", user=user, task=task_id)
            if not access.others_in_pool(session, task, user):
                raise NotReady("no_one_else", task=task_id, user=user)
            assignment.hand_over(session, self.ctx, task, None, "task_released", user, expect=user)

    def reassign(self, task_id: str, user: str, to_user: str) -> None:
        """A supervisor of the procedure hands a task to someone else who may do that step."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            self.guard.check_supervisor(session, directory, user, task)
            if directory.user(to_user) is None:
                raise NotFound("no_user", user=to_user)
            if not access.is_eligible(session, task, to_user):
                raise Forbidden("not_eligible", user=to_user, step=task["task_key"], case=task["case_id"])
            assignment.hand_over(session, self.ctx, task, to_user, "task_reassigned", user, expect=task["assignee"])

    def complete(self, task_id: str, user: str, data: JsonObject | None = None,
                 input_errors: Mapping[str, str] | None = None) -> Outcome:
        """Complete a READY task with form data (validated; errors per field, with `input_errors`, the posted
        form's reading errors, first: all are reported in one ValidationFailed).

        Package code (form rules, scripts, assignees) runs before the write lock is taken (`Database.command`);
        a refused form gives the unchanged workflow back to the cache.
        """
        with self.db.command() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            self.guard.check_can_work_on(user, task)
            row = task_case_row(task)
            deployed = self.catalog.get(row["definition_id"], session)
            workflow = load_workflow(self.ctx, session, row)
            case = Case(self.ctx, session, directory, row, deployed, workflow)
            case.done_by = (str(task_id), user)
            with self.cache.kept_on_error(row["id"], row["lock_version"], workflow):
                spiff_task = spiff.find_task(workflow, task_id)
                if not spiff.is_ready(spiff_task):
                    raise Conflict("task_not_waiting", task=task_id)
                form = deployed.package.form_for(task["task_key"]) or {}
                schema = form.get("schema")
                clean = validate_form(schema, data, form.get("rules"), self.ctx.rule_names(spiff_task.data, directory),
                                      deployed.package.task(task["task_key"]).get("form"), input_errors=input_errors)
                uploads = files.check_form_files(session, schema, clean, user, row["id"])
            spiff_task.data.update(copy.deepcopy(clean))
            info = spiff.task_info(spiff_task)
            if task["assignee"] is None:
                case.event("task_claimed", actor=user, task=info)
            case.event("task_completed", actor=user, task=info, data={"form": clean, "role": task["role"]},
                       main=True)
            spiff_task.run()
            spiff.run_engine(workflow)
            case.save()
            files.link_form_files(session, uploads, row["id"], str(task_id))
        self.cache.put(row["id"], case.row["lock_version"], workflow)
        return {"case_id": row["id"], "status": "completed" if workflow.completed else case.row["status"]}

    def cancel(self, case_id: int, user: str, reason: str | None = None) -> None:
        """Cancel a running case (its starter, or a supervisor of the procedure)."""
        with self.db.command() as session:
            directory = Directory(session)
            row, deployed = self.guard.case(session, directory, case_id, user)
            if not access.can_cancel(directory, user, row, deployed.package.manifest):
                raise Forbidden("cancel_forbidden", user=user, case=case_id)
            if row["status"] != "running":
                raise NotReady("case_finished", case=case_id, status=row["status"])
            workflow = load_workflow(self.ctx, session, row)
            case = Case(self.ctx, session, directory, row, deployed, workflow)
            spiff.cancel(workflow)
            row["status"] = "cancelled"
            case.event("case_cancelled", actor=user, data={"reason": reason or ""}, main=True)
            case.save()
        self.cache.put(case_id, case.row["lock_version"], workflow)

    def add_comment(self, case_id: int, user: str, text: object) -> int:
        """Add a comment to a case's history (running or finished); return the event id."""
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise ValidationFailed({"text": FieldError("comment_empty")})
        if len(text) > MAX_COMMENT:
            raise ValidationFailed({"text": FieldError("max_length", n=MAX_COMMENT)})
        with self.db.write() as session:
            directory = Directory(session)
            if not directory.is_active(user):
                raise NotFound("no_case", case=case_id)
            row, _loaded = self.guard.case(session, directory, case_id, user)
            event = Event(case_id=row["id"], at=self.clock.now(), actor=user, kind="comment", data={"text": text})
            session.add(event)
            session.flush()
            return event.id

    def save_draft(self, task_id: str, user: str, data: object) -> datetime:
        """Keep what the user typed into an open task's form (not validated); return when it was saved."""
        data = _draft_data(data)
        now = self.clock.now()
        with self.db.write() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            self.guard.check_can_work_on(user, task)
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            statement = dialect.insert(TaskDraft).values(task_id=task["id"], username=user, data=data, saved_at=now)
            session.execute(statement.on_conflict_do_update(index_elements=["task_id", "username"],
                                                            set_={"data": data, "saved_at": now}))
        return now

    def discard_draft(self, task_id: str, user: str) -> None:
        """Forget the user's draft of an open task's form (nothing happens when there is none).

        Like every task command, a task the user may not see is NotFound, a closed one says why.
        """
        with self.db.write() as session:
            self.guard.task(session, Directory(session), task_id, user)
            session.execute(delete(TaskDraft).where(TaskDraft.task_id == str(task_id), TaskDraft.username == user))


def _draft_data(data: Any) -> JsonObject:
    """A draft as JSON-safe data of at most 256 KiB, else ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed({"data": FieldError("draft_not_object")})
    try:
        data = json_safe(data)
    except TypeError as exc:
        raise ValidationFailed({"data": FieldError("not_storable", reason=str(exc))}) from exc
    size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise ValidationFailed({"data": FieldError("draft_too_large", size=math.ceil(size / 1024),
                                                   most=MAX_DRAFT_BYTES // 1024)})
    return data
