"""Forms described by JSON Schema: fields for templates/forms/fields.html, and a posted form parsed back.

`build_fields` (build.py) turns a form's schema (processes/*/forms/*.yaml) into the Field objects of
model.py in property order; `parse_submission` (parse.py) walks the same schema over request.form /
request.files and gives typed data for engine.forms.validate_form, the raw strings to re-render after an
error, and coercion errors; `format_value` (display.py) writes a stored value for reading. All three take
a field's kind from engine.formfields and its words from text.py. Every path joins property names and row
indexes with "/" ("items/0/quantity"); it is also the control's HTML name, and its id is "f-" + the path
with "/" replaced by "-".
"""
from webui.schema_forms.build import build_fields, merge_errors, needs_multipart, summarize_errors
from webui.schema_forms.display import format_value
from webui.schema_forms.parse import apply_row_action, parse_submission, row_action

__all__ = ["apply_row_action", "build_fields", "format_value", "merge_errors", "needs_multipart",
           "parse_submission", "row_action", "summarize_errors"]
