"""What every stored case must satisfy after anything (a race, a kill -9, a killed worker): its rows agree
with its workflow and its history. The probes call `assert_whole(runtime)`; `problems` lists what is wrong."""
from collections import Counter

from sqlalchemy import select

from engine.runtime import spiff
from engine.store.models import CaseRecord, Event, HumanTask, Timer

# The events of commands that save the workflow: each one raises the case's lock version by one.
SAVING_EVENTS = ("case_started", "task_completed", "timer_fired", "case_cancelled")
ENDED = {"completed", "cancelled"}


def problems(runtime, case_ids=None):
    """Every inconsistency of the given cases (default: all), as 'case N: what' lines."""
    with runtime.db.read() as session:
        ids = case_ids or session.scalars(select(CaseRecord.id).order_by(CaseRecord.id)).all()
    found = []
    for case_id in ids:
        found += [f"case {case_id}: {line}" for line in case_problems(runtime, case_id)]
    return found


def assert_whole(runtime, case_ids=None, context=""):
    """Fail listing every inconsistency of the given cases (default: all), after `context` (e.g. the seed)."""
    found = problems(runtime, case_ids)
    assert not found, f"{context}\n" + "\n".join(found)


def stored_case(runtime, case_id):
    """(instance row, open task rows, timer rows, events in order) of one case, read in one session."""
    with runtime.db.read() as session:
        row = session.execute(select(CaseRecord.id, CaseRecord.status, CaseRecord.lock_version, CaseRecord.state)
                              .where(CaseRecord.id == case_id)).one()
        tasks = session.execute(select(HumanTask.id, HumanTask.due_at)
                                .where(HumanTask.case_id == case_id)).all()
        timers = session.execute(select(Timer.kind, Timer.task_id, Timer.human_task_id, Timer.due_at, Timer.fired_at)
                                 .where(Timer.case_id == case_id)).all()
        events = session.execute(select(Event.kind, Event.task_id).where(Event.case_id == case_id)
                                 .order_by(Event.id)).all()
    return row, tasks, timers, events


def case_problems(runtime, case_id):
    """What is wrong with one case: it loads, and its task, timer and event rows match its workflow."""
    row, tasks, timers, events = stored_case(runtime, case_id)
    try:
        workflow = runtime.codec.from_blob(row.state)
        runtime.case(case_id)
    except Exception as exc:  # any failure to load is the finding itself
        return [f"does not load: {type(exc).__name__}: {exc}"]
    return (_status_problems(row, workflow, events) + _task_problems(row, workflow, tasks, timers)
            + _timer_problems(row, workflow, timers, events) + _history_problems(row, tasks, events))


def _status_problems(row, workflow, events):
    """The status column agrees with the workflow and with the case's end event."""
    found = []
    ended = Counter(kind for kind, _ in events)["case_completed"]
    if row.status == "completed" and not (workflow.completed and ended == 1):
        found.append(f"status completed, workflow completed={workflow.completed}, {ended} case_completed events")
    if row.status == "running" and (workflow.completed or ended):
        found.append(f"status running, workflow completed={workflow.completed}, {ended} case_completed events")
    if row.status not in ENDED | {"running"}:
        found.append(f"unknown status {row.status!r}")
    return found


def _task_problems(row, workflow, tasks, timers):
    """Open task rows are exactly the workflow's READY user tasks; each with a due time has one SLA row."""
    ready = set() if row.status in ENDED else {str(t.id) for t in spiff.ready_human_tasks(workflow)}
    stored = {t.id for t in tasks}
    found = []
    if stored != ready:
        found.append(f"open task rows {sorted(stored)} but READY user tasks {sorted(ready)}")
    slas = Counter(t.human_task_id for t in timers if t.kind == "sla")
    for task in tasks:
        expected = 1 if task.due_at is not None else 0
        if slas[task.id] != expected:
            found.append(f"task {task.id} has {slas[task.id]} SLA timer rows, expected {expected}")
    return found


def _timer_problems(row, workflow, timers, events):
    """Pending BPMN timer rows are the waiting timers; each fired timer row has exactly one event."""
    waiting = {} if row.status in ENDED else spiff.waiting_timers(workflow)
    pending = {t.task_id: t.due_at for t in timers if t.kind == "bpmn" and t.fired_at is None}
    found = []
    if pending != waiting:
        found.append(f"pending timer rows {pending} but waiting timers {waiting}")
    fired = Counter(t.task_id for t in timers if t.kind == "bpmn" and t.fired_at is not None)
    fired_events = Counter(task for kind, task in events if kind == "timer_fired")
    if fired != fired_events:
        found.append(f"fired timer rows {dict(fired)} but timer_fired events {dict(fired_events)}")
    breached = Counter(task for kind, task in events if kind == "sla_breached")
    for timer in timers:
        if timer.kind == "sla" and breached[timer.task_id] != (timer.fired_at is not None):
            found.append(f"SLA of task {timer.task_id} fired_at={timer.fired_at} "
                         f"with {breached[timer.task_id]} sla_breached events")
    if any(count > 1 for count in breached.values()):
        found.append(f"a task breached its SLA more than once: {dict(breached)}")
    return found


def _history_problems(row, tasks, events):
    """One start first, each task completed at most once and never still open, lock version = saves."""
    kinds = [kind for kind, _ in events]
    found = []
    if not kinds or kinds[0] != "case_started" or kinds.count("case_started") != 1:
        found.append(f"history does not begin with exactly one case_started: {kinds[:3]}")
    completed = Counter(task for kind, task in events if kind == "task_completed")
    twice = sorted(task for task, count in completed.items() if count > 1)
    if twice:
        found.append(f"tasks completed more than once: {twice}")
    still_open = sorted(completed.keys() & {t.id for t in tasks})
    if still_open:
        found.append(f"completed tasks still open: {still_open}")
    saves = sum(kinds.count(kind) for kind in SAVING_EVENTS)
    if row.lock_version != saves:
        found.append(f"lock version {row.lock_version} but {saves} saving events in the history")
    return found
