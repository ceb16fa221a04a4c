"""Names read where nothing sets them: conditions, scripts, DMN inputs, manifest expressions, instructions.

The check is flow-insensitive: a name counts as set when any form field, script, decision output,
multi-instance step or the engine itself sets it anywhere in the package, so it never doubts a
working model; what it reports fails on every path (a NameError at a gateway, an assignment that
falls back to the role, an instructions sentence with a hole in it).
"""
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from engine.definitions.checks import owner
from engine.definitions.crossref import defined_names
from engine.definitions.documents import Document, Model, bpmn
from engine.definitions.expressions import EXPRESSIONS, spiff_scripts, task_expressions
from engine.definitions.formrules import rule_sites
from engine.definitions.forms import LANGUAGES, form_references
from engine.definitions.instructions import locate, template_names
from engine.definitions.model import Problem
from engine.definitions.names import ORG_FUNCTIONS, expression_names, script_names
from engine.definitions.timers import TIMER_KINDS, quote_iso
from engine.definitions.yamlfile import KeyPath, YamlFile, reread_yaml
from engine.error_codes import Coded
from engine.formrules import RULE_NAMES

# (document, element to locate, what it is, names it reads) of one place in a model that reads case data.
Site = tuple[Document, etree._Element, str, set[str]]


def _model_sites(model: Model) -> Iterator[Site]:
    """Yield (document, element to locate, what it is, names it reads) for every BPMN expression and script."""
    for tag, what in EXPRESSIONS:
        for document, element in model.elements(tag):
            yield document, owner(element), what, expression_names(element.text or "")
    for kind in TIMER_KINDS:
        for document, element in model.elements(kind):
            yield document, owner(element), "timer", expression_names(quote_iso(element.text or ""))
    for document, ref in model.elements("loopDataInputRef"):
        yield document, owner(ref), "multi-instance input", {(ref.text or "").strip()} - {""}
    for document, task in model.elements("scriptTask"):
        script = task.find(bpmn("script"))
        yield document, task, "script", script_names(script.text or "") if script is not None else set()
    for document, element in spiff_scripts(model):
        yield document, owner(element), etree.QName(element).localname, script_names(element.text or "")


def _decision_sites(model: Model) -> Iterator[Site]:
    """Yield (document, input column, what, names) for every DMN input expression."""
    for document in model.dmn:
        namespace = etree.QName(document.root).namespace
        for column in document.root.iter(f"{{{namespace}}}input"):
            text = column.find(f"{{{namespace}}}inputExpression/{{{namespace}}}text")
            source = text.text or "" if text is not None else ""
            yield document, column, "input expression", expression_names(source)


def _unset(names: set[str], known: set[str], what: str) -> list[Coded]:
    """(code, params) for each name read and not known, hinting where org functions do work."""
    return [("name_unset_org_function" if name in ORG_FUNCTIONS else "name_unset", {"what": what, "name": name})
            for name in sorted(names - known)]


def _model_problems(model: Model, known: set[str]) -> list[Problem]:
    """Located problems of every BPMN and DMN site that reads an unset name."""
    problems: list[Problem] = []
    for document, element, what, names in [*_model_sites(model), *_decision_sites(model)]:
        problems.extend(document.problem(element, code, **params) for code, params in _unset(names, known, what))
    return problems


def _manifest_problems(manifest: YamlFile, known: set[str]) -> list[Problem]:
    """process.yaml expressions reading unset names; `schedule.as` runs before any case data exists."""
    data = manifest.data
    sites: list[tuple[KeyPath, str, set[str]]] = [site for task_id, entry in (data.get("tasks") or {}).items()
             for site in task_expressions(task_id, entry)]
    sites += [(("confidential", "users", index), source, set())
              for index, source in enumerate((data.get("confidential") or {}).get("users") or [])]
    problems = []
    for path, source, extra in sites:
        for code, params in _unset(expression_names(source), known | ORG_FUNCTIONS | extra, "expression"):
            problems.append(manifest.problem(path, code, **params))
    schedule = data.get("schedule")
    for name in sorted(expression_names(schedule["as"]) - ORG_FUNCTIONS) if schedule else ():
        problems.append(manifest.problem(("schedule", "as"), "schedule_reads_data", name=name))
    return problems


def _template_problems(manifest: YamlFile, forms: Mapping[str, dict[str, Any]], files: Mapping[str, bytes],
                       origin: str, known: set[str]) -> list[Problem]:
    """Instructions reading unset names; a start form's are shown before the case has any data."""
    references = form_references(manifest.data)
    task_forms = {path for key_path, path in references if key_path[0] == "tasks"}
    problems = []
    for form_path in dict.fromkeys(path for _, path in references):
        instructions = forms.get(form_path, {}).get("instructions") or {}
        allowed = known if form_path in task_forms else set()
        code = "instructions_name_unset" if form_path in task_forms else "start_instructions_read_data"
        for language in LANGUAGES:
            for name in sorted(template_names(instructions.get(language) or "") - allowed):
                problem = locate(files, origin, form_path, language)
                problems.append(problem(code, language=language, name=name))
    return problems


def _rule_problems(forms: Mapping[str, dict[str, Any]], files: Mapping[str, bytes], origin: str,
                   known: set[str]) -> list[Problem]:
    """Form rules and choice expressions reading names nothing sets (a typo would pass as an empty field)."""
    problems = []
    for form_path, form in forms.items():
        for key_path, source in rule_sites(form):
            for name in sorted(expression_names(source) - known - RULE_NAMES):
                document = reread_yaml(f"{origin}/{form_path}", files[form_path])
                problems.append(document.problem(key_path, "rule_name_unset", name=name))
    return problems


def reference_problems(model: Model, manifest: YamlFile, forms: Mapping[str, dict[str, Any]],
                       files: Mapping[str, bytes], origin: str) -> list[Problem]:
    """Every place that reads case data no part of the package sets, located in its own file."""
    known = defined_names(model, forms)
    problems = _model_problems(model, known) + _manifest_problems(manifest, known)
    problems += _rule_problems(forms, files, origin, known)
    return problems + _template_problems(manifest, forms, files, origin, known)
