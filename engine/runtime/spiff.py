"""The one place that runs SpiffWorkflow: sandboxed scripts, compact serialization, timers.

The rest of the engine sees plain values (task ids, BPMN ids, data dicts) from here.
"""
import functools
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeGuard
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine import sandbox
from engine.clock import Clock, SystemClock
from engine.errors import ScriptError
from engine.runtime.results import JsonObject, NodeStates, TaskInfo

# SpiffWorkflow's task iterator stops silently at depth 1000, about 250 laps of a small loop,
# and the case then never moves again. Review cycles and reopened complaints loop for years,
# so the depth is lifted to what memory allows (the iterator is iterative, not recursive).
UNBOUNDED_DEPTH = 10**9
for _iterator in (TaskIterator, BpmnTaskIterator):
    _defaults = list(_iterator.__init__.__defaults__)
    _defaults[1] = UNBOUNDED_DEPTH
    _iterator.__init__.__defaults__ = tuple(_defaults)

_SYSTEM_CLOCK = SystemClock()

# SpiffWorkflow ships no type information, so its objects are Any to mypy; these names say which is meant.
ProcessSpec = Any  # a parsed process (BpmnProcessSpec)
SubprocessSpecs = dict[str, Any]  # the specs of the processes it calls, by process id
SpecLoader = Callable[[int], tuple[ProcessSpec, SubprocessSpecs]]  # a stored version's specs, by its id
Workflow = BpmnWorkflow  # a case's running workflow
SpiffTask = Task  # one task of it (a step, an event, a gateway)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Runs BPMN conditions, scripts and DMN cells in engine.sandbox, never plain exec."""

    def __init__(self, time_limit: float = sandbox.DEFAULT_TIME_LIMIT) -> None:
        super().__init__({})
        self.time_limit = time_limit

    def evaluate(self, expression: str, context: Mapping[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        """Evaluate a condition or DMN cell with the task data as names."""
        names = dict(context)
        names.update(external_context or {})
        return sandbox.evaluate(expression, names, self.time_limit)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        """Run a script task, updating the task data in place."""
        sandbox.execute(script, context, external_context, self.time_limit)
        return True


class ClockedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine on the sandbox, telling timer events opsflow's current clock."""

    def __init__(self, codec: "WorkflowCodec") -> None:
        super().__init__(environment=SandboxEnvironment(codec.time_limit))
        self._codec = codec

    @property
    def clock(self) -> Clock:
        """The codec's clock now (a runtime may swap clocks while workflows stay cached); else the system's."""
        return self._codec.clock or _SYSTEM_CLOCK


class SpecKeyConverter(BpmnWorkflowConverter):
    """Stores the definition id instead of the whole spec: half the bytes, three times faster loads."""

    spec_loader: ClassVar[SpecLoader]  # given by the subclass WorkflowCodec makes for its catalogue

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """Serialize the workflow without its specs."""
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec_key"] = workflow.spec.opsflow_definition_id
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        """Rebuild the workflow on the cached specs of its definition."""
        spec, subprocess_specs = type(self).spec_loader(dct.pop("spec_key"))
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# Task ids are UUIDs and each one is turned into text several times per save (id, parent, children).
_uuid_text = functools.lru_cache(maxsize=65536)(str)


class LeanTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter, same output, a quarter cheaper: every save converts every task."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        """The task as a dict: its data as a delta against its parent's (as the library writes it)."""
        parent = task.workflow.tasks.get(task._parent) if task._parent is not None else None
        data, delta = task.data, {}
        if parent is not None:
            above = parent.data
            delta = {"updates": {k: v for k, v in data.items() if k not in above or v != above[k]},
                     "deletions": [k for k in above if k not in data]}
            data = {}
        return {"id": _uuid_text(task.id), "parent": _uuid_text(task._parent) if parent is not None else None,
                "children": [_uuid_text(child) for child in task._children],
                "last_state_change": task.last_state_change, "state": task.state,
                "task_spec": task.task_spec.name, "triggered": task.triggered,
                "internal_data": self.registry.convert(task.internal_data), "data": data, "delta": delta}


class WorkflowCodec:
    """Serialize and deserialize workflows whose specs come from `spec_loader(definition_id)`."""

    def __init__(self, spec_loader: SpecLoader, time_limit: float = sandbox.DEFAULT_TIME_LIMIT,
                 clock: Clock | None = None) -> None:
        config = dict(SPIFF_CONFIG)
        converter = type("BoundSpecKeyConverter", (SpecKeyConverter,), {"spec_loader": staticmethod(spec_loader)})
        config[BpmnWorkflow] = converter
        config[Task] = LeanTaskConverter
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.version = self.serializer.VERSION
        self.time_limit = time_limit
        self.clock = clock

    def new(self, spec: ProcessSpec, subprocess_specs: SubprocessSpecs) -> BpmnWorkflow:
        """A fresh workflow on sandboxed scripts."""
        return BpmnWorkflow(spec, subprocess_specs, script_engine=ClockedScriptEngine(self))

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """Serialize to JSON text."""
        return self.serializer.serialize_json(workflow)

    def loads(self, text: str) -> BpmnWorkflow:
        """Deserialize JSON text, re-attaching the sandboxed script engine."""
        workflow = self.serializer.deserialize_json(text)
        workflow.script_engine = ClockedScriptEngine(self)
        return workflow

    def to_blob(self, workflow: BpmnWorkflow) -> bytes:
        """The stored form: JSON compressed (about a fifth of the bytes for the database to write)."""
        return zlib.compress(self.dumps(workflow).encode("utf-8"), 1)

    def from_blob(self, blob: bytes) -> BpmnWorkflow:
        """A workflow from its stored form."""
        return self.loads(zlib.decompress(blob).decode("utf-8"))


def run_engine(workflow: BpmnWorkflow) -> None:
    """Advance until the workflow waits for people or time; script failures become ScriptError."""
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise _explain(exc) from exc


def _explain(exc: SpiffWorkflowException) -> ScriptError:
    """A ScriptError with a one-line reason, naming the BPMN element that failed when known."""
    task = getattr(exc, "task", None)
    inner = getattr(exc, "error_msg", None) or str(exc)
    notes = " ".join(getattr(exc, "__notes__", []))
    reason = f"{inner} {notes}".strip()
    if task is not None and task.task_spec.bpmn_id:
        return ScriptError("step_failed", step=task.task_spec.bpmn_id, reason=reason)
    return ScriptError("workflow_failed", reason=reason)


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    """Every task of the workflow and its subprocesses, from the flat task maps (no tree walk)."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """READY user/manual tasks (including those inside subprocesses)."""
    return [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]


def _waiting_timer_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """WAITING tasks whose spec is a timer event."""
    return [t for t in all_tasks(workflow) if t.state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]


def find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    """The task with this id, or None."""
    try:
        return workflow.get_task_from_id(UUID(str(task_id)))
    except (KeyError, ValueError, TypeError, TaskNotFoundException):
        return None


def is_ready(task: Task | None) -> TypeGuard[Task]:
    """True when the task may be run now (SpiffWorkflow's run() does not check)."""
    return task is not None and task.state == TaskState.READY


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, datetime]:
    """{task_id: due datetime} of every waiting timer, on opsflow's clock (see clocked_timers)."""
    due: dict[str, datetime] = {}
    for task in _waiting_timer_tasks(workflow):
        pinned = task.internal_data.get("opsflow_due")
        if pinned is not None:
            due[str(task.id)] = datetime.fromisoformat(pinned)
    return due


def timer_start_events(spec: ProcessSpec) -> list[tuple[str, str]]:
    """(BPMN id, timer expression) of each timer start event of a process spec, sorted."""
    return sorted((ts.bpmn_id, ts.event_definition.expression) for ts in spec.task_specs.values()
                  if isinstance(ts, StartEvent) and isinstance(getattr(ts, "event_definition", None),
                                                             TimerEventDefinition))


def fire_timer(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Make one waiting timer fire now and advance the workflow; False if it no longer waits."""
    task = find_task(workflow, task_id)
    if task is None or task.state != TaskState.WAITING:
        return False
    task.internal_data["opsflow_fire"] = True
    workflow.refresh_timers()
    run_engine(workflow)
    return True


def completed_path(workflow: BpmnWorkflow) -> list[str]:
    """BPMN ids of finished flow nodes in the order they finished."""
    done = [t for t in all_tasks(workflow) if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id]
    done.sort(key=lambda t: t.last_state_change)
    return [t.task_spec.bpmn_id for t in done]


def node_states(workflow: BpmnWorkflow) -> NodeStates:
    """Sorted BPMN ids of flow nodes by state, for drawing a case on its diagram.

    done: completed at least once; current: ready or started; waiting: timers, messages, joins.
    """
    states = {"done": (TaskState.COMPLETED,), "current": (TaskState.READY, TaskState.STARTED),
              "waiting": (TaskState.WAITING,)}
    found: dict[str, set[str]] = {name: set() for name in states}
    for task in all_tasks(workflow):
        bpmn_id = task.task_spec.bpmn_id
        for name, wanted in states.items():
            if bpmn_id and task.state in wanted:
                found[name].add(bpmn_id)
    return {"done": sorted(found["done"]), "current": sorted(found["current"]), "waiting": sorted(found["waiting"])}


def end_event(workflow: BpmnWorkflow) -> str | None:
    """BPMN id of the last end event reached by the top-level process, or None."""
    ends = [t for t in workflow.tasks.values()
            if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent)]
    ends.sort(key=lambda t: t.last_state_change)
    return ends[-1].task_spec.bpmn_id if ends else None


def size_of(serialized: str | bytes) -> int:
    """Bytes of a serialized workflow (text or stored blob)."""
    return len(serialized.encode("utf-8")) if isinstance(serialized, str) else len(serialized)


def parse_duration(text: str, start: datetime) -> datetime:
    """`start` plus an ISO 8601 duration such as P2D or PT4H (months and years included)."""
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
    except Exception as exc:  # the library raises a bare Exception
        raise ValueError(f"{text!r} is not an ISO 8601 duration") from exc
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time as an aware UTC datetime (a value without a zone is read as UTC)."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def case_data(workflow: BpmnWorkflow) -> JsonObject:
    """The case's current data: end data when finished, else the newest data of open branches.

    A cancelled case has neither: every task's data, oldest change first, so each value is the newest
    one (cancelling touches every unfinished task at once, data-less future ones too).
    """
    if workflow.completed and workflow.data and end_event(workflow):
        return dict(workflow.data)
    tasks = list(all_tasks(workflow))
    branches = [t for t in tasks if t.state in (TaskState.READY, TaskState.WAITING)] or tasks
    data: JsonObject = {}
    for task in sorted(branches, key=lambda t: t.last_state_change):
        data.update(task.data)
    return data


def task_info(task: Task) -> TaskInfo:
    """Plain facts of a task: BPMN id, name, lane, data."""
    spec = task.task_spec
    return {"id": str(task.id), "bpmn_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id,
            "lane": spec.lane, "data": task.data}


def cancel(workflow: BpmnWorkflow) -> None:
    """Cancel every open task of the workflow."""
    workflow.cancel()
