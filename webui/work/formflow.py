"""What the task page and the start form share: parsing a posted form, files, and rendering it back."""
from zoneinfo import ZoneInfo

from flask import request
from flask_login import current_user

from engine.errors import NotFound, ValidationFailed
from engine.forms import validate_form
from webui import current_runtime
from webui.i18n import package_language
from webui.messages import localize_errors
from webui.names import with_department_names
from webui.schema_forms import build_fields, merge_errors, parse_submission


def _walk_widgets(schema, widget):
    """True when any field (at any depth) of `schema` uses `widget`."""
    if not isinstance(schema, dict):
        return False
    if schema.get("x-widget") == widget:
        return True
    children = list((schema.get("properties") or {}).values())
    if isinstance(schema.get("items"), dict):
        children.append(schema["items"])
    return any(_walk_widgets(child, widget) for child in children)


def _file_ids(values):
    """Every string in a nested value that may be an attachment id (32 hex characters)."""
    if isinstance(values, dict):
        for value in values.values():
            yield from _file_ids(value)
    elif isinstance(values, list):
        for value in values:
            yield from _file_ids(value)
    elif isinstance(values, str) and len(values) == 32 and all(c in "0123456789abcdef" for c in values):
        yield values


def attachment_names(schema, values, known=None):
    """id -> {filename, size} for the files a form shows (known ones, then ones this user may open)."""
    names = dict(known or {})
    if not _walk_widgets(schema, "file"):
        return names
    for attachment_id in set(_file_ids(values)) - set(names):
        try:
            meta, _path = current_runtime().attachment(attachment_id, current_user.username)
        except NotFound:
            continue
        names[attachment_id] = meta
    return names


def user_zone():
    """The time zone forms read date-times in."""
    return ZoneInfo(current_runtime().settings.timezone)


def read_posted(schema):
    """Parse the posted form against `schema`, storing uploaded files as pending attachments."""
    runtime = current_runtime()

    def store_file(_path, upload):
        """Keep one uploaded file; its id goes into the form data."""
        meta = runtime.add_attachment(current_user.username, upload.filename or "", upload.mimetype or "",
                                      upload.stream)
        return meta["id"]

    return parse_submission(schema, request.form, request.files, store_file=store_file, tz=user_zone())


def every_error(schema, submission):
    """The typing errors of a submission plus what the schema says about the rest, so one round trip shows all."""
    try:
        validate_form(schema, submission.data)
    except ValidationFailed as exc:
        return merge_errors(submission.errors, exc.errors)
    return submission.errors


def fields_for(schema, values=None, errors=None, known_files=None):
    """The form's fields ready for the template, in the current language."""
    runtime = current_runtime()
    people = with_department_names(runtime.people()) if _walk_widgets(schema, "user") else None
    return build_fields(schema, package_language(), values=values, errors=localize_errors(errors), people=people,
                        attachments=attachment_names(schema, values, known_files), tz=user_zone())
