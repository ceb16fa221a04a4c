"""Scheduled starts: a process's timer start event starts cases by itself (a quarterly risk review).

Each deployed procedure with a timer start event has one pending timer row of kind "start"
(no case yet, only its process key). The worker fires it like any timer: it starts a case as
the manifest's `schedule.as` user with `schedule.data`, then arms the next occurrence.
"""
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from engine import sandbox
from engine.errors import ScriptError
from engine.runtime import spiff
from engine.store.models import Timer

if TYPE_CHECKING:  # the catalogue reads this module's neighbours; mypy alone needs the name
    from engine.runtime.catalog import DeployedVersion

MAX_LAPS = 100_000


def next_occurrence(value: str, after: datetime) -> datetime | None:
    """The first moment after `after` at which a timer value (cycle, date or duration) falls due, or None."""
    text = value.strip()
    if not text.upper().startswith("R"):
        moment = spiff.parse_duration(text, after) if text.upper().startswith("P") else spiff.parse_moment(text)
        return moment if moment > after else None
    count, *parts = text[1:].split("/")
    laps = int(count) if count else None
    if len(parts) == 2 and not parts[0].upper().startswith("P"):
        moment, step = spiff.parse_moment(parts[0]), parts[1]
    elif len(parts) == 1:
        moment, step = spiff.parse_duration(parts[0], after), parts[0]
    else:
        raise ValueError(f"timer cycle {value!r} is not R[n]/start/duration or R[n]/duration")
    done = 0
    while moment <= after and done < MAX_LAPS:
        moment, done = spiff.parse_duration(step, moment), done + 1
    return None if laps is not None and done >= laps else moment


def arm(session: Session, deployed: "DeployedVersion", now: datetime) -> None:
    """Replace a procedure's pending scheduled starts with the next occurrence of each timer start event."""
    key = deployed.package.key
    session.execute(delete(Timer).where(Timer.kind == "start", Timer.process_key == key, Timer.fired_at.is_(None)))
    for bpmn_id, expression in spiff.timer_start_events(deployed.spec):
        _insert_start(session, key, bpmn_id, _next(expression, now))


def rearm(session: Session, deployed: "DeployedVersion", timer: Any, now: datetime) -> None:
    """After a scheduled start fired, arm the next occurrence (cycles only).

    Occurrences missed while no worker ran are not all started: the late one fired once, the
    next is the first one after now.
    """
    for bpmn_id, expression in spiff.timer_start_events(deployed.spec):
        if bpmn_id == timer.task_id:
            due = _next(expression, max(timer.due_at, now) + timedelta(seconds=1), cycles_only=True)
            _insert_start(session, deployed.package.key, bpmn_id, due)


def _insert_start(session: Session, key: str, bpmn_id: str, due: datetime | None) -> None:
    """One pending scheduled start of a procedure's timer start event (none when it never falls due again)."""
    if due is not None:
        session.execute(insert(Timer).values(kind="start", process_key=key, task_id=bpmn_id, due_at=due))


def _next(expression: str, after: datetime, cycles_only: bool = False) -> datetime | None:
    """Evaluate a timer expression (sandboxed) and find its next occurrence."""
    try:
        value = str(sandbox.evaluate(expression, {}))
    except ScriptError:
        return None
    if cycles_only and not value.strip().upper().startswith("R"):
        return None
    return next_occurrence(value, after)
