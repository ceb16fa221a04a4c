"""Reading a form's JSON Schema (types, widgets, labels) and writing values as text: shared by every job."""
from datetime import datetime

MAX_RADIO_RANGE = 20
_FORMAT_WIDGETS = {"date": "date", "date-time": "datetime", "email": "email"}


def join_path(prefix, name):
    """A child path."""
    return f"{prefix}/{name}" if prefix else str(name)


def properties_of(schema):
    """The declared properties of an object schema, in order."""
    return (schema or {}).get("properties") or {}


def json_type(prop):
    """The JSON type of a property (the non-null one of a list), "string" when unsaid."""
    declared = prop.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    return declared or "string"


def enum_values(prop):
    """The allowed values offered as choices: `enum`, or a small integer range shown as radio buttons."""
    if "enum" in prop:
        return list(prop["enum"])
    if prop.get("x-widget") != "radio" or json_type(prop) != "integer":
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


def widget_kind(prop):
    """The widget a property is rendered with (and parsed as)."""
    widget, declared = prop.get("x-widget"), json_type(prop)
    if declared == "boolean":
        return "boolean"  # const: true ("I have read ...") too: a box the user has to tick
    if "const" in prop:
        return "const"
    if widget == "file":
        return "file"
    if declared in ("array", "object"):
        return _array_kind(prop) if declared == "array" else "object"
    if enum_values(prop) is not None:
        return "radio" if widget == "radio" else "select"
    if widget in ("textarea", "money", "user"):
        return widget
    if declared in ("integer", "number"):
        return declared
    return _FORMAT_WIDGETS.get(prop.get("format"), "text")


def localized(value, language):
    """Text in `language` from a {en, zh-Hant} mapping, falling back to English, then to any language."""
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def label_of(prop, fallback, language):
    """A property's label: x-label, else title, else `fallback`."""
    return localized(prop.get("x-label") or prop.get("title"), language) or fallback


def enum_label(prop, value, language):
    """The label of one allowed value (x-enum-labels), else the value itself."""
    labels = prop.get("x-enum-labels") or {}
    found = labels.get(value, labels.get(str(value))) if isinstance(labels, dict) else None
    return localized(found, language) if found else plain(value)


def plain(value):
    """A value as a plain string: None -> "", 12.0 -> "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def grouped(value):
    """A number with thousands separators: 1234.5 -> "1,234.50", 12000 -> "12,000"."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def is_number(value):
    """Whether value is an int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def local_datetime(value, tz):
    """An ISO date-time as a datetime-local value ("2026-03-01T09:30") in `tz`, or in its own offset for None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None and tz is not None:
        moment = moment.astimezone(tz)
    return moment.strftime("%Y-%m-%dT%H:%M")


def file_label(attachment_id, attachments):
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
