"""A form's declared cross-field and cross-step rules, and choices taken from earlier steps' data.

A form file may list `rules` beside its schema: each names a field, a sandboxed expression that
must be true, and a message in both languages. A field's `x-choices-from` expression gives the
values a choice may take (the quotes recorded, the risks of the register); the engine turns it into
the field's `enum` when it checks a submission and when it hands the form to the web UI.
"""
import copy
from zoneinfo import ZoneInfo

from engine import sandbox
from engine.errors import ScriptError

CHOICES = "x-choices-from"


class Translated(str):
    """An English sentence that also carries its other languages (the web UI picks the user's)."""

    translations: dict

    def __new__(cls, translations):
        """The English text as the string; every language kept in `translations`."""
        text = super().__new__(cls, str(translations.get("en") or next(iter(translations.values()), "")))
        text.translations = dict(translations)
        return text


def today_in(now, zone):
    """The date (ISO, YYYY-MM-DD) it is at `now` in the organisation's time zone: rules' `today`."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()


def _choice(option):
    """(value, label or None) of one choice an expression gave: a value, or {value, label}."""
    if isinstance(option, dict) and "value" in option:
        return option["value"], option.get("label")
    return option, None


def choice_sites(schema, path=()):
    """(key path, schema) of every property or items schema below an object schema that has `x-choices-from`."""
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        here = path + ("properties", name)
        items = prop.get("items") if isinstance(prop.get("items"), dict) else None
        for where, node in ((here, prop), (here + ("items",), items)):
            if node is not None and CHOICES in node:
                yield where, node
        yield from choice_sites(prop, here)
        if items is not None:
            yield from choice_sites(items, here + ("items",))


def _resolve(node, names):
    """Turn one schema's `x-choices-from` into its `enum` (and labels), in place; no choices if it fails."""
    try:
        options = sandbox.evaluate(node[CHOICES], names)
    except ScriptError:
        options = []
    pairs = [_choice(o) for o in options] if isinstance(options, (list, tuple)) else []
    node["enum"] = list(dict.fromkeys(value for value, _ in pairs))
    labels = dict(node.get("x-enum-labels") or {})
    labels.update({str(value): label for value, label in pairs if label})
    if labels:
        node["x-enum-labels"] = labels


def resolve_choices(schema, names):
    """The schema with its `x-choices-from` fields given as `enum`; the same object when it has none."""
    if not isinstance(schema, dict) or next(choice_sites(schema), None) is None:
        return schema
    resolved = copy.deepcopy(schema)
    for _, node in list(choice_sites(resolved)):
        _resolve(node, names)
    return resolved


def _targets(field, values):
    """(error path, extra names) a rule is checked at: one, or one per entry of a `list/*/field` list."""
    if "*" not in field:
        return [(field, {})]
    head = field.split("/*", 1)[0]
    found = values
    for part in head.split("/"):
        found = found.get(part) if isinstance(found, dict) else None
    entries = found if isinstance(found, list) else []
    return [(field.replace("*", str(index), 1), {"item": entry, "index": index})
            for index, entry in enumerate(entries)]


def rule_errors(rules, values, names, errors):
    """Field path -> translated message for every rule that does not hold (fields already in error skipped).

    `values` are the submitted fields (every declared one present, None when left empty), seen over
    `names` (the case data and `today`). A rule that cannot be evaluated is the package's fault
    (ScriptError), unless the form already has errors its expression may have tripped on.
    """
    found = {}
    for rule in rules or ():
        for path, extra in _targets(rule["field"], values):
            if path in errors or path in found:
                continue
            try:
                holds = sandbox.evaluate(rule["check"], {**names, **values, **extra})
            except ScriptError as exc:
                if errors:
                    continue
                raise ScriptError(f"rule on {path} ({rule['check'].strip()}): {exc}") from exc
            if not holds:
                found[path] = Translated(rule["message"])
    return found
