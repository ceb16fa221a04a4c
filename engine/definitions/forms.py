"""Form files: a bilingual title and instructions around a JSON Schema of the fields."""
import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.definitions.formrules import rule_problems
from engine.definitions.limits import DEFAULT_TEXT_MAX_LENGTH, DEFAULT_TEXTAREA_MAX_LENGTH
from engine.definitions.model import Problem
from engine.definitions.yamlfile import KeyPath, YamlFile, read_yaml, schema_problems
from engine.formfields import LABEL, WIDGET, unknown_keywords, walk_fields, walk_nodes, widget_problem

ENVELOPE = Draft202012Validator(
    yaml.safe_load(Path(__file__).with_name("form_schema.yaml").read_text("utf-8"))
)
LANGUAGES = ("en", "zh-Hant")


def form_references(manifest: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """Every (manifest key path, form path) the manifest names, in the order written."""
    references: list[tuple[KeyPath, str]] = []
    if isinstance(manifest.get("start_form"), str):
        references.append((("start_form",), manifest["start_form"]))
    tasks = manifest.get("tasks")
    for task_id, entry in (tasks or {}).items() if isinstance(tasks, dict) else ():
        if isinstance(entry, dict) and isinstance(entry.get("form"), str):
            references.append((("tasks", task_id, "form"), entry["form"]))
    return references


def _is_text(prop: dict[str, Any]) -> bool:
    """True for a string field (`type: string`, or a list of types that holds it)."""
    kind = prop.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def with_text_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a form schema whose text fields without `maxLength` get the default one.

    Done once, as the form is loaded, so the engine's validator and the web page's `maxlength`
    read the same number; a multi-line field (`x-widget: textarea`) gets the larger default, and a
    `minLength` above the default raises it so the field stays possible to fill in.
    """
    limited = copy.deepcopy(schema)
    for _, prop in walk_fields(limited):
        for text in (prop, prop.get("items")):
            if isinstance(text, dict) and _is_text(text) and "maxLength" not in text:
                default = DEFAULT_TEXTAREA_MAX_LENGTH if text.get(WIDGET) == "textarea" else DEFAULT_TEXT_MAX_LENGTH
                minimum = text.get("minLength")
                text["maxLength"] = max(default, minimum) if isinstance(minimum, int) else default
    return limited


def _is_bilingual(text: object) -> bool:
    """True when `text` gives a non-empty string in every language the UI offers."""
    return isinstance(text, dict) and all(
        isinstance(text.get(lang), str) and text[lang].strip() for lang in LANGUAGES
    )


def _field_problems(document: YamlFile, strict: bool) -> list[Problem]:
    """Fields without a label in both languages, and widgets and `x-` keywords the UI does not have.

    `strict` (a new deploy) also refuses a widget that does not fit its field, on array items too, and an
    `x-` keyword opsflow does not know; a deployed version is loaded without them (see inspect_files).
    """
    schema = document.data["schema"]
    problems = [document.problem(path, "field_no_label")
                for path, prop in walk_fields(schema, ("schema",)) if not _is_bilingual(prop.get(LABEL))]
    sites = walk_nodes(schema, ("schema",)) if strict else walk_fields(schema, ("schema",))
    for path, node in sites:
        wrong = widget_problem(node, fit=strict)
        if wrong:
            problems.append(document.problem(path + (WIDGET,), wrong.code, **wrong.params))
    if strict:
        problems += [document.problem(path + (keyword,), "unknown_form_keyword", keyword=keyword)
                     for path, keyword in unknown_keywords(schema, ("schema",))]
    return problems


def load_form(file: str, data: bytes, strict: bool = True) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Return (form dict or None, problems) for one form file's bytes (`strict`: see _field_problems)."""
    document = read_yaml(file, data)
    if isinstance(document, Problem):
        return None, [document]
    if not isinstance(document.data, dict):
        return None, [Problem.coded(file, 1, None, "form_not_mapping")]
    problems = schema_problems(ENVELOPE, document)
    if problems:
        return None, problems
    try:
        Draft202012Validator.check_schema(document.data["schema"])
    except SchemaError as exc:
        path = ("schema",) + tuple(exc.absolute_path)
        return None, [document.problem(path, "form_schema_invalid", reason=exc.message)]
    form = {
        "title": document.data["title"],
        "instructions": document.data.get("instructions", dict.fromkeys(LANGUAGES, "")),
        "schema": with_text_limits(document.data["schema"]),
        "rules": document.data.get("rules") or [],
    }
    return form, _field_problems(document, strict) + rule_problems(document)


def load_forms(files: Mapping[str, bytes], manifest_file: YamlFile, origin: str,
               strict: bool = True) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Return (forms by path, problems) for every form the manifest names."""
    forms: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for key_path, form_path in form_references(manifest_file.data):
        if form_path not in files:
            problems.append(manifest_file.problem(key_path, "form_file_missing", path=form_path))
            continue
        if form_path in seen:
            continue
        seen.add(form_path)
        form, form_problems = load_form(f"{origin}/{form_path}", files[form_path], strict)
        problems.extend(form_problems)
        if form is not None:
            forms[form_path] = form
    return forms, problems


def field_names(form: dict[str, Any]) -> set[str]:
    """The top-level field names of a form: the case data keys it writes."""
    properties = form["schema"].get("properties")
    return set(properties) if isinstance(properties, dict) else set()
