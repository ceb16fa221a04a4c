"""BPMN timer events on opsflow's clock: due times come from the injected clock, firing from the worker.

SpiffWorkflow compares timers with the real time while it runs engine steps, so a date that is
past in real time would fire at once and a test could never move time. These subclasses of its
timer definitions record the due time on our clock (`opsflow_due`) and fire only when the worker
has flagged the task (`opsflow_fire`). `use_our_clock` gives parsed specs these classes.
"""
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.clock import SystemClock
from engine.runtime.spiff import ProcessSpec, SubprocessSpecs

_SYSTEM = SystemClock()


def _now(task: Any) -> datetime:
    """The clock of the workflow's script engine (the runtime's), else the system clock."""
    return getattr(task.workflow.script_engine, "clock", _SYSTEM).now()


def _expression(definition: TimerEventDefinition, task: Any) -> str:
    """The timer's expression evaluated in the sandbox, as text."""
    return str(task.workflow.script_engine.evaluate(task, definition.expression))


def _to_utc(moment: datetime) -> datetime:
    """Whole seconds in UTC; a date without a zone is read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


class _FiresOnRequest:
    """Shared by duration and date timers: pin the due time once, fire only when flagged."""

    due_at: Callable[[Any, datetime], datetime]  # each kind of timer says when it falls due

    def has_fired(self, my_task: Any) -> bool:
        """True once the worker flagged the task; records the due time on first sight."""
        if my_task._get_internal_data("opsflow_fire"):
            my_task._set_internal_data(event_fired=True)
        elif my_task._get_internal_data("opsflow_due") is None:
            due = _to_utc(self.due_at(my_task, _now(my_task)))
            my_task._set_internal_data(opsflow_due=due.isoformat(), event_value=due.isoformat())
        return my_task._get_internal_data("event_fired", False)


class ClockedDuration(_FiresOnRequest, DurationTimerEventDefinition):
    """timeDuration: due a duration after the timer started waiting."""

    def due_at(self, my_task: Any, now: datetime) -> datetime:
        """Now plus the duration (months and years counted on the calendar)."""
        parsed = TimerEventDefinition.parse_iso_duration(_expression(self, my_task))
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)


class ClockedDate(_FiresOnRequest, TimeDateEventDefinition):
    """timeDate: due at a fixed moment (often computed from case data)."""

    def due_at(self, my_task: Any, now: datetime) -> datetime:
        """The moment the expression names."""
        value = _expression(self, my_task)
        moment = datetime.fromisoformat(value) if "W" not in value.upper() else \
            TimerEventDefinition.parse_iso_week(value)
        return moment


class ClockedCycle(CycleTimerEventDefinition):
    """timeCycle (R<n>/[start/]duration): each lap is due one duration after the previous one."""

    def cycle_complete(self, my_task: Any) -> bool:
        """Spawn one lap when flagged; mark the event fired when no laps are left."""
        state = my_task._get_internal_data("event_value") or self._first_lap(my_task)
        if state["cycles"] == 0:
            my_task.internal_data.pop("opsflow_due", None)
            my_task._set_internal_data(event_fired=True)
            return False
        ready = bool(my_task.internal_data.pop("opsflow_fire", False))
        if ready:
            state["next"] = (datetime.fromisoformat(state["next"]) + timedelta(seconds=state["duration"])).isoformat()
            state["cycles"] -= 1
        due = state["next"] if state["cycles"] != 0 else _to_utc(_now(my_task)).isoformat()
        my_task._set_internal_data(event_value=state, opsflow_due=due)
        return ready

    def _first_lap(self, my_task: Any) -> dict[str, Any]:
        """Laps, first due time and duration; a cycle without a start begins one duration from now."""
        expression = _expression(self, my_task)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        if expression.upper().strip("R").split("/")[1].startswith("P") and expression.count("/") == 1:
            start = _now(my_task) + duration
        return {"cycles": cycles, "next": _to_utc(start).isoformat(), "duration": duration.total_seconds()}


_CLOCKED = {DurationTimerEventDefinition: ClockedDuration, TimeDateEventDefinition: ClockedDate,
            CycleTimerEventDefinition: ClockedCycle}


def use_our_clock(spec: ProcessSpec, subprocess_specs: SubprocessSpecs) -> None:
    """Give every timer definition of parsed specs its clocked class (idempotent)."""
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            _adopt(getattr(task_spec, "event_definition", None))


def _adopt(definition: Any) -> None:
    """Swap one definition's class, descending into multiple-event definitions."""
    if definition is None:
        return
    clocked = _CLOCKED.get(type(definition))
    if clocked is not None:
        definition.__class__ = clocked
    for inner in getattr(definition, "event_definitions", None) or []:
        _adopt(inner)
