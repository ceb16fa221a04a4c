"""Parsing a posted form into typed values as its JSON Schema declares them, and row buttons without JavaScript."""
import copy
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from engine.errors import ValidationFailed
from engine.formfields import json_type, kind_of, properties_of
from webui.schema_forms.model import UI, Submission
from webui.schema_forms.text import join_path

_INTEGER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)")
_NUMBER = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)")


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
    for name, prop in properties_of(schema).items():
        value, raw[name] = _parse_value(prop, join_path(src, name), join_path(dst, name), context)
        if value is not None:
            data[name] = value
    return data, raw


def _parse_value(prop, src, dst, context):
    """(value or None when left out, raw) of one property."""
    return _PARSERS.get(kind_of(prop), _parse_scalar)(prop, src, dst, context)


def _parse_scalar(prop, src, dst, context):
    """A single input: coerced by type; the raw text kept exactly as posted."""
    text = context.form.get(src)
    if text is None:
        return None, ""
    value, error = _coerce(prop, kind_of(prop), text, context.tz)
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
    declared = json_type(prop)
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
    if json_type(prop) == "array":
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
    if json_type(items) == "object":
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
