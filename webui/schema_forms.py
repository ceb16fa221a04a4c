"""Forms described by JSON Schema: fields for templates/forms/fields.html, and a posted form parsed back.

`build_fields` turns a form's schema (processes/*/forms/*.yaml) into Field objects in property order;
`parse_submission` walks the same schema over request.form / request.files and gives typed data for
engine.forms.validate_form, the raw strings to re-render after an error, and coercion errors. Every
path joins property names and row indexes with "/" ("items/0/quantity"); it is also the control's
HTML name, and its id is "f-" + the path with "/" replaced by "-".
"""
import copy
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from flask_babel import lazy_gettext as _
from werkzeug.datastructures import MultiDict

from engine.errors import ValidationFailed

ROW_PLACEHOLDER = "__index__"
DEFAULT_CURRENCY = "TWD"
MAX_RADIO_RANGE = 20
INLINE_LABEL_LENGTH = 12
INLINE_CHOICES = 5
_INTEGER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)")
_NUMBER = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)")
_CHAR_CLASS = re.compile(r"\[((?:\\.|[^\]\\])*)\]")
_V_MODE_UNSAFE = re.compile(r"^-|-$|[()\[{}/|]|([&!#$%*+,.:;<=>?@^`~])\1")
_FORMAT_WIDGETS = {"date": "date", "date-time": "datetime", "email": "email"}
# Numbers are text inputs with a numeric keyboard: a browser's type=number silently drops what it cannot
# read ("2x", "1,200"), so the user would see "required" instead of their own typing and its error.
_INPUT_TYPES = {"email": "email", "date": "date",
                "datetime": "datetime-local", "file": "file"}


class _UiText:
    """The few words of form chrome; each attribute is translated when read, in the request's locale."""

    _words: ClassVar = {
        "add_row": _("Add row"),
        "remove_row": _("Remove row"),
        "choose": _("Choose…"),
        "upload": _("Upload a file"),
        "replace": _("Choosing a new file replaces the current one."),
        "current_file": _("Current file:"),
        "current_files": _("Current files (untick one to remove it):"),
        "yes": _("Yes"),
        "no": _("No"),
        "problem": _("There is a problem"),
        "not_integer": _("enter a whole number"),
        "not_number": _("enter a number"),
        "not_datetime": _("enter a date and time"),
        "no_uploads": _("files cannot be uploaded here"),
    }

    def __getattr__(self, name):
        """The translated word as a plain str (so templates escape it like any other text)."""
        try:
            return str(self._words[name])
        except KeyError:
            raise AttributeError(name) from None


UI = _UiText()


@dataclass
class Choice:
    """One option of a select, radio group or checkbox list; also one already-uploaded file."""

    value: str
    label: str
    selected: bool = False
    id: str = ""


@dataclass
class Field:
    """One control (or a repeating group, or a nested object) as templates/forms/fields.html renders it.

    widget is one of: text, textarea, email, integer, number, money, date, datetime, boolean, select,
    radio, checkboxes, user, file, const, group, object.
    """

    path: str
    widget: str
    label: str
    help: str = ""
    error: str = ""
    required: bool = False
    in_group: bool = False
    long_label: str = ""
    value: str = ""
    checked: bool = False
    choices: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    affix: str = ""
    multiple: bool = False
    files: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    template: "Row | None" = None
    min_rows: int = 0
    max_rows: int | None = None
    children: list = field(default_factory=list)
    ui: ClassVar = UI

    @property
    def name(self):
        """The HTML name: the path."""
        return self.path

    @property
    def id(self):
        """The HTML id of the control (of the first option for radios and checkboxes)."""
        return html_id(self.path)

    @property
    def help_id(self):
        """Id of the help text, or "" without one."""
        return f"{self.id}-help" if self.help else ""

    @property
    def error_id(self):
        """Id of the error message, or "" without one."""
        return f"{self.id}-error" if self.error else ""

    @property
    def affix_id(self):
        """Id of the unit shown beside the control (money's currency), or ""."""
        return f"{self.id}-affix" if self.affix else ""

    @property
    def describedby(self):
        """The aria-describedby value: error, help and unit ids present."""
        return " ".join(i for i in (self.error_id, self.help_id, self.affix_id) if i)

    @property
    def html_required(self):
        """Whether the browser should insist: required, outside repeating groups, and not a checkbox list."""
        if not self.required or self.in_group or self.widget in ("checkboxes", "group", "object", "const"):
            return False
        return not (self.widget == "file" and self.files)

    @property
    def input_type(self):
        """The type attribute of an <input> for this widget."""
        return _INPUT_TYPES.get(self.widget, "text")

    @property
    def control_attrs(self):
        """Attributes of the single control (for Jinja's xmlattr; None values are left out)."""
        return {
            "id": self.id,
            "name": None if self.widget == "const" else self.name,
            "required": "required" if self.html_required else None,
            "aria-required": "true" if self.required else None,
            "aria-invalid": "true" if self.error else None,
            "aria-describedby": self.describedby or None,
            **self.attrs,
        }

    @property
    def can_add(self):
        """Whether a repeating group may take one more row."""
        return self.max_rows is None or len(self.rows) < self.max_rows

    @property
    def can_remove(self):
        """Whether a repeating group may lose a row."""
        return len(self.rows) > self.min_rows

    @property
    def inline_choices(self):
        """Whether radio buttons fit on one line: a few short labels (a 1-5 rating, yes/no)."""
        short = all(len(choice.label) <= INLINE_LABEL_LENGTH for choice in self.choices)
        return self.widget == "radio" and len(self.choices) <= INLINE_CHOICES and short

    @property
    def contains_group(self):
        """Whether this field is, or holds, a repeating group (whose buttons submit the form without JS)."""
        return self.widget == "group" or any(child.contains_group for child in self.children)


@dataclass
class Row:
    """One item of a repeating group: the item's fields, or a single field for an array of scalars."""

    path: str
    index: str
    legend: str
    fields: list
    scalar: bool = False
    error: str = ""
    ui: ClassVar = UI

    @property
    def id(self):
        """The HTML id of the row's fieldset (a scalar row's control takes the path's own id)."""
        return html_id(self.path) + "--row"

    @property
    def error_id(self):
        """Id of the row's error message, or ""."""
        return f"{self.id}-error" if self.error else ""

    @property
    def number(self):
        """1-based position shown to people ("" in the template row, where the script fills it)."""
        return str(int(self.index) + 1) if self.index.isdigit() else ""

    @property
    def long_label(self):
        """The row's name in the error summary ("Line items 2")."""
        return f"{self.legend} {self.number}"


@dataclass
class ErrorItem:
    """One line of the error summary: a link to the bad control, or plain text for a form-level error."""

    href: str
    text: str
    ui: ClassVar = UI


class FieldList(list):
    """What build_fields returns: the fields, plus `errors_list` (ErrorItem) for the error summary."""

    errors_list: list
    ui: ClassVar = UI


@dataclass
class Submission:
    """A parsed form: typed `data` for the validator, `raw` (what was typed) to re-render, coercion `errors`.

    Rows of data and raw line up (blank rows are dropped from both), so the validator's paths fit raw;
    only when an Add/Remove row button was pressed does raw keep blank rows, for apply_row_action.
    """

    data: dict
    raw: dict
    errors: dict


@dataclass
class _Build:
    """What every field of one build_fields call needs."""

    language: str
    people: list | None
    attachments: dict
    tz: object


@dataclass
class _Parse:
    """What every field of one parse_submission call needs, and what it collects."""

    form: MultiDict
    files: MultiDict
    store_file: object
    tz: object
    keys: set
    keep_blank_rows: bool
    errors: dict = field(default_factory=dict)


# ---- schema reading, shared by building and parsing -------------------------------------------------------------

def html_id(path):
    """The HTML id of the control for `path`: "items/0/quantity" -> "f-items-0-quantity"."""
    return "f-" + path.replace("/", "-")


def _join(prefix, name):
    """A child path."""
    return f"{prefix}/{name}" if prefix else str(name)


def _properties(schema):
    """The declared properties of an object schema, in order."""
    return (schema or {}).get("properties") or {}


def _type(prop):
    """The JSON type of a property (the non-null one of a list), "string" when unsaid."""
    declared = prop.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    return declared or "string"


def _enum_values(prop):
    """The allowed values offered as choices: `enum`, or a small integer range shown as radio buttons."""
    if "enum" in prop:
        return list(prop["enum"])
    if prop.get("x-widget") != "radio" or _type(prop) != "integer":
        return None
    low, high = prop.get("minimum"), prop.get("maximum")
    if isinstance(low, int) and isinstance(high, int) and 0 <= high - low <= MAX_RADIO_RANGE:
        return list(range(low, high + 1))
    return None


def _array_kind(prop):
    """The widget of an array: a file list, a checkbox list, or a repeating group."""
    items = prop.get("items") or {}
    if items.get("x-widget") == "file":
        return "file"
    if "enum" in items or prop.get("x-widget") == "checkboxes":
        return "checkboxes"
    return "group"


def _kind(prop):
    """The widget a property is rendered with (and parsed as)."""
    widget, declared = prop.get("x-widget"), _type(prop)
    if declared == "boolean":
        return "boolean"  # const: true ("I have read ...") too: a box the user has to tick
    if "const" in prop:
        return "const"
    if widget == "file":
        return "file"
    if declared in ("array", "object"):
        return _array_kind(prop) if declared == "array" else "object"
    if _enum_values(prop) is not None:
        return "radio" if widget == "radio" else "select"
    if widget in ("textarea", "money", "user"):
        return widget
    if declared in ("integer", "number"):
        return declared
    return _FORMAT_WIDGETS.get(prop.get("format"), "text")


def _text(value, language):
    """Text in `language` from a {en, zh-Hant} mapping, falling back to English, then to any language."""
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _label(prop, fallback, language):
    """A property's label: x-label, else title, else `fallback`."""
    return _text(prop.get("x-label") or prop.get("title"), language) or fallback


def _enum_label(prop, value, language):
    """The label of one allowed value (x-enum-labels), else the value itself."""
    labels = prop.get("x-enum-labels") or {}
    found = labels.get(value, labels.get(str(value))) if isinstance(labels, dict) else None
    return _text(found, language) if found else _plain(value)


def _plain(value):
    """A value as a plain string: None -> "", 12.0 -> "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _grouped(value):
    """A number with thousands separators: 1234.5 -> "1,234.50", 12000 -> "12,000"."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _is_number(value):
    """Whether value is an int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _local_datetime(value, tz):
    """An ISO date-time as a datetime-local value ("2026-03-01T09:30") in `tz`, or in its own offset for None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None and tz is not None:
        moment = moment.astimezone(tz)
    return moment.strftime("%Y-%m-%dT%H:%M")


# ---- building fields ----------------------------------------------------------------------------------------------

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
    return [_build(prop, _join(prefix, name), _initial(prop, values.get(name)), name in required, context, row_label)
            for name, prop in _properties(schema).items()]


def _initial(prop, value):
    """The value to show: the given one, else the schema's default."""
    return prop.get("default") if value is None else value


def _build(prop, path, value, required, context, row_label, fallback_label=None):
    """One Field for `prop` at `path` showing `value`; row_label names the row it sits in ("" outside groups)."""
    widget = _kind(prop)
    if widget == "user" and context.people is None:
        widget = "text"
    fallback = fallback_label or path.rsplit("/", 1)[-1].replace("_", " ").capitalize()
    label = _label(prop, fallback, context.language)
    built = Field(path=path, widget=widget, label=label, required=required, in_group=bool(row_label),
                  help=_text(prop.get("x-help") or prop.get("description"), context.language),
                  long_label=f"{label} ({row_label})" if row_label else label)
    _FILLERS.get(widget, _fill_input)(built, prop, value, context)
    return built


def _fill_input(built, prop, value, context):
    """A single input or textarea: its shown value and HTML constraints."""
    if _is_number(value) and built.widget == "money":
        built.value = _grouped(value)
    elif built.widget == "datetime" and value is not None:
        built.value = _local_datetime(value, context.tz)
    else:
        built.value = _plain(value)
    built.attrs = _input_attrs(built.widget, prop)
    if built.widget == "money":
        built.affix = str(prop.get("x-currency") or DEFAULT_CURRENCY)


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
    built.choices = [Choice(str(option), _enum_label(prop, option, context.language), str(option) == current,
                            _choice_id(built.id, position))
                     for position, option in enumerate(_enum_values(prop))]


def _choice_id(field_id, position):
    """Id of one radio button or checkbox: the first takes the field's id so links and labels reach it."""
    return field_id if position == 0 else f"{field_id}--{position}"


def _fill_checkboxes(built, prop, value, context):
    """A checkbox per allowed item value, ticked when in the current list."""
    items = prop.get("items") or {}
    current = {str(v) for v in value} if isinstance(value, list) else set()
    built.choices = [Choice(str(option), _enum_label(items, option, context.language), str(option) in current,
                            _choice_id(built.id, position))
                     for position, option in enumerate(_enum_values(items) or [])]


def _fill_user(built, prop, value, context):
    """A select of people; a current value that is not among them stays selectable."""
    current = _plain(value)
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
    built.value = _enum_label(prop, prop["const"], context.language)
    built.required = False


def _fill_file(built, prop, value, context):
    """A file input; files already uploaded (attachment ids) are listed so they survive a re-render."""
    built.multiple = _type(prop) == "array"
    ids = [v for v in (value if isinstance(value, list) else [value]) if v]
    built.files = [Choice(str(i), _file_label(i, context.attachments), True, f"{built.id}--file-{n}")
                   for n, i in enumerate(ids)]
    accept = prop.get("x-accept") or (prop.get("items") or {}).get("x-accept")
    built.attrs = {"accept": ",".join(accept) if isinstance(accept, list) else accept,
                   "multiple": "multiple" if built.multiple else None}


def _file_label(attachment_id, attachments):
    """An attachment's file name and size, or its id when unknown."""
    meta = attachments.get(attachment_id) or {}
    name = meta.get("filename") or str(attachment_id)
    return f"{name} ({_size(meta['size'])})" if meta.get("size") else name


def _size(size):
    """A byte count for people: 900 B, 12 KB, 1.2 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


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
    row = Row(path=path, index=index, legend=group.label, fields=[], scalar=_type(items) != "object")
    if row.scalar:
        item_label = _label(items, group.label, context.language)
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


# ---- parsing a submission -----------------------------------------------------------------------------------------

def parse_submission(schema, form, files=None, store_file=None, tz=UTC):
    """Read request.form (and request.files) as `schema` declares it: Submission(data, raw, errors).

    Only declared properties are read. Empty inputs are left out of data, so the validator reports
    "required"; numbers accept thousands separators; datetime-local values get `tz`'s offset; blank rows
    of repeating groups are dropped and index gaps closed. store_file(path, FileStorage) -> attachment id
    stores an upload (a ValidationFailed it raises becomes that field's error); without an upload a file
    field keeps the id posted by its hidden input.
    """
    files = files if files is not None else MultiDict()
    keys = set(form.keys()) | set(files.keys())
    context = _Parse(form, files, store_file, tz, keys, keep_blank_rows=row_action(form) is not None)
    data, raw = _parse_object(schema or {}, "", "", context)
    return Submission(data, raw, context.errors)


def _parse_object(schema, src, dst, context):
    """(data, raw) of an object's properties: read at form path `src`, reported at path `dst`."""
    data, raw = {}, {}
    for name, prop in _properties(schema).items():
        value, raw[name] = _parse_value(prop, _join(src, name), _join(dst, name), context)
        if value is not None:
            data[name] = value
    return data, raw


def _parse_value(prop, src, dst, context):
    """(value or None when left out, raw) of one property."""
    return _PARSERS.get(_kind(prop), _parse_scalar)(prop, src, dst, context)


def _parse_scalar(prop, src, dst, context):
    """A single input: coerced by type; the raw text kept exactly as posted."""
    text = context.form.get(src)
    if text is None:
        return None, ""
    value, error = _coerce(prop, _kind(prop), text, context.tz)
    if error:
        context.errors[dst] = error
    return value, text


def _coerce(prop, kind, text, tz):
    """(value, error) for posted text: None for blank, numbers parsed, single-line text stripped."""
    if kind == "textarea":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return (text, None) if text.strip() else (None, None)
    text = text.strip()
    if not text:
        return None, None
    declared = _type(prop)
    if declared == "integer":
        return _to_integer(text)
    if declared == "number":
        return _to_number(text)
    if kind == "datetime":
        return _to_datetime(text, tz)
    return text, None


def _to_integer(text):
    """(int, None) for "12", "1,200" or full-width digits; else (None, message)."""
    text = unicodedata.normalize("NFKC", text)
    if not _INTEGER.fullmatch(text):
        return None, UI.not_integer
    return int(text.replace(",", "")), None


def _to_number(text):
    """(int or float, None) for "12", "1,234.5", ".5"; else (None, message)."""
    text = unicodedata.normalize("NFKC", text)
    if not _NUMBER.fullmatch(text):
        return None, UI.not_number
    text = text.replace(",", "")
    return (float(text) if "." in text else int(text)), None


def _to_datetime(text, tz):
    """(ISO 8601 with seconds and offset, None) for a datetime-local value read in `tz`; else (None, message)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, UI.not_datetime
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat(timespec="seconds"), None


def _parse_const(prop, src, dst, context):
    """A fixed value: forced, whatever was posted."""
    return prop["const"], None


def _parse_boolean(prop, src, dst, context):
    """A checkbox after its hidden "false" companion: ticked -> True, else False; absent -> left out.

    A box that must be ticked (const: true) is left out when unticked, so the validator says "required".
    """
    posted = context.form.getlist(src)
    if not posted:
        return None, False
    value = any(v in ("true", "on") for v in posted)
    if not value and prop.get("const") is True:
        return None, False
    return value, value


def _parse_checkboxes(prop, src, dst, context):
    """A checkbox list: the ticked values, coerced to the items' type; none ticked -> left out."""
    items = prop.get("items") or {}
    posted = [v for v in context.form.getlist(src) if v.strip()]
    data = []
    for text in posted:
        value, error = _coerce(items, "select", text, context.tz)
        if error:
            context.errors.setdefault(dst, error)
        elif value is not None:
            data.append(value)
    return data or None, posted


def _parse_file(prop, src, dst, context):
    """A file field: a new upload replaces the kept id; for a list, kept ids plus the new uploads."""
    kept = [v.strip() for v in context.form.getlist(src) if v.strip()]
    uploads = [f for f in context.files.getlist(src) if f and f.filename]
    if _type(prop) == "array":
        ids = kept + _store_uploads(uploads, dst, context)
        return ids or None, ids
    chosen = (_store_uploads(uploads[:1], dst, context) or kept)[-1:]
    return (chosen[0], chosen[0]) if chosen else (None, "")


def _store_uploads(uploads, dst, context):
    """Attachment ids of the uploads stored with store_file; refusals become the field's error."""
    if uploads and context.store_file is None:
        context.errors[dst] = UI.no_uploads
        return []
    ids = []
    for upload in uploads:
        try:
            ids.append(context.store_file(dst, upload))
        except ValidationFailed as exc:
            context.errors.setdefault(dst, next(iter(exc.errors.values()), None) or str(exc))
    return ids


def _parse_group(prop, src, dst, context):
    """A repeating group: rows in posted index order with gaps closed, blank ones dropped (see Submission)."""
    items = prop.get("items") or {}
    data, raw = [], []
    for index in _row_indices(src, context):
        errors_before = len(context.errors)
        value, row_raw = _parse_row(items, f"{src}/{index}", f"{dst}/{len(raw)}", context)
        if _blank(row_raw) and len(context.errors) == errors_before:
            if context.keep_blank_rows:
                raw.append(row_raw)
            continue
        raw.append(row_raw)
        if value is not None:
            data.append(value)
    return data or None, raw


def _parse_row(items, src, dst, context):
    """(value, raw) of one row: an object's fields, or a single scalar."""
    if _type(items) == "object":
        return _parse_object(items, src, dst, context)
    return _parse_value(items, src, dst, context)


def _row_indices(src, context):
    """The row indexes posted under a group's path, in order."""
    pattern = re.compile(re.escape(src) + r"/(\d{1,6})(?:/|$)")
    return sorted({int(m.group(1)) for key in context.keys if (m := pattern.match(key))})


def _blank(raw):
    """Whether nothing was entered: empty text, an unticked box, nothing chosen, throughout."""
    if isinstance(raw, dict):
        return all(_blank(v) for v in raw.values())
    if isinstance(raw, list):
        return all(_blank(v) for v in raw)
    return raw is None or raw is False or (isinstance(raw, str) and not raw.strip())


def _parse_object_field(prop, src, dst, context):
    """A nested object (not in a group): left out when nothing in it was filled."""
    data, raw = _parse_object(prop, src, dst, context)
    return data or None, raw


_PARSERS = {
    "const": _parse_const,
    "boolean": _parse_boolean,
    "checkboxes": _parse_checkboxes,
    "file": _parse_file,
    "group": _parse_group,
    "object": _parse_object_field,
}


# ---- repeating groups without JavaScript --------------------------------------------------------------------------

def row_action(form):
    """("add", group path) or ("remove", row path) when an Add/Remove row button submitted the form, else None."""
    for action in ("add", "remove"):
        target = (form.get(f"_{action}") or "").strip()
        if target:
            return action, target
    return None


def apply_row_action(raw, action, target):
    """A copy of `raw` with one more row at the end of group `target` ("add"), or row `target` removed ("remove").

    Unknown targets leave it unchanged; maxItems is the validator's business.
    """
    raw = copy.deepcopy(raw or {})
    segments = target.split("/")
    if action.lstrip("_") == "add":
        rows = _rows_at(raw, segments, create=True)
        if rows is not None:
            rows.append(None)
    elif action.lstrip("_") == "remove" and len(segments) > 1 and segments[-1].isdigit():
        rows = _rows_at(raw, segments[:-1], create=False)
        if rows is not None and int(segments[-1]) < len(rows):
            del rows[int(segments[-1])]
    return raw


def _rows_at(raw, segments, create):
    """The list at `segments` inside raw (created empty when missing and `create`), or None."""
    node = raw
    for segment in segments[:-1]:
        node = _child(node, segment)
    if not isinstance(node, dict):
        return None
    if create and not isinstance(node.get(segments[-1]), list):
        node[segments[-1]] = []
    rows = node.get(segments[-1])
    return rows if isinstance(rows, list) else None


def _child(node, segment):
    """node[segment] for a dict key or a list index, else None."""
    if isinstance(node, dict):
        return node.get(segment)
    if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
        return node[int(segment)]
    return None


# ---- read-only display --------------------------------------------------------------------------------------------

def format_value(value, prop, language, attachments=None, people=None, tz=None):
    """A submitted value for reading (the case page's data summary): labels, separators, Yes/No, names.

    Lists of scalars are joined with ", "; rows of a repeating group come one per line ("\\n").
    """
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return _format_list(value, prop, language, attachments, people, tz)
    if isinstance(value, bool):
        return UI.yes if value else UI.no
    kind = _kind(prop)
    if _enum_values(prop) is not None or kind == "const":
        return _enum_label(prop, value, language)
    if kind == "money" and _is_number(value):
        return _grouped(value)
    if kind == "user":
        return _format_person(value, people)
    if kind == "file":
        return _file_label(value, attachments or {})
    if kind == "datetime":
        return _local_datetime(value, tz).replace("T", " ")
    return _plain(value)


def _format_list(values, prop, language, attachments, people, tz):
    """A list for reading: rows of an array of objects one per line, other items joined with ", "."""
    items = prop if _kind(prop) == "file" else prop.get("items") or {}
    if _type(items) == "object":
        return "\n".join(_format_row(row, items, language, attachments, people, tz) for row in values)
    return ", ".join(format_value(v, items, language, attachments, people, tz) for v in values)


def _format_row(row, items, language, attachments, people, tz):
    """One row of a repeating group: "Description: Laptop; Quantity: 2"."""
    row = row if isinstance(row, dict) else {}
    return "; ".join(f"{_label(p, name, language)}: {format_value(row[name], p, language, attachments, people, tz)}"
                     for name, p in _properties(items).items() if row.get(name) not in (None, "", []))


def _format_person(username, people):
    """A username as "Name (username)" when the person is known."""
    person = next((p for p in people or [] if p.get("username") == username), None)
    return f"{person['name']} ({username})" if person and person.get("name") else str(username)
