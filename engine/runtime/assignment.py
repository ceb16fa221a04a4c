"""Assignment policy: who a task goes to when it opens, who may stand in, and who may never do it.

The save step of a case calls `open_task` for each task that became ready and `separate` after a
command completed a step; an SLA escalation picks its target with `pick_person`, like an assignee.
What the rows mean for claim, complete, release and reassign is decided in engine/runtime/access.py.
"""
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, CursorResult, bindparam, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.errors import Conflict, ScriptError
from engine.runtime import spiff
from engine.runtime.happenings import from_task_change
from engine.runtime.repeated import task_titles
from engine.runtime.results import JsonObject, NewTaskRow, OpenTask, TaskData, TaskInfo, TaskPersonRow, TaskRef
from engine.store.models import CANDIDATE, EXCLUDED, POOL_PEOPLE, POOL_ROLE, Event, HumanTask, TaskPerson

if TYPE_CHECKING:  # the case unit of work calls this module; mypy alone needs their names here
    from engine.runtime.case import Case, Write
    from engine.runtime.context import Context

DEFAULT_PRIORITY = 3  # normal; 1 urgent, 2 high, 4 low
PEOPLE = TaskPerson.__table__
INSERT_PEOPLE = PEOPLE.insert().inline()
FORGET_PERSON = PEOPLE.delete().where(PEOPLE.c.task_id.in_(bindparam("ids", expanding=True)),
                                      PEOPLE.c.username == bindparam("b_user"))
HAND_BACK = (HumanTask.__table__.update()
             .where(HumanTask.id.in_(bindparam("ids", expanding=True)), HumanTask.assignee == bindparam("b_user"))
             .values(assignee=None))


def open_task(case: "Case", info: TaskInfo, now: datetime) -> tuple[NewTaskRow, list[TaskPersonRow]]:
    """(human-task row, task_people rows) of a task that just became ready: pool, assignee, due time."""
    package = case.package
    cfg = package.task(info["bpmn_id"])
    role = cfg.get("role") or package.manifest["lanes"].get(info["lane"])
    excluded = excluded_people(case, cfg, info)
    assignee: str | None = None
    candidates: set[str] = set()
    personal = bool(cfg.get("assignee")) or "candidates" in cfg
    if cfg.get("assignee"):
        assignee = pick_person(case, cfg["assignee"], info, excluded)
    if personal:
        candidates = _people(case, cfg.get("candidates"), info, assignee=assignee) - excluded
        candidates |= {assignee} if assignee else set()
        if not candidates:
            _went_to_nobody(case, cfg, info)
    titles = task_titles(package, info["bpmn_id"], info["name"], info["data"], case.directory)
    row: NewTaskRow = {"id": info["id"], "process_key": package.key, "task_key": info["bpmn_id"], **titles,
           "lane": info["lane"], "role": role, "assignee": assignee, "created_at": now,
           "pool": POOL_PEOPLE if personal else POOL_ROLE,
           "due_at": _due(case, cfg.get("due"), info, now),
           "escalated_at": None, "priority": _priority(case, cfg.get("priority"), info)}
    people: list[TaskPersonRow] = [{"task_id": info["id"], "username": u, "relation": CANDIDATE}
                                   for u in sorted(candidates)]
    people += [{"task_id": info["id"], "username": u, "relation": EXCLUDED} for u in sorted(excluded)]
    return row, people


def excluded_people(case: "Case", cfg: JsonObject, info: TaskInfo) -> set[str]:
    """Who may never act on this task: its `exclude` list, and whoever did a step `separate_duties` pairs it with."""
    excluded: set[str] = set()
    for expression in cfg.get("exclude") or []:
        excluded |= _people(case, expression, info)
    siblings = mates(case.package.manifest, info["bpmn_id"])
    if siblings:
        excluded |= {user for key, user in done_steps(case) if key in siblings and user is not None}
    return excluded


def mates(manifest: JsonObject, task_key: str | None) -> set[str]:
    """The steps that `separate_duties` says must be done by someone other than whoever does `task_key`."""
    found: set[str] = set()
    for group in manifest.get("separate_duties") or []:
        if task_key in group:
            found.update(group)
    found.discard(task_key)
    return found


def done_steps(case: "Case") -> set[tuple[str | None, str | None]]:
    """(task key, user) of every step completed in the case so far, this command's included (read once per save)."""
    if "done_steps" not in case.memo:
        done: set[tuple[str | None, str | None]] = set()
        if case.row.get("id") is not None:
            rows = case.session.execute(select(Event.task_key, Event.actor).where(
                Event.case_id == case.row["id"], Event.kind == "task_completed"))
            done = {(key, actor) for key, actor in rows}
        case.memo["done_steps"] = done
    queued = {(e["task_key"], e["actor"]) for e in case.events if e["kind"] == "task_completed"}
    return cast(set[tuple[str | None, str | None]], case.memo["done_steps"]) | queued


def separate(case: "Case", staying: dict[str, spiff.SpiffTask]) -> list["Write"]:
    """Writes that keep `separate_duties` for tasks already open: whoever just did a step is excluded from its mates.

    `staying` maps the ids of tasks that stay open to their SpiffWorkflow tasks. A mate the same person
    holds goes back to its pool.
    """
    if not case.package.manifest.get("separate_duties"):
        return []
    open_tasks = {task_id: spiff.task_info(task)["bpmn_id"] for task_id, task in staying.items()}
    writes: list[Write] = []
    for event in [e for e in case.events if e["kind"] == "task_completed"]:
        siblings = mates(case.package.manifest, event["task_key"])
        ids = sorted(i for i, key in open_tasks.items() if key in siblings)
        if not ids:
            continue
        user = event["actor"]
        held = case.session.execute(select(HumanTask.id, HumanTask.task_key).where(
            HumanTask.id.in_(ids), HumanTask.assignee == user)).all()
        for task_id, task_key in held:
            case.event("task_unassigned", task={"id": task_id, "bpmn_id": task_key}, data={"was": user})
        writes += [(FORGET_PERSON, {"ids": ids, "b_user": user}),
                   (INSERT_PEOPLE, [{"task_id": i, "username": user, "relation": EXCLUDED} for i in ids]),
                   (HAND_BACK, {"ids": ids, "b_user": user})]
    return writes


def excluded_from(session: Session, task_id: str) -> set[str]:
    """The usernames excluded from an open task (its `excluded` rows)."""
    return set(session.scalars(select(TaskPerson.username).where(TaskPerson.task_id == task_id,
                                                                 TaskPerson.relation == EXCLUDED)))


def add_candidate(session: Session, task_id: str, username: str) -> None:
    """Make `username` a candidate of an open task (an escalation hands it to someone outside its pool)."""
    session.execute(FORGET_PERSON, {"ids": [task_id], "b_user": username})
    session.execute(INSERT_PEOPLE, [{"task_id": task_id, "username": username, "relation": CANDIDATE}])


def _went_to_nobody(case: "Case", cfg: JsonObject, info: TaskRef) -> None:
    """Record that a personal step opened with nobody to take it, unless a failing expression already said why."""
    if any(e["kind"] == "assignment_failed" and e["task_id"] == info["id"] for e in case.events):
        return
    case.event("assignment_failed", task=info, data={"expression": cfg.get("assignee") or cfg.get("candidates"),
                                                     "result": None})


def _people(case: "Case", expression: str | None, info: TaskData, **extra: Any) -> set[str]:
    """Active usernames an expression names (one name, a list of names, or None); a failure names nobody."""
    if not expression:
        return set()
    try:
        found = case.evaluate(expression, info["data"], **extra)
    except ScriptError as exc:
        case.event("assignment_failed", task=info, data={"expression": expression, "reason": str(exc)})
        return set()
    names = found if isinstance(found, (list, tuple, set, frozenset)) else [found]
    return {n for n in names if isinstance(n, str) and case.directory.is_active(n)}


def pick_person(case: "Case", expression: str, info: TaskData, excluded: set[str], **extra: Any) -> str | None:
    """Evaluate an assignee or escalation expression to an active user not excluded from the task.

    None when it names nobody; the history records `assignment_failed` when it fails, names someone
    who is not an active user, or names someone excluded.
    """
    try:
        who = case.evaluate(expression, info["data"], **extra)
    except ScriptError as exc:
        case.event("assignment_failed", task=info, data={"expression": expression, "reason": str(exc)})
        return None
    if who is None:
        return None
    if not isinstance(who, str) or not case.directory.is_active(who):
        case.event("assignment_failed", task=info, data={"expression": expression, "result": repr(who)})
        return None
    if who in excluded:
        case.event("assignment_failed", task=info, data={"expression": expression, "result": who,
                                                         "reason": "excluded from this step"})
        return None
    return who


def _due(case: "Case", due: str | JsonObject | None, info: TaskData, now: datetime) -> datetime | None:
    """When a new task is due: a fixed duration, or an expression giving a duration or a moment."""
    if not isinstance(due, dict):
        return spiff.parse_duration(due, now) if due else None
    try:
        value = str(case.evaluate(due["expression"], info["data"]))
        return spiff.parse_duration(value, now) if value.upper().startswith("P") else spiff.parse_moment(value)
    except (ScriptError, ValueError) as exc:
        case.event("due_failed", task=info, data={"expression": due["expression"], "reason": str(exc)})
        return None


def _priority(case: "Case", priority: int | str | JsonObject | None, info: TaskData) -> int:
    """A new task's priority (1 urgent .. 4 low): fixed, or an expression; a failing one falls back to 3."""
    if not isinstance(priority, dict):
        return int(priority) if priority else DEFAULT_PRIORITY
    try:
        value = case.evaluate(priority["expression"], info["data"])
    except ScriptError as exc:
        case.event("priority_failed", task=info, data={"expression": priority["expression"], "reason": str(exc)})
        return DEFAULT_PRIORITY
    level = priority_level(value)
    if level is None:
        case.event("priority_failed", task=info, data={"expression": priority["expression"],
                                                       "result": repr(value)})
        return DEFAULT_PRIORITY
    return level


def priority_level(value: object) -> int | None:
    """1..4 from an expression's result: an integer 1..4 or "P1".."P4"; None for anything else."""
    if isinstance(value, str):
        text = value.strip().upper()
        value = int(text[1]) if len(text) == 2 and text[0] == "P" and text[1] in "1234" else None
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= 4 else None


def hand_over(session: Session, ctx: "Context", task: OpenTask, new: str | None, kind: str, actor: str,
              expect: str | None) -> None:
    """Change a task's assignee if it still has the one we saw; record the event (at the context's clock) and
    the messages the context's notifier makes of it."""
    result = cast(CursorResult[Any], session.execute(
        update(HumanTask).where(HumanTask.id == task["id"], _same(HumanTask.assignee, expect))
        .values(assignee=new).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        raise Conflict("task_changed", task=task["id"])
    event = Event(case_id=task["case_id"], at=ctx.clock.now(), actor=actor, kind=kind,
                  task_id=task["id"], task_key=task["task_key"], data={"assignee": new, "was": expect})
    session.add(event)
    ctx.notifier.notify(session.connection(), from_task_change(task, event))


def _same(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    """SQL equality that treats None as IS NULL."""
    return column.is_(None) if value is None else column == value
