"""Form errors are plain sentences a person can act on (and the web UI can translate)."""
import pytest

from engine.errors import ValidationFailed
from engine.forms import validate_form

SCHEMA = {"type": "object", "required": ["title", "when"], "properties": {
    "title": {"type": "string", "minLength": 3, "maxLength": 10, "pattern": "^[A-Z]"},
    "when": {"type": "string", "format": "date"},
    "count": {"type": "integer", "minimum": 1, "maximum": 9},
    "ratio": {"type": "number", "exclusiveMinimum": 0.5},
    "price": {"type": "number", "maximum": 99999.99},
    "kind": {"type": "string", "enum": ["a", "b"]},
    "items": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": True, "items": {"type": "string"}},
}}


def errors_of(data):
    """The field -> message mapping validate_form raises for `data`."""
    with pytest.raises(ValidationFailed) as caught:
        validate_form(SCHEMA, data)
    return caught.value.errors


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"when": "2026-01-01"}, "title", "this field is required"),
    ({"title": "Ab", "when": "2026-01-01"}, "title", "must be at least 3 characters"),
    ({"title": "Abcdefghijkl", "when": "2026-01-01"}, "title", "must be at most 10 characters"),
    ({"title": "abc", "when": "2026-01-01"}, "title", "does not have the expected form"),
    ({"title": "Abc", "when": "tomorrow"}, "when", "enter a date (YYYY-MM-DD)"),
    ({"title": "Abc", "when": "2026-01-01", "count": 0}, "count", "must be at least 1"),
    ({"title": "Abc", "when": "2026-01-01", "count": 10}, "count", "must be at most 9"),
    ({"title": "Abc", "when": "2026-01-01", "count": 1.5}, "count", "enter a whole number"),
    ({"title": "Abc", "when": "2026-01-01", "ratio": 0.5}, "ratio", "must be more than 0.5"),
    ({"title": "Abc", "when": "2026-01-01", "price": 100000}, "price", "must be at most 99999.99"),
    ({"title": "Abc", "when": "2026-01-01", "kind": "c"}, "kind", "choose one of the offered values"),
    ({"title": "Abc", "when": "2026-01-01", "items": []}, "items", "needs at least 1 entries"),
    ({"title": "Abc", "when": "2026-01-01", "items": ["x", "y", "z"]}, "items", "takes at most 2 entries"),
    ({"title": "Abc", "when": "2026-01-01", "items": ["x", "x"]}, "items", "lists the same entry twice"),
])
def test_each_rule_has_a_plain_sentence(data, field, message):
    assert errors_of(data)[field] == message


def test_every_missing_field_is_named_at_once():
    assert errors_of({}) == {"title": "this field is required", "when": "this field is required"}
