"""A form's words: labels in the reader's language, and values written as text; shared by every job.

Which kind of field a property is comes from engine.formfields, as it does for the engine.
"""
from datetime import datetime

from engine.formfields import ENUM_LABELS, LABEL


def join_path(prefix, name):
    """A child path."""
    return f"{prefix}/{name}" if prefix else str(name)


def localized(value, language):
    """Text in `language` from a {en, zh-Hant} mapping, falling back to English, then to any language."""
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def label_of(prop, fallback, language):
    """A property's label: x-label, else title, else `fallback`."""
    return localized(prop.get(LABEL) or prop.get("title"), language) or fallback


def enum_label(prop, value, language):
    """The label of one allowed value (x-enum-labels), else the value itself."""
    labels = prop.get(ENUM_LABELS) or {}
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
