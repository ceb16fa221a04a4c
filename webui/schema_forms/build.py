"""Building fields from a form's JSON Schema and current values, each with its own error."""
import re
from dataclasses import dataclass

from engine.formfields import ACCEPT, CURRENCY, HELP, enum_values, items_of, json_type, kind_of, properties_of
from webui.schema_forms.model import Choice, ErrorItem, Field, FieldList, Row
from webui.schema_forms.text import (
    enum_label,
    file_label,
    grouped,
    is_number,
    join_path,
    label_of,
    local_datetime,
    localized,
    plain,
)

ROW_PLACEHOLDER = "__index__"
DEFAULT_CURRENCY = "TWD"
_CHAR_CLASS = re.compile(r"\[((?:\\.|[^\]\\])*)\]")
_V_MODE_UNSAFE = re.compile(r"^-|-$|[()\[{}/|]|([&!#$%*+,.:;<=>?@^`~])\1")


@dataclass
class _Build:
    """What every field of one build_fields call needs."""

    language: str
    people: list | None
    attachments: dict
    tz: object


def build_fields(schema, language, values=None, errors=None, people=None, attachments=None, tz=None):
    """A FieldList: the fields of `schema` in property order, filled from `values`, each with its own error.

    values: nested current values, typed (case data, a draft) or as submitted (Submission.raw); missing
    ones take the schema's default. errors: {path: message}; an error on a path without its own control
    goes to the nearest enclosing field (summarize_errors lists the rest as form-level). people:
    [{"username", "name", "department"}] for user pickers (None: a plain text input). attachments:
    {id: {"filename", "size"}} to name files already uploaded. tz: the zone date-times are shown in (None:
    each in its own offset, which parse_submission set from the zone it was typed in).
    """
    context = _Build(language, people, attachments or {}, tz)
    fields = FieldList(_object_fields(schema or {}, "", values, context, ""))
    _assign_errors(fields, errors or {})
    fields.errors_list = summarize_errors(fields, errors)
    return fields


def _object_fields(schema, prefix, values, context, row_label):
    """The fields of an object schema's properties under `prefix`."""
    values = values if isinstance(values, dict) else {}
    required = set(schema.get("required") or [])
    return [_build(prop, join_path(prefix, name), _initial(prop, values.get(name)), name in required, context,
                   row_label)
            for name, prop in properties_of(schema).items()]


def _initial(prop, value):
    """The value to show: the given one, else the schema's default."""
    return prop.get("default") if value is None else value


def _build(prop, path, value, required, context, row_label, fallback_label=None):
    """One Field for `prop` at `path` showing `value`; row_label names the row it sits in ("" outside groups)."""
    widget = kind_of(prop)
    if widget == "user" and context.people is None:
        widget = "text"
    fallback = fallback_label or path.rsplit("/", 1)[-1].replace("_", " ").capitalize()
    label = label_of(prop, fallback, context.language)
    built = Field(path=path, widget=widget, label=label, required=required, in_group=bool(row_label),
                  help=localized(prop.get(HELP) or prop.get("description"), context.language),
                  long_label=f"{label} ({row_label})" if row_label else label)
    _FILLERS.get(widget, _fill_input)(built, prop, value, context)
    return built


def _fill_input(built, prop, value, context):
    """A single input or textarea: its shown value and HTML constraints."""
    if is_number(value) and built.widget == "money":
        built.value = grouped(value)
    elif built.widget == "datetime" and value is not None:
        built.value = local_datetime(value, context.tz)
    else:
        built.value = plain(value)
    built.attrs = _input_attrs(built.widget, prop)
    if built.widget == "money":
        built.affix = str(prop.get(CURRENCY) or DEFAULT_CURRENCY)


def _input_attrs(widget, prop):
    """HTML constraint attributes that only ever agree with the schema."""
    attrs = {}
    if widget in ("text", "textarea", "email"):
        attrs.update(maxlength=prop.get("maxLength"), minlength=prop.get("minLength"))
    if widget == "text":
        attrs["pattern"] = _html_pattern(prop.get("pattern"))
    if widget == "integer":
        attrs.update(inputmode="numeric", autocomplete="off")
    if widget in ("number", "money"):
        attrs.update(inputmode="decimal", autocomplete="off")
    if widget == "textarea":
        attrs["rows"] = 6 if (prop.get("maxLength") or 0) > 1000 else 4
    return {key: value for key, value in attrs.items() if value is not None}


def _html_pattern(pattern):
    """The schema's pattern for the HTML pattern attribute, or None when the browser might read it differently.

    HTML anchors the pattern and compiles it with the `v` flag, which rejects some character classes that
    JSON Schema (ECMA 262 without flags) accepts; so only anchored patterns with plain classes are copied.
    """
    if not pattern or not (pattern.startswith("^") and pattern.endswith("$")) or "(?P" in pattern:
        return None
    for body in _CHAR_CLASS.findall(pattern):
        body = re.sub(r"\\.", "", body.removeprefix("^"))
        if _V_MODE_UNSAFE.search(body):
            return None
    return pattern


def _fill_choices(built, prop, value, context):
    """A select or radio group over the allowed values."""
    current = None if value is None else str(value)
    built.choices = [Choice(str(option), enum_label(prop, option, context.language), str(option) == current,
                            _choice_id(built.id, position))
                     for position, option in enumerate(enum_values(prop))]


def _choice_id(field_id, position):
    """Id of one radio button or checkbox: the first takes the field's id so links and labels reach it."""
    return field_id if position == 0 else f"{field_id}--{position}"


def _fill_checkboxes(built, prop, value, context):
    """A checkbox per allowed item value, ticked when in the current list."""
    items = prop.get("items") or {}
    current = {str(v) for v in value} if isinstance(value, list) else set()
    built.choices = [Choice(str(option), enum_label(items, option, context.language), str(option) in current,
                            _choice_id(built.id, position))
                     for position, option in enumerate(enum_values(items) or [])]


def _fill_user(built, prop, value, context):
    """A select of people; a current value that is not among them stays selectable."""
    current = plain(value)
    built.choices = [Choice(person["username"], _person_label(person), person["username"] == current)
                     for person in context.people]
    if current and not any(choice.selected for choice in built.choices):
        built.choices.insert(0, Choice(current, current, True))


def _person_label(person):
    """How a person appears in a picker: "Wang Mei-ling (ops.wang, operations)"."""
    details = ", ".join(p for p in (person.get("username"), person.get("department")) if p)
    return f"{person.get('name') or person['username']} ({details})"


def _fill_boolean(built, prop, value, context):
    """A checkbox, ticked for true (typed or as posted); only one that must be ticked (const: true) is required."""
    built.checked = value is True or value in ("true", "on")
    built.required = built.required and prop.get("const") is True


def _fill_const(built, prop, value, context):
    """A fixed value, shown read-only whatever was given."""
    built.value = enum_label(prop, prop["const"], context.language)
    built.required = False


def _fill_file(built, prop, value, context):
    """A file input; files already uploaded (attachment ids) are listed so they survive a re-render."""
    built.multiple = json_type(prop) == "array"
    ids = [v for v in (value if isinstance(value, list) else [value]) if v]
    built.files = [Choice(str(i), file_label(i, context.attachments), True, f"{built.id}--file-{n}")
                   for n, i in enumerate(ids)]
    accept = prop.get(ACCEPT) or items_of(prop).get(ACCEPT)
    built.attrs = {"accept": ",".join(accept) if isinstance(accept, list) else accept,
                   "multiple": "multiple" if built.multiple else None}


def _fill_group(built, prop, value, context):
    """A repeating group: a row per item (at least max(minItems, 1)) and a template row for the script."""
    entries = value if isinstance(value, list) else []
    built.min_rows = max(int(prop.get("minItems") or 0), 1)
    built.max_rows = prop.get("maxItems")
    count = max(len(entries), built.min_rows)
    built.rows = [_row(built, prop, str(i), entries[i] if i < len(entries) else None, context) for i in range(count)]
    built.template = _row(built, prop, ROW_PLACEHOLDER, None, context)


def _row(group, prop, index, value, context):
    """One row of `group` at `index` showing `value`."""
    items = prop.get("items") or {}
    path = f"{group.path}/{index}"
    row = Row(path=path, index=index, legend=group.label, fields=[], scalar=json_type(items) != "object")
    if row.scalar:
        item_label = label_of(items, group.label, context.language)
        row.fields = [_build(items, path, _initial(items, value), False, context, row.long_label, item_label)]
    else:
        row.fields = _object_fields(items, path, value, context, row.long_label)
    return row


def _fill_object(built, prop, value, context):
    """A nested object: its properties as child fields."""
    built.children = _object_fields(prop, built.path, value, context, "")


_FILLERS = {
    "select": _fill_choices,
    "radio": _fill_choices,
    "checkboxes": _fill_checkboxes,
    "user": _fill_user,
    "boolean": _fill_boolean,
    "const": _fill_const,
    "file": _fill_file,
    "group": _fill_group,
    "object": _fill_object,
}

# ---- errors -------------------------------------------------------------------------------------------------------

def _walk(fields):
    """Every field and row, depth first in page order (template rows left out)."""
    for item in fields:
        yield item
        yield from _walk(item.children)
        for row in item.rows:
            yield row
            yield from _walk(row.fields)


def _owner(path, index):
    """The field or row an error on `path` belongs to: the path's own, else the nearest enclosing one."""
    segments = path.split("/") if path else []
    while segments:
        found = index.get("/".join(segments))
        if found is not None:
            return found
        segments.pop()
    return None


def _assign_errors(fields, errors):
    """Give each field (or row) the first error aimed at it."""
    index = {item.path: item for item in _walk(fields)}
    for path, message in errors.items():
        owner = _owner(path, index)
        if owner is not None and not owner.error:
            owner.error = str(message)


def summarize_errors(fields, errors):
    """The error summary: form-level errors first (no link), then a link per bad field in page order."""
    index = {item.path: item for item in _walk(fields)}
    loose = [ErrorItem("", f"{path}: {message}" if path else str(message))
             for path, message in (errors or {}).items() if _owner(path, index) is None]
    linked = [ErrorItem(f"#{item.id}", f"{item.long_label}: {item.error}") for item in _walk(fields) if item.error]
    return loose + linked


def merge_errors(*dicts):
    """One {path: message} from several; the first message for a path wins (pass coercion errors first)."""
    merged = {}
    for errors in dicts:
        for path, message in (errors or {}).items():
            merged.setdefault(path, str(message))
    return merged


def needs_multipart(fields):
    """Whether the form holds a file input (so it needs enctype="multipart/form-data")."""
    return any(getattr(item, "widget", "") == "file" for item in _walk(fields))
