"""Form data checked against its JSON Schema, with one plain message per field."""
import copy
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from engine.errors import ValidationFailed
from engine.formrules import resolve_choices, rule_errors
from engine.jsonsafe import json_safe

_FORMATS = FormatChecker()
_EMPTY = {"type": "object", "properties": {}}
_VALIDATORS: dict[int, Draft202012Validator] = {}  # id(schema) -> its validator


def _validator(schema: dict[str, Any], cached: bool = True) -> Draft202012Validator:
    """One validator per schema object (schemas live as long as their cached package); resolved copies uncached."""
    if not cached:
        return Draft202012Validator(schema, format_checker=_FORMATS)
    found = _VALIDATORS.get(id(schema))
    if found is None or found.schema is not schema:
        found = _VALIDATORS[id(schema)] = Draft202012Validator(schema, format_checker=_FORMATS)
    return found


def _field_paths(error: ValidationError) -> list[str]:
    """The fields a schema error belongs to, as 'items/0/quantity' (each missing one of a `required`)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator != "required":
        return ["/".join(path)]
    required = error.validator_value if isinstance(error.validator_value, list) else []
    given = error.instance if isinstance(error.instance, dict) else {}
    missing = [name for name in required if name not in given] or [""]
    return ["/".join(p for p in [*path, name] if p) for name in missing]


_FORMAT_HINTS = {"date": "enter a date (YYYY-MM-DD)", "date-time": "enter a date and a time",
                 "email": "enter an e-mail address"}
_TYPE_HINTS = {"integer": "enter a whole number", "number": "enter a number", "string": "enter text",
               "boolean": "answer yes or no", "array": "give a list", "object": "fill in the group"}
# Validator -> a plain reason; {n} is the schema's limit. Anything else keeps jsonschema's own wording.
_LIMIT_HINTS = {"minLength": "must be at least {n} characters", "maxLength": "must be at most {n} characters",
                "minimum": "must be at least {n}", "maximum": "must be at most {n}",
                "exclusiveMinimum": "must be more than {n}", "exclusiveMaximum": "must be less than {n}",
                "minItems": "needs at least {n} entries", "maxItems": "takes at most {n} entries"}


def _message(error: ValidationError) -> str:
    """A short, plain reason a person can act on (the web UI translates these sentences)."""
    kind, limit = error.validator, error.validator_value
    if kind == "required":
        return "this field is required"
    if kind in ("enum", "const"):
        return "choose one of the offered values"
    if kind == "format":
        return _FORMAT_HINTS.get(str(limit), f"not a valid {limit}")
    if kind == "type" and isinstance(limit, str):
        return _TYPE_HINTS.get(limit, error.message)
    if kind in _LIMIT_HINTS:
        exact = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return _LIMIT_HINTS[kind].format(n=exact)
    if kind == "pattern":
        return "does not have the expected form"
    if kind == "uniqueItems":
        return "lists the same entry twice"
    return error.message


def validate_form(schema: dict[str, Any] | None, data: object, rules: Sequence[Mapping[str, Any]] | None = (),
                  names: Mapping[str, Any] | None = None, form_name: str | None = "form",
                  input_errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the declared fields of `data` if valid, else raise ValidationFailed(field -> reason).

    `input_errors` (field -> reason: what reading a posted form found, such as letters in a number), the
    schema's own errors and the form's `rules` (checked over `names`: the case data and `today`) are
    reported together, the first reason for a field winning; `form_name` locates a rule that cannot be
    evaluated. Fields the schema does not declare are dropped so a request cannot plant case data.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed({"": "form data must be an object of field values"})
    try:
        submitted: dict[str, Any] = json_safe(copy.deepcopy(data))
    except TypeError as exc:
        raise ValidationFailed({"": str(exc)}) from exc
    names = names or {}
    declared_schema = schema or _EMPTY
    schema = resolve_choices(declared_schema, names)
    errors: dict[str, str] = dict(input_errors or {})
    for error in _validator(schema, schema is declared_schema).iter_errors(submitted):
        for path in _field_paths(error):
            errors.setdefault(path, _message(error))
    declared = schema.get("properties", {})
    clean = {k: v for k, v in submitted.items() if k in declared}
    errors.update(rule_errors(rules, dict.fromkeys(declared) | clean, names, errors, form_name))
    if errors:
        raise ValidationFailed(errors)
    return clean
