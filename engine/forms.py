"""Form data checked against its JSON Schema, with one plain message per field."""
import copy

from jsonschema import Draft202012Validator, FormatChecker

from engine.errors import ValidationFailed
from engine.jsonsafe import json_safe

_FORMATS = FormatChecker()
_EMPTY = {"type": "object", "properties": {}}
_VALIDATORS = {}


def _validator(schema):
    """One validator per schema object (schemas live as long as their cached package)."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found.schema is not schema:
        found = _VALIDATORS[id(schema)] = Draft202012Validator(schema, format_checker=_FORMATS)
    return found


def _field_paths(error):
    """The fields a schema error belongs to, as 'items/0/quantity' (each missing one of a `required`)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator != "required":
        return ["/".join(path)]
    missing = [name for name in error.validator_value if name not in (error.instance or {})] or [""]
    return ["/".join(p for p in [*path, name] if p) for name in missing]


def _message(error):
    """A short, plain reason."""
    if error.validator == "required":
        return "this field is required"
    if error.validator == "enum":
        return "choose one of the offered values"
    if error.validator == "format":
        return f"not a valid {error.validator_value}"
    return error.message


def validate_form(schema, data):
    """Return the declared fields of `data` if valid, else raise ValidationFailed(field -> reason).

    Fields the schema does not declare are dropped so a request cannot plant case data.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed({"": "form data must be an object of field values"})
    try:
        data = json_safe(copy.deepcopy(data))
    except TypeError as exc:
        raise ValidationFailed({"": str(exc)}) from exc
    schema = schema or _EMPTY
    errors = {}
    for error in _validator(schema).iter_errors(data):
        for path in _field_paths(error):
            errors.setdefault(path, _message(error))
    if errors:
        raise ValidationFailed(errors)
    declared = schema.get("properties", {})
    return {k: v for k, v in data.items() if k in declared}
