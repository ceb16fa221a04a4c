"""Validation of a form's `rules` and `x-choices-from` hints: expressions compile, fields exist."""
from typing import Any

from engine.definitions.expressions import expression_error
from engine.definitions.model import Problem
from engine.definitions.yamlfile import KeyPath, YamlFile
from engine.formrules import CHOICES, choice_sites


def field_schema(schema: dict[str, Any], field: str) -> dict[str, Any] | None:
    """The property schema a rule's field path (`items/*/quantity`, `items/0/quantity`) names, or None."""
    here: Any = schema
    for part in field.split("/"):
        if not isinstance(here, dict):
            return None
        listed = part == "*" or part.isdigit()
        here = here.get("items") if listed else (here.get("properties") or {}).get(part)
    return here if isinstance(here, dict) else None


def rule_sites(form: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """(key path in the form file, expression) of every rule check and choice expression of a loaded form."""
    sites: list[tuple[KeyPath, str]] = [
        (path + (CHOICES,), node[CHOICES]) for path, node in choice_sites(form["schema"], ("schema",))
        if isinstance(node[CHOICES], str)]
    return sites + [(("rules", number, "check"), rule["check"]) for number, rule in enumerate(form.get("rules") or ())]


def rule_problems(document: YamlFile) -> list[Problem]:
    """Located problems of a form file's rules and choice hints (its envelope is already valid)."""
    problems = []
    schema = document.data["schema"]
    for path, node in choice_sites(schema, ("schema",)):
        path, source = path + (CHOICES,), node[CHOICES]
        if not isinstance(source, str):
            problems.append(document.problem(path, "choices_not_expression"))
        elif reason := expression_error(source):
            problems.append(document.problem(path, "choices_not_compiling", reason=reason))
    for number, rule in enumerate(document.data.get("rules") or ()):
        field = rule["field"]
        if field_schema(schema, field) is None or field.count("*") > 1:
            problems.append(document.problem(("rules", number, "field"), "rule_field_unknown", field=field))
        reason = expression_error(rule["check"])
        if reason:
            problems.append(document.problem(("rules", number, "check"), "rule_not_compiling", reason=reason))
    return problems
