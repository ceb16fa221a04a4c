"""What the task page and the start form share: parsing a posted form, files, and rendering it back."""
from zoneinfo import ZoneInfo

from flask import request
from flask_login import current_user

from engine.errors import NotFound, ValidationFailed
from engine.forms import schema_has, validate_form
from engine.runtime.files import file_values, has_file_fields
from webui.i18n import package_language
from webui.messages import localize_errors
from webui.names import with_department_names
from webui.runtime import current_runtime
from webui.schema_forms import apply_row_action, build_fields, merge_errors, parse_submission, row_action


def attachment_names(schema, values, known=None):
    """id -> {filename, size} for the files a form shows (known ones, then ones this user may open)."""
    names = dict(known or {})
    if not has_file_fields(schema):
        return names
    named = {value for _path, value in file_values(schema, values) if isinstance(value, str)}
    for attachment_id in named - set(names):
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


def shown_again(schema, submission):
    """(values, errors, status) when a posted form goes back to its page before anything is submitted, else None.

    A row added or removed without JavaScript comes back as typed (200). Typing errors ("2x" in a
    number) come back with what the schema says about the other fields, so one round trip shows all (422).
    """
    action = row_action(request.form)
    if action:
        return apply_row_action(submission.raw, *action), submission.errors or None, 200
    if not submission.errors:
        return None
    try:
        validate_form(schema, submission.data)
    except ValidationFailed as exc:
        return submission.raw, merge_errors(submission.errors, exc.errors), 422
    return submission.raw, submission.errors, 422


def _is_user_picker(prop):
    """A field whose value is a username chosen from the organisation."""
    return prop.get("x-widget") == "user"


def fields_for(schema, values=None, errors=None, known_files=None):
    """The form's fields ready for the template, in the current language."""
    runtime = current_runtime()
    people = with_department_names(runtime.people()) if schema_has(schema, _is_user_picker) else None
    return build_fields(schema, package_language(), values=values, errors=localize_errors(errors), people=people,
                        attachments=attachment_names(schema, values, known_files), tz=user_zone())
