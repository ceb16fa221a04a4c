"""A form's declared cross-field and cross-step rules, and choices taken from earlier steps' data.

A form file may list `rules` beside its schema: each names a field, a sandboxed expression that
must be true, and a message in both languages. A field's `x-choices-from` expression gives the
values a choice may take (the quotes recorded, the risks of the register); the engine turns it into
the field's `enum` when it checks a submission and when it hands the form to the web UI.
"""
import ast
import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from engine import sandbox
from engine.errors import FieldError, ScriptError
from engine.formfields import CHOICES, ENUM_LABELS, per_schema, walk_nodes

# What a rule or a choice expression may call to look at the organisation (engine.org.Directory).
RULE_FUNCTIONS = frozenset(("is_active_user", "has_role", "manager_of", "head_of", "department_of",
                            "users_with_role"))
# What a rule sees besides the case data and the form: the date, and a `list/*/field` rule's entry.
RULE_NAMES = frozenset(("today", "item", "index")) | RULE_FUNCTIONS


class OrgLookups(Protocol):
    """What rules and choices ask of the organisation (engine.org.Directory answers; it sits above this module)."""

    def functions(self) -> dict[str, Callable[..., Any]]:
        """The look-ups expressions may call by name (manager_of, head_of, ...)."""
        ...

    def is_active(self, username: str) -> bool:
        """True for a known user whose account is active."""
        ...

    def roles_of(self, username: str) -> set[str]:
        """The role keys a user holds."""
        ...


class Translated(FieldError):
    """A package's own message for a field (code `form_rule`) that also carries its other languages
    (the web UI picks the user's)."""

    translations: dict[str, str]

    def __new__(cls, translations: Mapping[str, str]) -> "Translated":
        """The English text as the string; every language kept in `translations`."""
        english = str(translations.get("en") or next(iter(translations.values()), ""))
        text = super().__new__(cls, "form_rule", message=english)
        text.translations = dict(translations)
        return text

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """What copy and pickle build it again from: its languages."""
        return (self.translations,), {}


def today_in(now: datetime, zone: str) -> str:
    """The date (ISO, YYYY-MM-DD) it is at `now` in the organisation's time zone: rules' `today`."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()


def rule_names(data: Mapping[str, Any], today: str, directory: OrgLookups | None = None) -> dict[str, Any]:
    """What a form's rules and choices see: the case data, `today` and the organisation look-ups."""
    names = dict(data, today=today)
    if directory is not None:
        names.update(directory.functions(), is_active_user=directory.is_active,
                     has_role=lambda user, role: role in directory.roles_of(user))
    return names


def _choice(option: object) -> tuple[Any, Any]:
    """(value, label or None) of one choice an expression gave: a value, or {value, label}."""
    if isinstance(option, dict) and "value" in option:
        return option["value"], option.get("label")
    return option, None


def choice_sites(schema: dict[str, Any],
                 path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(key path, schema) of every property or items schema below an object schema that has `x-choices-from`."""
    return ((here, node) for here, node in walk_nodes(schema, path) if CHOICES in node)


def _resolve(node: dict[str, Any], names: Mapping[str, Any]) -> None:
    """Turn one schema's `x-choices-from` into its `enum` (and labels), in place; no choices if it fails."""
    try:
        options = sandbox.evaluate(node[CHOICES], names)
    except ScriptError:
        options = []
    pairs = [_choice(o) for o in options] if isinstance(options, (list, tuple)) else []
    node["enum"] = list(dict.fromkeys(value for value, _ in pairs))
    labels = dict(node.get(ENUM_LABELS) or {})
    labels.update({str(value): label for value, label in pairs if label})
    if labels:
        node[ENUM_LABELS] = labels


# id(schema) -> (schema, whether it has x-choices-from fields): every completion checks its form, so a
# package's schema (which never changes) is walked once.
_HAS_CHOICES: dict[int, tuple[Any, bool]] = {}


def resolve_choices(schema: Any, names: Mapping[str, Any]) -> Any:
    """The schema with its `x-choices-from` fields given as `enum`; the same object when it has none."""
    if not isinstance(schema, dict) or not per_schema(_HAS_CHOICES, schema,
                                                       lambda node: next(choice_sites(node), None) is not None):
        return schema
    resolved = copy.deepcopy(schema)
    for _, node in list(choice_sites(resolved)):
        _resolve(node, names)
    return resolved


def _targets(field: str, values: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(error path, extra names) a rule is checked at: one, or one per entry of a `list/*/field` list."""
    if "*" not in field:
        return [(field, {})]
    head = field.split("/*", 1)[0]
    found: Any = values
    for part in head.split("/"):
        found = found.get(part) if isinstance(found, dict) else None
    entries = found if isinstance(found, list) else []
    return [(field.replace("*", str(index), 1), {"item": entry, "index": index})
            for index, entry in enumerate(entries)]


_SANDBOX = frozenset(sandbox.base_globals()) | frozenset(sandbox.base_globals()["__builtins__"])


def _reads_empty(check: str, seen: Mapping[str, Any]) -> bool:
    """True when a check reads something left empty: a field that is None or never set, or `entry["key"]` missing.

    Such a check has nothing to compare (an optional field nobody filled in), so it passes.
    """
    try:
        tree = ast.parse(check.strip(), mode="eval")
    except SyntaxError:
        return False
    nodes = list(ast.walk(tree))
    bound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound - _SANDBOX
    if any(seen.get(name) is None for name in read):
        return True
    return any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and isinstance(n.slice, ast.Constant)
               and isinstance(seen.get(n.value.id), dict) and seen[n.value.id].get(n.slice.value) is None
               for n in nodes)


def rule_errors(rules: Sequence[Mapping[str, Any]] | None, values: Mapping[str, Any], names: Mapping[str, Any],
                errors: Mapping[str, str], form_name: str | None = "form") -> dict[str, Translated]:
    """Field path -> translated message for every rule that does not hold (fields already in error skipped).

    `values` are the submitted fields (every declared one present, None when left empty), seen over
    `names` (the case data, `today` and the look-ups). A check that fails to evaluate passes when it
    reads a field left empty (an optional field: nothing to compare) or the form already has errors;
    otherwise it is the package's fault: a ScriptError naming the form, the rule and the field.
    """
    found: dict[str, Translated] = {}
    for number, rule in enumerate(rules or ()):
        for path, extra in _targets(rule["field"], values):
            if path in errors or path in found:
                continue
            seen = {**names, **values, **extra}
            try:
                holds = sandbox.evaluate(rule["check"], seen)
            except ScriptError as exc:
                if errors or _reads_empty(rule["check"], seen):
                    continue
                raise ScriptError("rule_failed", form=form_name, number=number, field=path,
                                  check=rule["check"].strip(), reason=str(exc)) from exc
            if not holds:
                found[path] = Translated(rule["message"])
    return found
