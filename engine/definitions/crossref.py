"""Checks that manifest and model agree: process, lanes, user tasks, expressions, searchable fields."""
from collections.abc import Mapping
from typing import Any

from lxml import etree

from engine.definitions.documents import SPIFF_NS, Document, Model, bpmn
from engine.definitions.expressions import (
    assigned_names,
    expression_error,
    script_sources,
    task_expressions,
)
from engine.definitions.forms import field_names
from engine.definitions.model import Problem
from engine.definitions.names import ENGINE_DATA
from engine.definitions.yamlfile import YamlFile


def process_problems(model: Model, manifest: YamlFile) -> list[Problem]:
    """The manifest's process_id must name an executable process of the package."""
    process_id = manifest.data["process_id"]
    for document, process in model.elements("process"):
        if process.get("id") == process_id:
            if process.get("isExecutable") == "false":
                return [document.problem(process, "process_not_executable")]
            return []
    files = ", ".join(document.path for document in model.bpmn) or "no .bpmn file"
    return [manifest.problem(("process_id",), "no_process", process=process_id, files=files)]


def _leaf_lanes(model: Model) -> list[tuple[Document, etree._Element]]:
    """(document, lane) for every lane that holds nodes itself rather than through child lanes."""
    return [(document, lane) for document, lane in model.elements("lane")
            if lane.find(bpmn("childLaneSet")) is None]


def lane_problems(model: Model, manifest: YamlFile) -> list[Problem]:
    """Every lane needs a role; every lane the manifest names must exist."""
    roles = manifest.data["lanes"]
    problems = []
    for document, lane in _leaf_lanes(model):
        if lane.get("name") not in roles and lane.get("id") not in roles:
            label = lane.get("name") or lane.get("id")
            problems.append(document.problem(lane, "lane_no_role", lane=label))
    known = {lane.get(attribute) for _, lane in model.elements("lane") for attribute in ("name", "id")}
    problems.extend(manifest.problem(("lanes", key), "lane_unknown", lane=key)
                    for key in roles if key not in known)
    return problems


def _laned_nodes(model: Model) -> set[str]:
    """Ids of the flow nodes that sit in some lane."""
    return {(ref.text or "").strip() for _, lane in model.elements("lane")
            for ref in lane.iterchildren(bpmn("flowNodeRef"))}


def _entry_problems(manifest: YamlFile, task_id: str, entry: dict[str, Any]) -> list[Problem]:
    """A task entry needs a form and a due duration; its expressions must compile."""
    problems = [manifest.problem(("tasks", task_id), "task_entry_incomplete", element=task_id, task=task_id, key=key)
                for key in ("form", "due") if key not in entry]
    for path, source, _ in task_expressions(task_id, entry):
        error = expression_error(source)
        if error:
            problems.append(manifest.problem(path, "manifest_expression_not_compiling", reason=error))
    return problems


def task_problems(model: Model, manifest: YamlFile) -> list[Problem]:
    """Every user task needs a manifest entry and someone to do it; entries name real user tasks."""
    entries = manifest.data.get("tasks") or {}
    laned = _laned_nodes(model)
    user_tasks = {task.get("id") for _, task in model.elements("userTask")}
    problems = []
    for document, task in model.elements("userTask"):
        entry = entries.get(task.get("id"))
        if entry is None:
            problems.append(document.problem(task, "task_no_entry"))
        elif task.get("id") not in laned and not entry.get("role") and not entry.get("assignee"):
            problems.append(document.problem(task, "task_nobody"))
    for task_id, entry in entries.items():
        if task_id not in user_tasks:
            problems.append(manifest.problem(("tasks", task_id), "task_unknown", task=task_id))
        problems.extend(_entry_problems(manifest, task_id, entry))
    return problems


def _model_set_names(model: Model) -> set[str]:
    """Names the engine sets as the model says: multi-instance items and results, event and service results."""
    names: set[str | None] = {item.get("name") for _, item in model.elements("inputDataItem", "outputDataItem")}
    names |= {(ref.text or "").strip() for _, ref in model.elements("loopDataOutputRef")}
    variables = [f"{{{SPIFF_NS}}}{tag}" for tag in ("messageVariable", "variableName")]
    for document in model.bpmn:
        names |= {(element.text or "").strip() for element in document.root.iter(*variables)}
        names |= {element.get("resultVariable") for element in document.root.iter() if isinstance(element.tag, str)}
    return {name for name in names if name}


def defined_names(model: Model, forms: Mapping[str, dict[str, Any]]) -> set[str]:
    """Case data something sets: form fields, scripts, DMN outputs, the model's variables, the engine itself.

    A BPMN data object only declares a name (a value still has to come from one of these), and a
    schedule's `data` passes through the start form, which keeps only its own fields.
    """
    names: set[str] = set().union(*(assigned_names(source) for source in script_sources(model)))
    for document in model.dmn:
        outputs = document.root.iter(f"{{{etree.QName(document.root).namespace}}}output")
        names |= {name for output in outputs if (name := output.get("name"))}
    return names.union(_model_set_names(model), ENGINE_DATA, *(field_names(form) for form in forms.values()))


def searchable_problems(model: Model, manifest: YamlFile, forms: Mapping[str, dict[str, Any]]) -> list[Problem]:
    """Searchable fields must be written by a form, a script or a decision: a typo finds nothing."""
    names = defined_names(model, forms)
    return [
        manifest.problem(("searchable", index, "field"), "searchable_unwritten", field=item["field"])
        for index, item in enumerate(manifest.data.get("searchable") or [])
        if item["field"] not in names
    ]


def unique_problems(manifest: YamlFile, forms: Mapping[str, dict[str, Any]]) -> list[Problem]:
    """`unique` fields must be start-form fields kept searchable (the start check reads them from `search`)."""
    rule = manifest.data.get("unique")
    if not rule:
        return []
    start = ((forms.get(manifest.data.get("start_form")) or {}).get("schema") or {}).get("properties") or {}
    searchable = {item["field"] for item in manifest.data.get("searchable") or []}
    problems = [manifest.problem(("unique", "fields", index), "unique_not_start_field", field=field)
                for index, field in enumerate(rule["fields"]) if field not in start]
    problems += [manifest.problem(("unique", "fields", index), "unique_not_searchable", field=field)
                 for index, field in enumerate(rule["fields"]) if field in start and field not in searchable]
    if rule.get("field") and rule["field"] not in rule["fields"]:
        problems.append(manifest.problem(("unique", "field"), "unique_field_not_listed", field=rule["field"]))
    return problems


def confidential_problems(manifest: YamlFile) -> list[Problem]:
    """The expressions naming who may see a confidential case must compile."""
    users = (manifest.data.get("confidential") or {}).get("users") or []
    return [manifest.problem(("confidential", "users", index), "manifest_expression_not_compiling", reason=error)
            for index, source in enumerate(users) if (error := expression_error(source))]


def schedule_problems(model: Model, manifest: YamlFile) -> list[Problem]:
    """A timer start event needs `schedule:` (who scheduled cases start as) and a plain start event.

    The timer start event declares when cases start; each case, scheduled or on demand, runs
    from the plain start event, so a case never waits at its start nor repeats its cycle inside.
    """
    timer_starts = [(document, event) for document, event in model.elements("startEvent")
                    if event.find(bpmn("timerEventDefinition")) is not None]
    schedule = manifest.data.get("schedule")
    if timer_starts and schedule is None:
        return [document.problem(event, "schedule_missing") for document, event in timer_starts]
    if schedule is not None and not timer_starts:
        return [manifest.problem(("schedule",), "schedule_without_timer")]
    plain_starts = [event for _, event in model.elements("startEvent")
                    if not any(etree.QName(child).localname.endswith("EventDefinition") for child in event)]
    if timer_starts and not plain_starts:
        document, event = timer_starts[0]
        return [document.problem(event, "schedule_needs_plain_start")]
    error = expression_error(schedule["as"]) if schedule else None
    return [manifest.problem(("schedule", "as"), "manifest_expression_not_compiling", reason=error)] if error else []

