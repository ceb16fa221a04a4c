"""The one place that runs SpiffWorkflow: sandboxed scripts, compact serialization, timers.

The rest of the engine sees plain values (task ids, BPMN ids, data dicts) from here.
"""
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine import sandbox
from engine.errors import ScriptError

# SpiffWorkflow's task iterator stops silently at depth 1000, about 250 laps of a small loop,
# and the case then never moves again. Review cycles and reopened complaints loop for years,
# so the depth is lifted to what memory allows (the iterator is iterative, not recursive).
UNBOUNDED_DEPTH = 10**9
for _iterator in (TaskIterator, BpmnTaskIterator):
    _defaults = list(_iterator.__init__.__defaults__)
    _defaults[1] = UNBOUNDED_DEPTH
    _iterator.__init__.__defaults__ = tuple(_defaults)

FAR_FUTURE = "9999-12-31T00:00:00+00:00"
LONG_AGO = "2000-01-01T00:00:00+00:00"


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Runs BPMN conditions, scripts and DMN cells in engine.sandbox, never plain exec."""

    def __init__(self, time_limit=sandbox.DEFAULT_TIME_LIMIT):
        super().__init__({})
        self.time_limit = time_limit

    def evaluate(self, expression, context, external_context=None):
        """Evaluate a condition or DMN cell with the task data as names."""
        names = dict(context)
        names.update(external_context or {})
        return sandbox.evaluate(expression, names, self.time_limit)

    def execute(self, script, context, external_context=None):
        """Run a script task, updating the task data in place."""
        sandbox.execute(script, context, external_context, self.time_limit)
        return True


def make_script_engine(time_limit=sandbox.DEFAULT_TIME_LIMIT):
    """A SpiffWorkflow script engine bound to the sandbox."""
    return PythonScriptEngine(environment=SandboxEnvironment(time_limit))


class SpecKeyConverter(BpmnWorkflowConverter):
    """Stores the definition id instead of the whole spec: half the bytes, three times faster loads."""

    spec_loader = None

    def to_dict(self, workflow):
        """Serialize the workflow without its specs."""
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec_key"] = workflow.spec.opsflow_definition_id
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        """Rebuild the workflow on the cached specs of its definition."""
        spec, subprocess_specs = type(self).spec_loader(dct.pop("spec_key"))
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class WorkflowCodec:
    """Serialize and deserialize workflows whose specs come from `spec_loader(definition_id)`."""

    def __init__(self, spec_loader, time_limit=sandbox.DEFAULT_TIME_LIMIT):
        config = dict(SPIFF_CONFIG)
        converter = type("BoundSpecKeyConverter", (SpecKeyConverter,), {"spec_loader": staticmethod(spec_loader)})
        config[BpmnWorkflow] = converter
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.version = self.serializer.VERSION
        self.time_limit = time_limit

    def new(self, spec, subprocess_specs):
        """A fresh workflow on sandboxed scripts."""
        return BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(self.time_limit))

    def dumps(self, workflow):
        """Serialize to JSON text."""
        return self.serializer.serialize_json(workflow)

    def loads(self, text):
        """Deserialize JSON text, re-attaching the sandboxed script engine."""
        workflow = self.serializer.deserialize_json(text)
        workflow.script_engine = make_script_engine(self.time_limit)
        return workflow


def run_engine(workflow):
    """Advance until the workflow waits for people or time; script failures become ScriptError."""
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise ScriptError(_explain(exc)) from exc


def _explain(exc):
    """A one-line reason naming the BPMN element that failed."""
    task = getattr(exc, "task", None)
    where = f"[{task.task_spec.bpmn_id}] " if task is not None and task.task_spec.bpmn_id else ""
    inner = getattr(exc, "error_msg", None) or str(exc)
    notes = " ".join(getattr(exc, "__notes__", []))
    return f"{where}{inner} {notes}".strip()


def all_tasks(workflow):
    """Every task of the workflow and its subprocesses, from the flat task maps (no tree walk)."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def ready_human_tasks(workflow):
    """READY user/manual tasks (including those inside subprocesses)."""
    return [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]


def _waiting_timer_tasks(workflow):
    """WAITING tasks whose spec is a timer event."""
    return [t for t in all_tasks(workflow) if t.state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]


def find_task(workflow, task_id):
    """The task with this id, or None."""
    try:
        return workflow.get_task_from_id(UUID(str(task_id)))
    except (KeyError, ValueError, TypeError):
        return None


def is_ready(task):
    """True when the task may be run now (SpiffWorkflow's run() does not check)."""
    return task is not None and task.state == TaskState.READY


def waiting_timers(workflow, now):
    """{task_id: due datetime} of every waiting timer, pinning each to our clock on first sight.

    SpiffWorkflow compares timers with the real time; we move its own due value out of reach
    and keep ours (from the injectable clock), so only `fire_timer` makes a timer fire.
    """
    due = {}
    for task in _waiting_timer_tasks(workflow):
        pinned = task.internal_data.get("opsflow_due")
        if pinned is None:
            pinned = _pin(task, task.task_spec.event_definition, now)
        due[str(task.id)] = datetime.fromisoformat(pinned)
    return due


def _pin(task, definition, now):
    """Record the timer's due time on our clock and stop SpiffWorkflow firing it by itself."""
    value = task.internal_data.get("event_value")
    real_now = datetime.now(UTC)
    if isinstance(definition, CycleTimerEventDefinition):
        at = now + (datetime.fromisoformat(value["next"]) - real_now)
        value["next"] = FAR_FUTURE
    elif isinstance(definition, TimeDateEventDefinition):
        at = TimerEventDefinition.parse_time_or_duration(value)
        task.internal_data["event_value"] = FAR_FUTURE
    else:
        at = now + (datetime.fromisoformat(value) - real_now)
        task.internal_data["event_value"] = FAR_FUTURE
    at = (at + timedelta(microseconds=500_000)).replace(microsecond=0)
    task.internal_data["opsflow_due"] = at.isoformat()
    return task.internal_data["opsflow_due"]


def fire_timer(workflow, task_id):
    """Make one waiting timer fire now and advance the workflow; False if it no longer waits."""
    task = find_task(workflow, task_id)
    if task is None or task.state != TaskState.WAITING:
        return False
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value["next"] = LONG_AGO
    else:
        task.internal_data["event_value"] = LONG_AGO
    task.internal_data.pop("opsflow_due", None)
    workflow.refresh_timers()
    run_engine(workflow)
    return True


def completed_path(workflow):
    """BPMN ids of finished flow nodes in the order they finished."""
    done = [t for t in all_tasks(workflow) if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id]
    done.sort(key=lambda t: t.last_state_change)
    return [t.task_spec.bpmn_id for t in done]


def end_event(workflow):
    """BPMN id of the last end event reached by the top-level process, or None."""
    ends = [t for t in workflow.tasks.values()
            if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent)]
    ends.sort(key=lambda t: t.last_state_change)
    return ends[-1].task_spec.bpmn_id if ends else None


def size_of(text):
    """Bytes of a serialized workflow."""
    return len(text.encode("utf-8")) if isinstance(text, str) else len(json.dumps(text))


def parse_duration(text, start):
    """`start` plus an ISO 8601 duration such as P2D or PT4H (months and years included)."""
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def case_data(workflow):
    """The case's current data: end data when finished, else the newest data of open branches."""
    if workflow.completed:
        return dict(workflow.data)
    data = {}
    open_tasks = [t for t in all_tasks(workflow) if t.state in (TaskState.READY, TaskState.WAITING)]
    for task in sorted(open_tasks, key=lambda t: t.last_state_change):
        data.update(task.data)
    if not data and workflow.last_task is not None:
        data.update(workflow.last_task.data)
    return data


def task_info(task):
    """Plain facts of a task: BPMN id, name, lane, data."""
    spec = task.task_spec
    return {"id": str(task.id), "bpmn_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id,
            "lane": spec.lane, "data": task.data}


def waiting_timer_ids(workflow):
    """Ids of timers already pinned to our clock (their rows exist)."""
    return {str(t.id) for t in _waiting_timer_tasks(workflow) if "opsflow_due" in t.internal_data}


def cancel(workflow):
    """Cancel every open task of the workflow."""
    workflow.cancel()
