"""Values for reading (the case summary, history): labels, separators, Yes/No, names."""
from engine.formfields import enum_values, json_type, kind_of, properties_of
from webui.schema_forms.model import UI
from webui.schema_forms.text import enum_label, file_label, grouped, is_number, label_of, local_datetime, plain


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
    kind = kind_of(prop)
    if enum_values(prop) is not None or kind == "const":
        return enum_label(prop, value, language)
    if kind == "money" and is_number(value):
        return grouped(value)
    if kind == "user":
        return _format_person(value, people)
    if kind == "file":
        return file_label(value, attachments or {})
    if kind == "datetime":
        return local_datetime(value, tz).replace("T", " ")
    return plain(value)


def _format_list(values, prop, language, attachments, people, tz):
    """A list for reading: rows of an array of objects one per line, other items joined with ", "."""
    items = prop if kind_of(prop) == "file" else prop.get("items") or {}
    if json_type(items) == "object":
        return "\n".join(_format_row(row, items, language, attachments, people, tz) for row in values)
    return ", ".join(format_value(v, items, language, attachments, people, tz) for v in values)


def _format_row(row, items, language, attachments, people, tz):
    """One row of a repeating group: "Description: Laptop; Quantity: 2"."""
    row = row if isinstance(row, dict) else {}
    return "; ".join(f"{label_of(p, name, language)}: {format_value(row[name], p, language, attachments, people, tz)}"
                     for name, p in properties_of(items).items() if row.get(name) not in (None, "", []))


def _format_person(username, people):
    """A username as "Name (username)" when the person is known."""
    person = next((p for p in people or [] if p.get("username") == username), None)
    return f"{person['name']} ({username})" if person and person.get("name") else str(username)
