"""The form field vocabulary (engine.formfields): kinds, widgets, file fields, walks, and validation's use of them."""
import pytest

from engine.definitions import package_from_files
from engine.formfields import (
    KEYWORDS,
    KINDS,
    WIDGETS,
    any_field,
    enum_values,
    file_values,
    has_file_fields,
    is_file_field,
    kind_of,
    unknown_keywords,
    walk_fields,
    walk_nodes,
    widget_of,
    widget_problem,
)
from tests.test_package_validation import REQUEST, altered, line_of, problems_of

CHOICE = {"type": "string", "enum": ["a", "b"]}
# One property of every kind.
EXAMPLES = {
    "text": {"type": "string"},
    "textarea": {"type": "string", "x-widget": "textarea"},
    "email": {"type": "string", "format": "email"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "integer": {"type": "integer"},
    "number": {"type": ["number", "null"]},
    "money": {"type": "number", "x-widget": "money", "x-currency": "USD"},
    "boolean": {"type": "boolean", "const": True},
    "const": {"type": "string", "const": "TWD"},
    "select": CHOICE,
    "radio": {"type": "integer", "minimum": 1, "maximum": 5, "x-widget": "radio"},
    "checkboxes": {"type": "array", "items": CHOICE},
    "user": {"type": "string", "x-widget": "user"},
    "file": {"type": "array", "items": {"type": "string", "x-widget": "file"}},
    "group": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    "object": {"type": "object", "properties": {"street": {"type": "string"}}},
}
# Every widget on a field it fits (-> the kind it makes) and on one it does not (-> the field's own kind).
WIDGET_CASES = {
    "textarea": ({"type": "string"}, {"type": "integer"}),
    "money": ({"type": "integer"}, {"type": "string"}),
    "user": ({"type": ["string", "null"]}, {"type": "number"}),
    "file": ({"type": "array", "items": {"type": "string"}}, {"type": "object"}),
    "radio": (dict(CHOICE), {"type": "integer", "minimum": 0, "maximum": 21}),
    "checkboxes": ({"type": "array", "items": {"type": "string", "x-choices-from": "['a']", "enum": ["a"]}},
                   {"type": "array", "items": {"type": "string"}}),
}


def test_every_kind_has_an_example_that_maps_to_it():
    assert set(EXAMPLES) == set(KINDS)
    for kind, prop in EXAMPLES.items():
        assert kind_of(prop) == kind, kind


@pytest.mark.parametrize("name", list(WIDGETS))
def test_every_widget_makes_its_kind_where_it_fits_and_is_left_aside_elsewhere(name):
    fitting, unfitting = WIDGET_CASES[name]
    fitting, unfitting = {**fitting, "x-widget": name}, {**unfitting, "x-widget": name}
    assert WIDGETS[name].fits(fitting) and widget_of(fitting) == name and kind_of(fitting) == name
    assert widget_problem(fitting) is None
    assert not WIDGETS[name].fits(unfitting) and widget_of(unfitting) is None
    assert kind_of(unfitting) == kind_of({k: v for k, v in unfitting.items() if k != "x-widget"})
    reason = f"x-widget {name!r} does not fit this field: it is for {WIDGETS[name].fits_what}"
    assert widget_problem(unfitting) == reason
    assert widget_problem(unfitting, fit=False) is None


def test_the_widgets_are_the_ones_the_readme_names():
    assert list(WIDGETS) == ["textarea", "money", "user", "file", "radio", "checkboxes"]
    assert set(WIDGETS) <= set(KINDS)


@pytest.mark.parametrize("widget", ["slider", ["textarea"], 3])
def test_an_unknown_widget_is_a_problem_whatever_its_field(widget):
    assert widget_problem({"type": "string", "x-widget": widget}, fit=False) == (
        f"x-widget {widget!r} is not one of textarea, money, user, file, radio, checkboxes")
    assert kind_of({"type": "string", "x-widget": widget}) == "text"


def test_choices_win_over_presentation_widgets_and_radio_ranges_are_small():
    assert kind_of({**CHOICE, "x-widget": "textarea"}) == "select"
    assert kind_of({**CHOICE, "x-widget": "radio"}) == "radio"
    assert enum_values({"type": "integer", "minimum": 1, "maximum": 3, "x-widget": "radio"}) == [1, 2, 3]
    assert enum_values({"type": "integer", "minimum": 1, "maximum": 3}) is None
    wide = {"type": "integer", "minimum": 0, "maximum": 21, "x-widget": "radio"}
    assert enum_values(wide) is None and kind_of(wide) == "integer"
    # x-choices-from is a choice before the case data works it out: radio fits it, a text box stays.
    unresolved = {"type": "string", "x-choices-from": "[starter]", "x-widget": "radio"}
    assert widget_problem(unresolved) is None and kind_of(unresolved) == "text"


def test_a_file_list_names_its_widget_on_the_array_or_on_its_items():
    on_array = {"type": "array", "x-widget": "file", "items": {"type": "string"}}
    on_items = {"type": "array", "items": {"type": "string", "x-widget": "file"}}
    assert is_file_field(on_array) and is_file_field(on_items) and is_file_field({"type": "string", "x-widget": "file"})
    assert not is_file_field({"type": "array", "items": {"type": "integer", "x-widget": "file"}})
    assert not is_file_field({"type": "boolean", "x-widget": "file"})


SCHEMA = {"type": "object", "x-label": {"en": "x"}, "properties": {
    "note": {"type": "string", "x-hint": "typo"},
    "owners": {"type": "array", "items": {"type": "string", "x-widget": "user"}},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "photo": {"type": "string", "x-widget": "file"}, "x-ray": {"type": "boolean"}}}},
    "address": {"type": "object", "properties": {"city": {"type": "string", "x-colour": "red"}}},
    "broken": "not a mapping",
}}


def test_walks_give_every_field_and_every_items_schema_with_its_key_path():
    assert [path for path, _ in walk_fields(SCHEMA)] == [
        ("properties", "note"), ("properties", "owners"), ("properties", "lines"),
        ("properties", "lines", "items", "properties", "photo"),
        ("properties", "lines", "items", "properties", "x-ray"),
        ("properties", "address"), ("properties", "address", "properties", "city")]
    assert [path for path, _ in walk_nodes(SCHEMA, ("schema",))] == [
        ("schema", "properties", "note"), ("schema", "properties", "owners"),
        ("schema", "properties", "owners", "items"), ("schema", "properties", "lines"),
        ("schema", "properties", "lines", "items"),
        ("schema", "properties", "lines", "items", "properties", "photo"),
        ("schema", "properties", "lines", "items", "properties", "x-ray"),
        ("schema", "properties", "address"), ("schema", "properties", "address", "properties", "city")]
    assert list(walk_fields(None)) == [] and list(walk_fields({"properties": ["a"]})) == []


def test_unknown_x_keywords_are_found_where_they_stand_and_property_names_are_not_keywords():
    assert "x-label" in KEYWORDS and "x-choices-from" in KEYWORDS
    assert list(unknown_keywords(SCHEMA)) == [(("properties", "note"), "x-hint"),
                                              (("properties", "address", "properties", "city"), "x-colour")]


def test_a_form_has_a_kind_of_field_at_any_depth():
    assert any_field(SCHEMA, "user") and any_field(SCHEMA, "file") and any_field(SCHEMA, "object")
    assert not any_field(SCHEMA, "money") and not any_field(None, "user")
    assert has_file_fields(SCHEMA) and not has_file_fields({"type": "object", "properties": {}})
    data = {"lines": [{"photo": "a" * 32}, {"photo": ""}, {}], "note": "b" * 32}
    assert list(file_values(SCHEMA, data)) == [("lines/0/photo", "a" * 32)]


@pytest.mark.parametrize(("old", "new", "element", "words", "marker"), [
    ("      x-widget: textarea", "      x-widget: checkboxes", "schema.properties.reason.x-widget",
     "x-widget 'checkboxes' does not fit this field: it is for an array whose items have", "x-widget: checkboxes"),
    ("      x-widget: money", "      x-widget: user", "schema.properties.amount.x-widget",
     "x-widget 'user' does not fit this field: it is for a string field", "x-widget: user"),
    ("      x-widget: textarea", "      x-widget: radio", "schema.properties.reason.x-widget",
     "x-widget 'radio' does not fit this field: it is for a field with enum or x-choices-from", "x-widget: radio"),
    ("      x-widget: textarea", "      x-widget: textarea\n      x-widgets: textarea",
     "schema.properties.reason.x-widgets",
     "x-widgets is not a form keyword opsflow knows", "x-widgets:"),
    ("    reason:", "    tags:\n      type: array\n      x-label: {en: Tags, zh-Hant: 標籤}\n"
     "      items: {type: integer, x-widget: file}\n    reason:",
     "schema.properties.tags.items.x-widget", "it is for a string field or an array of strings", "items:"),
])
def test_a_widget_that_does_not_fit_its_field_is_refused_where_it_stands(tmp_path, old, new, element, words, marker):
    folder = altered(tmp_path, (REQUEST, old, new))
    wanted = [p for p in problems_of(folder) if p.element == element and words in p.message]
    assert wanted and wanted[0].file == f"minimal/{REQUEST}" and wanted[0].line == line_of(folder, REQUEST, marker)


def test_a_deployed_version_with_an_unfitting_widget_still_loads_for_its_running_cases(tmp_path):
    folder = altered(tmp_path, (REQUEST, "      x-widget: textarea", "      x-widget: money\n      x-hint: old"))
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert package_from_files(files, strict=False).key == "minimal"
    unknown = altered(tmp_path / "unknown", (REQUEST, "      x-widget: textarea", "      x-widget: slider"))
    assert any(p.element == "schema.properties.reason.x-widget" and "'slider' is not one of" in p.message
               for p in problems_of(unknown))
