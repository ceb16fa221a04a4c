"""The form field vocabulary: which JSON Schema shapes are which kinds of field, the `x-widget`s each
accepts, the `x-` keywords a form may carry, which fields hold files, and walks over a schema's fields.

Package validation (engine/definitions/forms.py), linking uploads to their case (runtime/files.py) and
the web form's rendering and parsing (webui/schema_forms) all read a form through this module, so a
widget means the same thing everywhere.
"""
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.errors import FieldError

LABEL = "x-label"
HELP = "x-help"
WIDGET = "x-widget"
ENUM_LABELS = "x-enum-labels"
CHOICES = "x-choices-from"
ACCEPT = "x-accept"
CURRENCY = "x-currency"
# Every `x-` keyword a form's schema may use: a field's label, help text and widget, the labels of its
# allowed values, choices worked out from the case data, the file types a file field offers to pick,
# and a money field's currency.
KEYWORDS = (LABEL, HELP, WIDGET, ENUM_LABELS, CHOICES, ACCEPT, CURRENCY)

# What a field of each kind holds; the web form has one control per kind (templates/forms/fields.html).
KINDS = {
    "text": "one line of text: type string",
    "textarea": "several lines of text: type string, x-widget textarea",
    "email": "an e-mail address: type string, format email",
    "date": "a date: type string, format date",
    "datetime": "a date and a time: type string, format date-time",
    "integer": "a whole number: type integer",
    "number": "a number: type number",
    "money": "an amount in x-currency: type integer or number, x-widget money",
    "boolean": "a box to tick: type boolean (const: true for one that must be ticked)",
    "const": "a fixed value shown read-only: const",
    "select": "one value of a list: enum, or x-choices-from once worked out",
    "radio": "one value of a few, all shown: x-widget radio on a choice, or on an integer with a small range",
    "checkboxes": "several values of a list: type array whose items have enum (or x-widget checkboxes)",
    "user": "a person of the organisation (a username): type string, x-widget user",
    "file": "an attachment id, or a list of them: x-widget file on a string, an array of strings or its items",
    "group": "repeating rows: type array of objects (line items) or of single values",
    "object": "a set of fields inside the form: type object",
}
FORMAT_KINDS = {"date": "date", "date-time": "datetime", "email": "email"}
# An integer with x-widget radio offers every value from its minimum to its maximum, if they are this close.
MAX_RADIO_RANGE = 20
# A JSON Schema node (a form, a field, an array's items) as read from a package's YAML.
Schema = dict[str, Any]
# Where a node stands in its file: keys and list positions from the file's root, e.g. ("schema", "properties", "x").
KeyPath = tuple[str | int, ...]


def json_type(prop: Schema) -> str:
    """The JSON type of a property (the non-null one of a list), "string" when unsaid."""
    declared = prop.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    return str(declared or "string")


def items_of(prop: Schema) -> Schema:
    """The schema of an array's items ({} when unsaid or not a mapping)."""
    items = prop.get("items")
    return items if isinstance(items, dict) else {}


def properties_of(schema: Schema | None) -> dict[str, Schema]:
    """The declared properties of an object schema, in order."""
    properties: dict[str, Schema] = (schema or {}).get("properties") or {}
    return properties


def _radio_range(prop: Schema) -> list[int] | None:
    """The values minimum..maximum of an integer field, when they are few enough for radio buttons; else None."""
    if json_type(prop) != "integer":
        return None
    low, high = prop.get("minimum"), prop.get("maximum")
    if isinstance(low, int) and isinstance(high, int) and 0 <= high - low <= MAX_RADIO_RANGE:
        return list(range(low, high + 1))
    return None


def enum_values(prop: Schema) -> list[Any] | None:
    """The allowed values offered as choices: `enum`, or a small integer range shown as radio buttons."""
    if "enum" in prop:
        return list(prop["enum"])
    if prop.get(WIDGET) != "radio":
        return None
    return _radio_range(prop)


def _offers_choices(prop: Schema) -> bool:
    """Whether a field has a list of allowed values: `enum`, or `x-choices-from` worked out per case."""
    return "enum" in prop or CHOICES in prop


@dataclass(frozen=True)
class Widget:
    """One `x-widget` value: the kind of field it makes, and the fields it may be written on."""

    name: str
    fits: Callable[[Schema], bool]
    fits_what: str


def _is_string(prop: Schema) -> bool:
    """Whether a field holds text."""
    return json_type(prop) == "string"


def _is_numeric(prop: Schema) -> bool:
    """Whether a field holds a number (whole or not)."""
    return json_type(prop) in ("integer", "number")


def _holds_ids(prop: Schema) -> bool:
    """Whether a field holds one text value or a list of them (attachment ids)."""
    return _is_string(prop) or (json_type(prop) == "array" and _is_string(items_of(prop)))


def _offers_one(prop: Schema) -> bool:
    """Whether a field offers values to pick one of: a choice, or an integer with a small range."""
    return _offers_choices(prop) or _radio_range(prop) is not None


def _offers_several(prop: Schema) -> bool:
    """Whether a field is a list whose items offer values to pick from."""
    return json_type(prop) == "array" and _offers_choices(items_of(prop))


WIDGETS = {widget.name: widget for widget in (
    Widget("textarea", _is_string, "a string field"),
    Widget("money", _is_numeric, "an integer or number field"),
    Widget("user", _is_string, "a string field"),
    Widget("file", _holds_ids, "a string field or an array of strings"),
    Widget("radio", _offers_one, "a field with enum or x-choices-from, or an integer whose minimum and maximum "
                                 f"are at most {MAX_RADIO_RANGE} apart"),
    Widget("checkboxes", _offers_several, "an array whose items have enum or x-choices-from"),
)}


def _named_widget(node: Schema) -> Widget | None:
    """The Widget a node's x-widget names, or None (none given, unknown, or not even text)."""
    name = node.get(WIDGET)
    return WIDGETS.get(name) if isinstance(name, str) else None


def widget_of(prop: Schema) -> str | None:
    """The property's x-widget when it is known and fits the field, else None.

    A list of files may name the widget on the array or on its items (`items: {x-widget: file}`).
    """
    widget = _named_widget(prop)
    if widget is None and json_type(prop) == "array" and items_of(prop).get(WIDGET) == "file":
        widget = WIDGETS["file"]
    return widget.name if widget is not None and widget.fits(prop) else None


def kind_of(prop: Schema) -> str:
    """The kind of field a property is (one of KINDS); an x-widget that does not fit it is left aside."""
    declared = json_type(prop)
    if declared == "boolean":
        return "boolean"  # const: true ("I have read ...") too: a box the user has to tick
    if "const" in prop:
        return "const"
    widget = widget_of(prop)
    if widget == "file":
        return "file"
    if declared == "array":
        return "checkboxes" if widget == "checkboxes" or "enum" in items_of(prop) else "group"
    if declared == "object":
        return "object"
    if enum_values(prop) is not None:
        return "radio" if widget == "radio" else "select"
    if widget in ("textarea", "money", "user"):
        return widget
    if declared in ("integer", "number"):
        return declared
    return FORMAT_KINDS.get(str(prop.get("format")), "text")


def widget_problem(node: Schema, fit: bool = True) -> FieldError | None:
    """Why a field's x-widget is wrong (its code and params): not a widget the UI has, or (with `fit`) not one
    for this field; else None."""
    name = node.get(WIDGET)
    if name is None:
        return None
    widget = _named_widget(node)
    if widget is None:
        return FieldError("unknown_widget", widget=name, widgets=", ".join(WIDGETS))
    if fit and not widget.fits(node):
        return FieldError("widget_misfit", widget=name, fits=widget.fits_what)
    return None


def walk_fields(schema: object, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Schema]]:
    """Yield (key path, property) for every declared property of an object schema, at any depth.

    A nested object's properties and the properties of an array's items are fields too; `path` is the
    key path of `schema` in its file, so each field's is path + ("properties", name, ...).
    """
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        here = path + ("properties", name)
        yield here, prop
        yield from walk_fields(prop, here)
        if isinstance(prop.get("items"), dict):
            yield from walk_fields(prop["items"], here + ("items",))


def walk_nodes(schema: object, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Schema]]:
    """Yield (key path, schema) for every field and every array's items: each place a field's keywords stand."""
    for here, prop in walk_fields(schema, path):
        yield here, prop
        if isinstance(prop.get("items"), dict):
            yield here + ("items",), prop["items"]


def unknown_keywords(schema: Schema, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Yield (key path, keyword) for every `x-` keyword of the schema or its fields that is not in KEYWORDS."""
    for here, node in [(path, schema), *walk_nodes(schema, path)]:
        for key in node:
            if isinstance(key, str) and key.startswith("x-") and key not in KEYWORDS:
                yield here, key


def any_field(schema: Schema | None, kind: str) -> bool:
    """Whether a form schema has a field of `kind` at any depth (a field, a nested one, an array's items)."""
    return any(kind_of(node) == kind for _, node in walk_nodes(schema))


def is_file_field(prop: Schema) -> bool:
    """Whether a property holds attachment ids (x-widget file on it, or on its array's items)."""
    return kind_of(prop) == "file"


MEMO_LIMIT = 1024  # schemas remembered per question; past it the memo starts again (resolved copies come and go)
# id(schema) -> (schema, whether it has a file field): a package's schemas never change, so each is walked once.
_HAS_FILES: dict[int, tuple[Schema | None, bool]] = {}


def per_schema(memo: dict[int, tuple[Any, bool]], schema: Any, question: Callable[[Any], bool]) -> bool:
    """`question(schema)`, asked once per schema object while it is in `memo` (which holds at most MEMO_LIMIT)."""
    found = memo.get(id(schema))
    if found is None or found[0] is not schema:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo[id(schema)] = (schema, question(schema))
    return found[1]


def has_file_fields(schema: Schema | None) -> bool:
    """Whether a form schema has file fields (worked out once per schema object)."""
    return per_schema(_HAS_FILES, schema, lambda node: any_field(node, "file"))


def file_values(schema: object, data: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Yield (field path such as 'items/0/receipt', value) for every value of a file field in form data."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not isinstance(data, dict):
        return
    for name, prop in properties.items():
        if name not in data or not isinstance(prop, dict):
            continue
        value, here = data[name], path + (name,)
        if is_file_field(prop):
            for item in value if isinstance(value, list) else [value]:
                if item not in (None, ""):
                    yield "/".join(here), item
        elif isinstance(value, dict):
            yield from file_values(prop, value, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from file_values(prop.get("items"), item, here + (str(index),))
