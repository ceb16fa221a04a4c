"""What a command tells its notifier: the happenings of a case's save and of a task's hand-over."""
from typing import TYPE_CHECKING, Any

from engine.notify import TASK_OPENED, Happening
from engine.runtime import access
from engine.runtime.results import JsonObject, NewTaskRow, OpenTask
from engine.store.models import Event

if TYPE_CHECKING:  # the case unit of work calls this module, so it is named here for mypy only
    from engine.runtime.case import Case


def from_case(case: "Case") -> list[Happening]:
    """The happenings of a case's save: its queued events, then the tasks it opened (what the command wrote)."""
    facts: dict[str, Any] = {"case_id": case.row["id"], "process_key": case.package.key, "starter": case.row["starter"],
             "supervisor_roles": _supervisors(case.package.manifest)}
    found = [Happening(kind=e["kind"], at=e["at"], actor=e["actor"], task_id=e["task_id"], task_key=e["task_key"],
                       data=e["data"], **facts) for e in case.events]
    actor = case.main_event["actor"] if case.main_event else None
    found += [Happening(kind=TASK_OPENED, at=row["created_at"], actor=actor, task_id=row["id"],
                        task_key=row["task_key"], data=_opened(row), **facts) for row in case.new_task_rows]
    return found


def from_task_change(task: OpenTask, event: Event) -> list[Happening]:
    """The happening of a claim, release, hand-over or repair: the task row a command read and the event it adds."""
    return [Happening(kind=event.kind, case_id=task["case_id"], process_key=task["process_key"],
                      starter=task["starter"], at=event.at, actor=event.actor, task_id=task["id"],
                      task_key=task["task_key"], data=dict(event.data, role=task["role"], pool=task["pool"]))]


def _opened(row: NewTaskRow) -> JsonObject:
    """A new task row's facts that decide who hears of it (times as ISO text, like event data)."""
    due = row["due_at"]
    return {"assignee": row["assignee"], "role": row["role"], "pool": row["pool"],
            "due_at": due.isoformat() if due else None, "priority": row["priority"]}


def _supervisors(manifest: JsonObject) -> tuple[str, ...]:
    """The roles told of a procedure's breaches: its supervisors, without the admins of every procedure."""
    return tuple(sorted(role for role in access.supervisor_roles(manifest) if role and role != access.ADMIN_ROLE))
