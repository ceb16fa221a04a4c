"""Every condition, script and timer of a model compiled in the sandbox before it is deployed."""
import ast
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from engine.definitions.checks import owner
from engine.definitions.documents import SPIFF_NS, Document, Model, bpmn
from engine.definitions.model import Problem
from engine.definitions.timers import TIMER_KINDS, timer_problem
from engine.definitions.yamlfile import KeyPath
from engine.errors import ScriptError
from engine.sandbox import compile_expression, compile_script

# (element local name, what it is called in a message) of every expression a model may hold.
EXPRESSIONS = (
    ("conditionExpression", "condition"),
    ("loopCardinality", "loop cardinality"),
    ("completionCondition", "completion condition"),
    ("loopCondition", "loop condition"),
    ("condition", "event condition"),
)
SPIFF_SCRIPTS = ("preScript", "postScript")


def expression_error(source: str) -> str | None:
    """Why the sandbox refuses an expression, or None."""
    try:
        compile_expression(source)
    except ScriptError as exc:
        return str(exc)
    return None


def script_error(source: str) -> str | None:
    """Why the sandbox refuses a script (imports included), or None."""
    try:
        compile_script(source)
    except ScriptError as exc:
        return str(exc)
    return None


def task_expressions(task_id: str, entry: dict[str, Any]) -> Iterator[tuple[KeyPath, str, set[str]]]:
    """Yield (key path, source, extra names it may read) for every expression of one process.yaml task entry."""
    base: KeyPath = ("tasks", task_id)
    if entry.get("assignee"):
        yield base + ("assignee",), entry["assignee"], set()
    for key in ("due", "priority"):
        if isinstance(entry.get(key), dict):
            yield base + (key, "expression"), entry[key]["expression"], set()
    escalate = (entry.get("on_breach") or {}).get("escalate_to")
    if escalate:
        yield base + ("on_breach", "escalate_to"), escalate, {"assignee"}
    if entry.get("candidates"):
        yield base + ("candidates",), entry["candidates"], {"assignee"}
    for index, source in enumerate(entry.get("exclude") or []):
        yield base + ("exclude", index), source, set()


def assigned_names(source: str) -> set[str]:
    """Names a script assigns: case data it writes (empty for a script that does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def spiff_scripts(model: Model) -> Iterator[tuple[Document, etree._Element]]:
    """Yield (document, element) for every SpiffWorkflow pre- and post-script."""
    tags = [f"{{{SPIFF_NS}}}{name}" for name in SPIFF_SCRIPTS]
    for document in model.bpmn:
        for element in document.root.iter(*tags):
            yield document, element


def script_sources(model: Model) -> list[str]:
    """The source of every script task and SpiffWorkflow pre/post script."""
    elements = [script for _, script in model.elements("script")]
    elements += [element for _, element in spiff_scripts(model)]
    return [element.text or "" for element in elements]


def _expression_problems(model: Model) -> list[Problem]:
    """Conditions and loop expressions that do not compile."""
    problems = []
    for tag, what in EXPRESSIONS:
        for document, element in model.elements(tag):
            source = (element.text or "").strip()
            error = expression_error(source) if source else None
            if error:
                problems.append(document.problem(owner(element), "not_compiling", what=what, reason=error))
    return problems


def _script_problems(model: Model) -> list[Problem]:
    """Script tasks without a script, and scripts (spiff pre/post scripts too) that do not compile."""
    problems = []
    for document, task in model.elements("scriptTask"):
        script = task.find(bpmn("script"))
        source = (script.text or "") if script is not None else ""
        if not source.strip():
            problems.append(document.problem(task, "script_task_empty"))
            continue
        error = script_error(source)
        if error:
            problems.append(document.problem(task, "not_compiling", what="script", reason=error))
    for document, element in spiff_scripts(model):
        error = script_error(element.text or "")
        if error:
            name = etree.QName(element).localname
            problems.append(document.problem(owner(element), "not_compiling", what=name, reason=error))
    return problems


def _timer_problems(model: Model) -> list[Problem]:
    """Timers that are neither ISO 8601 (with a zone for dates) nor an allowed expression."""
    problems = []
    for timer_kind in TIMER_KINDS:
        for document, element in model.elements(timer_kind):
            problem = timer_problem(timer_kind, element.text)
            if problem:
                code, params = problem
                problems.append(document.problem(owner(element), code, **params))
    return problems


EXPRESSION_CHECKS: tuple[Callable[[Model], list[Problem]], ...] = (
    _expression_problems, _script_problems, _timer_problems)
