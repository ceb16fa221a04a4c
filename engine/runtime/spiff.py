"""The one place that runs SpiffWorkflow: sandboxed scripts, compact serialization, timers.

The rest of the engine sees plain values (task ids, BPMN ids, data dicts) from here.
"""
import ast
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
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine import sandbox
from engine.clock import Clock, SystemClock
from engine.errors import ScriptError
from engine.runtime.results import (
    DecisionRule,
    DecisionTableView,
    JsonObject,
    NodeStates,
    TaskInfo,
    TimerView,
    UserStep,
)

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


def _flow_specs(spec: ProcessSpec, subprocess_specs: SubprocessSpecs) -> Iterator[Any]:
    """Every task spec of a process in the order its flows reach it (breadth first from the start); the steps of a
    subprocess it calls, or of a multi-instance step's task, follow the call; a spec no flow reaches comes last."""
    seen: set[int] = set()
    yield from _reached(spec, spec.start, subprocess_specs, seen)
    for each in [spec, *subprocess_specs.values()]:
        yield from (task_spec for task_spec in each.task_specs.values() if id(task_spec) not in seen)


def _reached(spec: ProcessSpec, start: Any, subprocess_specs: SubprocessSpecs, seen: set[int]) -> Iterator[Any]:
    """The task specs of `spec` reached from `start`, breadth first, each called process's whole at its call."""
    queue = [start]
    while queue:
        task_spec = queue.pop(0)
        if task_spec is None or id(task_spec) in seen:
            continue
        seen.add(id(task_spec))
        yield task_spec
        inner = spec.task_specs.get(getattr(task_spec, "task_spec", None) or "")
        if inner is not None:
            yield from _reached(spec, inner, subprocess_specs, seen)
        called = subprocess_specs.get(getattr(task_spec, "spec", None) or "")
        if called is not None:
            yield from _reached(called, called.start, subprocess_specs, seen)
        queue.extend(task_spec.outputs)


def user_steps(spec: ProcessSpec, subprocess_specs: SubprocessSpecs) -> list[UserStep]:
    """The user tasks of a process (and the subprocesses it calls) in flow order: BPMN id, name, lane."""
    found: dict[str, UserStep] = {}
    for task_spec in _flow_specs(spec, subprocess_specs):
        if isinstance(task_spec, UserTask) and task_spec.bpmn_id not in found:
            found[task_spec.bpmn_id] = {"bpmn_id": task_spec.bpmn_id, "name": task_spec.bpmn_name or task_spec.bpmn_id,
                                        "lane": task_spec.lane}
    return list(found.values())


def decision_tables(spec: ProcessSpec, subprocess_specs: SubprocessSpecs) -> list[DecisionTableView]:
    """The DMN tables the process's business rule tasks run, as SpiffWorkflow parsed them, in flow order."""
    tables: list[DecisionTableView] = []
    for task_spec in _flow_specs(spec, subprocess_specs):
        engine = getattr(task_spec, "dmnEngine", None)
        if engine is None:
            continue
        table = engine.decision_table
        rules: list[DecisionRule] = [
            {"description": rule.description or "",
             "inputs": [" or ".join(text for text in entry.lhs if text) or None for entry in rule.inputEntries],
             "outputs": [entry.text or None for entry in rule.outputEntries]} for rule in table.rules]
        policy = str(getattr(table.hit_policy, "value", table.hit_policy))
        tables.append({"step": task_spec.bpmn_id, "id": table.id, "hit_policy": policy,
                       "inputs": [{"label": column.label or column.expression or "",
                                   "expression": column.expression or ""} for column in table.inputs],
                       "outputs": [{"label": column.label or column.name or "", "name": column.name or ""}
                                   for column in table.outputs],
                       "rules": rules})
    return tables


_TIMER_KINDS = {"TimeDateEventDefinition": "date", "DurationTimerEventDefinition": "duration",
                "CycleTimerEventDefinition": "cycle"}


def _timer_kind(definition: TimerEventDefinition) -> str:
    """date, duration or cycle: the SpiffWorkflow class a timer's definition is (ours subclass them)."""
    return next((_TIMER_KINDS[c.__name__] for c in type(definition).__mro__ if c.__name__ in _TIMER_KINDS), "timer")


def _shown_expression(expression: str) -> str:
    """A timer's expression as its modeler wrote it: a quoted ISO value unquoted, any other expression as is."""
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return expression
    return value if isinstance(value, str) else expression


def timer_events(spec: ProcessSpec, subprocess_specs: SubprocessSpecs) -> list[TimerView]:
    """Every timer event of a process in flow order: BPMN id, kind (date, duration, cycle), its expression, the step
    a boundary timer is attached to and whether it interrupts that step."""
    timers: list[TimerView] = []
    for task_spec in _flow_specs(spec, subprocess_specs):
        definition = getattr(task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        split = task_spec.inputs[0] if len(task_spec.inputs) == 1 else None
        attached = [o.bpmn_id for o in (split.outputs if split is not None else []) if o is not task_spec]
        is_boundary = split is not None and type(split).__name__ == "BoundaryEventSplit"
        timers.append({"bpmn_id": task_spec.bpmn_id, "kind": _timer_kind(definition),
                       "expression": _shown_expression(definition.expression),
                       "start": isinstance(task_spec, StartEvent),
                       "attached_to": attached[0] if is_boundary and attached else None,
                       "interrupting": bool(getattr(task_spec, "cancel_activity", False)) if is_boundary else None})
    return timers


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
