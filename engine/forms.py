"""Form data checked against its JSON Schema, with one plain message per field."""
import copy
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from engine.errors import FieldError, ValidationFailed
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


_FORMAT_CODES = {"date": "enter_date", "date-time": "enter_date_time", "email": "enter_email"}
_TYPE_CODES = {"integer": "enter_whole_number", "number": "enter_number", "string": "enter_text",
               "boolean": "enter_yes_no", "array": "enter_list", "object": "enter_group"}
# Validator -> the code of its plain reason, with the schema's limit as `n`.
_LIMIT_CODES = {"minLength": "min_length", "maxLength": "max_length", "minimum": "minimum", "maximum": "maximum",
                "exclusiveMinimum": "exclusive_minimum", "exclusiveMaximum": "exclusive_maximum",
                "minItems": "min_items", "maxItems": "max_items"}
_PLAIN_CODES = {"required": "required", "enum": "choose_offered", "const": "choose_offered", "pattern": "pattern",
                "uniqueItems": "unique_items"}


def _message(error: ValidationError) -> FieldError:
    """A short, plain reason a person can act on, as a FieldError (jsonschema's own wording for the rest)."""
    kind, limit = error.validator, error.validator_value
    if kind in _PLAIN_CODES:
        return FieldError(_PLAIN_CODES[kind])
    if kind == "format":
        return FieldError(_FORMAT_CODES[limit]) if limit in _FORMAT_CODES else FieldError("invalid_format",
                                                                                           format=limit)
    if kind == "type" and isinstance(limit, str) and limit in _TYPE_CODES:
        return FieldError(_TYPE_CODES[limit])
    if kind in _LIMIT_CODES:
        exact = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return FieldError(_LIMIT_CODES[kind], n=exact)
    return FieldError("schema_rule", reason=error.message)


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
        raise ValidationFailed({"": FieldError("form_not_object")})
    try:
        submitted: dict[str, Any] = json_safe(copy.deepcopy(data))
    except TypeError as exc:
        raise ValidationFailed({"": FieldError("not_storable", reason=str(exc))}) from exc
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
