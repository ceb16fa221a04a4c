"""Loading a case for a command and writing back only what the command changed."""
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Executable, bindparam, or_, select
from sqlalchemy.orm import Session

from engine import sandbox
from engine.definitions import Package
from engine.errors import Conflict, OpsflowError, ScriptError
from engine.org import Directory
from engine.runtime import assignment, spiff
from engine.runtime.catalog import DeployedVersion
from engine.runtime.context import Context
from engine.runtime.happenings import from_case
from engine.runtime.results import CaseEvent, CaseRow, JsonObject, NewTaskRow, TaskRef
from engine.runtime.spiff import Workflow
from engine.store.models import CaseRecord, Event, HumanTask, Timer

CASES, TASKS, TIMERS, EVENTS = (m.__table__ for m in (CaseRecord, HumanTask, Timer, Event))

# Built once: the hot path binds values instead of constructing statements per command.
SAVE_CASE = (CASES.update()
             .where(CASES.c.id == bindparam("b_id"), CASES.c.lock_version == bindparam("b_lock"))
             .values(lock_version=bindparam("b_next"), state=bindparam("state"), updated_at=bindparam("updated_at"),
                     serializer_version=bindparam("serializer_version"), search=bindparam("search"),
                     status=bindparam("status"), ended_at=bindparam("ended_at"), end_event=bindparam("end_event"),
                     viewers=bindparam("viewers")))
DELETE_TASKS = TASKS.delete().where(TASKS.c.id.in_(bindparam("ids", expanding=True)))
DELETE_TIMERS = TIMERS.delete().where(TIMERS.c.case_id == bindparam("b_id"),
                                      TIMERS.c.task_id.in_(bindparam("ids", expanding=True)),
                                      TIMERS.c.fired_at.is_(None))
# inline(): no RETURNING of new keys, so the inserts can be batched (nobody reads them).
INSERT_TASKS, INSERT_TIMERS, INSERT_EVENTS = (t.insert().inline() for t in (TASKS, TIMERS, EVENTS))
# A completion's task row, still unclaimed or the doer's; the no-op update locks it until commit on PostgreSQL.
_STILL_THEIRS = (TASKS.c.id == bindparam("b_task"),
                 or_(TASKS.c.assignee.is_(None), TASKS.c.assignee == bindparam("b_user")))
HOLD_TASK = TASKS.update().where(*_STILL_THEIRS).values(assignee=TASKS.c.assignee)
# The usual completion: the done task closes, so deleting it (still unclaimed or the doer's) is the hold.
CLOSE_DONE_TASK = TASKS.delete().where(*_STILL_THEIRS)
LOAD_STATE = select(CASES.c.state).where(CASES.c.id == bindparam("b_id"))
# A write a save sends: a statement and its parameters (one set, or many for a batched insert).
Write = tuple[Executable, Mapping[str, Any] | Sequence[Mapping[str, Any]]]
LOAD_CLOSING = select(TASKS.c.id, TASKS.c.task_key, TASKS.c.assignee, TASKS.c.role
                      ).where(TASKS.c.id.in_(bindparam("ids", expanding=True)))


class WorkflowCache:
    """Deserialized workflows by case id and lock version; a workflow is lent to one command."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[int, Workflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: int, lock_version: int) -> Workflow | None:
        """Remove and return the cached workflow if it is at `lock_version`."""
        with self._lock:
            item = self._items.pop(case_id, None)
        if item is not None and item[0] == lock_version:
            return item[1]
        return None

    @contextmanager
    def kept_on_error(self, case_id: int, lock_version: int, workflow: Workflow) -> Iterator[None]:
        """Give a taken, still unchanged workflow back when the block fails (a refused form changes nothing)."""
        try:
            yield
        except OpsflowError:
            self.put(case_id, lock_version, workflow)
            raise

    def put(self, case_id: int, lock_version: int, workflow: Workflow) -> None:
        """Keep a workflow that was just committed at `lock_version`."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[case_id] = (lock_version, workflow)
            self._items.move_to_end(case_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Case:
    """One case inside one command: its row facts, definition, workflow and pending writes."""

    def __init__(self, ctx: Context, session: Session, directory: Directory, row: CaseRow, deployed: DeployedVersion,
                 workflow: Workflow) -> None:
        self.ctx = ctx
        self.session = session
        self.directory = directory
        self.row = row
        self.deployed = deployed
        self.workflow = workflow
        self.events: list[CaseEvent] = []
        self.tasks_before: set[UUID] = {t.id for t in spiff.ready_human_tasks(workflow)} if row.get("id") else set()
        self.timers_before: set[str] = set(spiff.waiting_timers(workflow)) if row.get("id") else set()
        self.new_task_rows: list[NewTaskRow] = []
        self.conn = session.connection()
        self.data_before: JsonObject = spiff.case_data(workflow) if row.get("id") else {}
        self.main_event: CaseEvent | None = None
        self.memo: dict[str, Any] = {}  # what the assignment policy read once for this save
        # (task id, user) of a completion, checked by the save against a racing claim
        self.done_by: tuple[str, str] | None = None
        self.done_closes = False  # whether the save deletes the done task's row (its hold) or only locks it

    @property
    def package(self) -> Package:
        """The package of the case's definition version."""
        return self.deployed.package

    def event(self, kind: str, actor: str | None = None, task: TaskRef | None = None, data: JsonObject | None = None,
              main: bool = False) -> None:
        """Queue an append-only history event; the command's `main` one also records the data it changed."""
        event: CaseEvent = {"at": self.ctx.clock.now(), "actor": actor, "kind": kind, "task_id": task and task["id"],
                 "task_key": task and task["bpmn_id"], "data": data or {}}
        self.events.append(event)
        if main:
            self.main_event = event

    def names(self, task_data: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
        """Names visible to assignee and escalation expressions."""
        names = dict(task_data)
        names.update(self.directory.functions())
        names["starter"] = self.row["starter"]
        names.update(extra)
        return names

    def evaluate(self, expression: str, task_data: Mapping[str, Any], **extra: Any) -> Any:
        """Evaluate a manifest expression in the sandbox."""
        return sandbox.evaluate(expression, self.names(task_data, **extra), self.ctx.settings.script_time_limit)

    def save(self) -> None:
        """Write the workflow and everything derived from it; Conflict if someone saved first.

        Everything that runs package code or reads (assignees, viewers, closing tasks) comes first; only
        then is the write lock taken (`start_writing`) and the writes sent.
        """
        now = self.ctx.clock.now()
        wf = self.workflow
        state = self.ctx.codec.to_blob(wf)
        data = spiff.case_data(wf)
        self._record_changes(data)
        values: dict[str, Any] = {"state": state, "updated_at": now, "serializer_version": self.ctx.codec.version,
                  "search": {f["field"]: data.get(f["field"]) for f in self.package.manifest["searchable"]},
                  "status": self.row["status"], "ended_at": None, "end_event": None,
                  "viewers": self._viewers(data)}
        if self.row["status"] == "running" and wf.completed:
            values.update(status="completed", ended_at=now, end_event=spiff.end_event(wf))
            self.event("case_completed", data={"end_event": values["end_event"]})
        elif self.row["status"] != "running":
            values["ended_at"] = now
        writes = self._task_writes(now)
        writes += self._timer_writes(now)
        self.start_writing()
        if self.row.get("id") is None:
            self._insert(values)
        else:
            self._update(values)
            self._hold_done_task()
        with self.ctx.db.batch(self.conn):
            for statement, params in writes:
                if statement is INSERT_TASKS or statement is INSERT_TIMERS:
                    params = [dict(r, case_id=self.row["id"]) for r in cast(list[Mapping[str, Any]], params)]
                self.conn.execute(statement, params)
            self.save_events_only()

    def start_writing(self) -> None:
        """Take the write lock now (SQLite: none was held while package code ran); a claim that landed
        meanwhile is caught by the save's `_hold_done_task`."""
        if self.ctx.db.start_writing(self.session):
            self.conn = self.session.connection()

    def _viewers(self, data: JsonObject) -> list[str] | None:
        """Users a confidential procedure's expressions name for this case's data (None: not confidential)."""
        rule = self.package.manifest.get("confidential")
        if rule is None:
            return None
        named: set[object] = set()
        for expression in rule.get("users") or []:
            try:
                found = self.evaluate(expression, data)
            except ScriptError:
                continue
            named.update(found if isinstance(found, (list, tuple, set)) else [found])
        return sorted(n for n in named if isinstance(n, str))

    def _record_changes(self, data: JsonObject) -> None:
        """Put what the command changed in the case data (set and removed fields) on its main event."""
        if self.main_event is None:
            return
        before = self.data_before
        changed = {k: v for k, v in data.items() if k not in before or before[k] != v}
        removed = sorted(k for k in before if k not in data)
        if changed or removed:
            self.main_event["data"] = dict(self.main_event["data"], changed=changed, removed=removed)

    def save_events_only(self) -> None:
        """Append the queued events and the messages they call for (commands that leave the workflow untouched
        stop here)."""
        self.ctx.notifier.notify(self.conn, from_case(self))
        if self.events:
            self.conn.execute(INSERT_EVENTS, [dict(e, case_id=self.row["id"]) for e in self.events])
            self.events = []

    def _insert(self, values: dict[str, Any]) -> None:
        """Insert a new case row and learn its id."""
        result = self.conn.execute(CASES.insert().values(
            definition_id=self.deployed.definition_id, process_key=self.package.key, starter=self.row["starter"],
            started_at=self.ctx.clock.now(), lock_version=1, **values))
        key = result.inserted_primary_key
        assert key is not None  # an insert of one row learns its key
        self.row["id"], self.row["lock_version"] = key[0], 1

    def _update(self, values: dict[str, Any]) -> None:
        """Compare-and-set on the lock version: exactly one of two racing writers wins."""
        result = self.conn.execute(SAVE_CASE, dict(values, b_id=self.row["id"], b_lock=self.row["lock_version"],
                                                   b_next=self.row["lock_version"] + 1))
        if result.rowcount != 1:
            raise Conflict("case_changed", case=self.row["id"])
        self.row["lock_version"] += 1

    def _hold_done_task(self) -> None:
        """A completed task must still be unclaimed or the doer's: a claim or hand-over committed first wins.

        Claims change only the task row, so the case row's compare-and-set cannot see them. This runs after
        that compare-and-set, so every command locks a case before its task rows and none waits in a cycle.
        When the done task closes (the usual case) the check is its row's conditional delete; otherwise the
        row is locked by a no-op update.
        """
        if self.done_by is None:
            return
        task_id, user = self.done_by
        statement = CLOSE_DONE_TASK if self.done_closes else HOLD_TASK
        if self.conn.execute(statement, {"b_task": task_id, "b_user": user}).rowcount != 1:
            raise Conflict("task_changed", task=task_id)

    def _task_writes(self, now: datetime) -> list[Write]:
        """Deletes of task rows no longer open, inserts for new ones (assignees picked now, before any write)."""
        ready = {t.id: t for t in spiff.ready_human_tasks(self.workflow)}
        gone = [str(i) for i in self.tasks_before - set(ready)]
        if self.row["status"] != "running" or self.workflow.completed:
            gone = [str(i) for i in self.tasks_before]
            ready = {}
        people: list[Any] = []
        for task_id in set(ready) - self.tasks_before:
            row, named = assignment.open_task(self, spiff.task_info(ready[task_id]), now)
            self.new_task_rows.append(row)
            people += named
        self._record_withdrawn(gone)
        if self.done_by is not None and self.done_by[0] in gone:
            gone.remove(self.done_by[0])
            self.done_closes = True
        writes: list[Write] = [(DELETE_TASKS, {"ids": gone})] if gone else []
        writes += assignment.separate(self, {str(i): ready[i] for i in set(ready) & self.tasks_before})
        if self.new_task_rows:
            writes.append((INSERT_TASKS, self.new_task_rows))
        if people:
            writes.append((assignment.INSERT_PEOPLE, people))
        return writes

    def _record_withdrawn(self, gone: list[str]) -> None:
        """A task_withdrawn event, naming assignee and role, for each open task that closed without being done.

        A timer, a terminate end event or a cancel can close a task; the people who had it open then
        learn why it is gone instead of being told it never existed. Completions read nothing extra.
        """
        done = {e["task_id"] for e in self.events if e["kind"] == "task_completed"}
        undone = [task_id for task_id in gone if task_id not in done]
        if not undone:
            return
        actor = self.main_event["actor"] if self.main_event else None
        for task_id, task_key, assignee, role in self.conn.execute(LOAD_CLOSING, {"ids": undone}):
            self.event("task_withdrawn", actor=actor, task={"id": task_id, "bpmn_id": task_key},
                       data={"assignee": assignee, "role": role})

    def _timer_writes(self, now: datetime) -> list[Write]:
        """Keep one pending timer row per waiting BPMN timer and per open task's SLA."""
        waiting = {} if self.row["status"] != "running" else spiff.waiting_timers(self.workflow)
        gone = [t for t in self.timers_before if t not in waiting]
        writes: list[Write] = [(DELETE_TIMERS, {"b_id": self.row["id"], "ids": gone})] if gone else []
        rows = [{"kind": "bpmn", "task_id": tid, "human_task_id": None, "due_at": due}
                for tid, due in waiting.items() if tid not in self.timers_before]
        rows += [{"kind": "sla", "task_id": r["id"], "human_task_id": r["id"], "due_at": r["due_at"]}
                 for r in self.new_task_rows if r["due_at"]]
        if rows:
            writes.append((INSERT_TIMERS, [dict(r, fired_at=None) for r in rows]))
        return writes


def load_workflow(ctx: Context, session: Session, row: CaseRow) -> Workflow:
    """The workflow of a row: from the cache when current, else deserialized."""
    workflow = ctx.cache.take(row["id"], row["lock_version"])
    if workflow is None:
        state = cast(bytes, session.connection().execute(LOAD_STATE, {"b_id": row["id"]}).scalar())  # the row is there
        try:
            workflow = ctx.codec.from_blob(state)
        except Exception as exc:
            raise ScriptError("case_unloadable", case=row["id"], reason=str(exc)) from exc
    return workflow
