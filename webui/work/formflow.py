"""What the task page and the start form share: parsing a posted form, files, and rendering it back."""
from zoneinfo import ZoneInfo

from flask import request
from flask_login import current_user

from engine.errors import NotFound
from engine.formfields import any_field, file_values, has_file_fields
from webui.error_texts import localize_errors
from webui.i18n import package_language
from webui.names import with_department_names
from webui.runtime import current_runtime
from webui.schema_forms import apply_row_action, build_fields, parse_submission, row_action


def attachment_names(schema, values):
    """id -> {filename, size} for the files a form shows that this user may open."""
    names = {}
    if not has_file_fields(schema):
        return names
    for attachment_id in {value for _path, value in file_values(schema, values) if isinstance(value, str)}:
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


def row_again(submission):
    """(values, errors, 200) when the posted form only added or removed a row of a repeating group (no
    JavaScript), so it goes back to its page as typed; else None. Everything else goes to the engine, which
    reports the reading errors ("2x" in a number) with the form's own in one answer."""
    action = row_action(request.form)
    if action:
        return apply_row_action(submission.raw, *action), submission.errors or None, 200
    return None


def fields_for(schema, values=None, errors=None, attachments=None, people=None):
    """The form's fields ready for the template, in the current language.

    `attachments` (id -> metadata) and `people` (for user pickers) come with the page's one read when it has
    them (the task page); otherwise they are looked up here (the start form).
    """
    if people is None and any_field(schema, "user"):
        people = current_runtime().people()
    if attachments is None:
        attachments = attachment_names(schema, values)
    return build_fields(schema, package_language(), values=values, errors=localize_errors(errors),
                        people=with_department_names(people) if people is not None else None,
                        attachments=attachments, tz=user_zone())
