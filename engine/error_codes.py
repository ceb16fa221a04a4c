"""Every error code the engine reports, with its English sentence and the parameters it carries.

This is the contract callers rely on: the web UI translates by code (webui/error_texts.py), the
CLI and the logs print the English, and an API can hand out code and parameters as they are.
A code never changes meaning; a new situation gets a new code. Each entry is the English
template (`str.format` fields named after the parameters, `{name!r}` where the sentence quotes a
value) and what each parameter holds. Parameters are plain values: ids, usernames, numbers,
datetimes, and short texts the engine did not write itself (a library's reason, a package's own
words). A parameter named in USERNAME_PARAMS holds a username, which a reader may see as the person's
name; a datetime is shown in the reader's zone.
"""
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USERNAME_PARAMS = frozenset(("user", "owner"))

URL_EXAMPLES = "sqlite:///path/to/opsflow.db or postgresql+psycopg://user@host/database"
CHECK_DATABASE = "check OPSFLOW_DATABASE_URL and that the database server is running"
SECRET_KEY_HOWTO = ("set it to a long random value, the same in every web process, e.g. "
                    "export OPSFLOW_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'); "
                    "`make run` keeps one in instance/secret_key")
UNSET = "which no form field, script or decision output sets"


@dataclass(frozen=True)
class ErrorCode:
    """One code: its English template and, per parameter, what it holds."""

    template: str
    params: dict[str, str]


# A code and its parameters, as a check returns them before they are located in a Problem.
Coded = tuple[str, dict[str, Any]]


def _code(template: str, **params: str) -> ErrorCode:
    """An entry of CODES: the template and a description of each of its parameters."""
    return ErrorCode(template, params)


# Descriptions of the parameters many codes share.
CASE = "case id"
TASK = "task id"
USER = "username"
PROCEDURE = "procedure (package) key"
N = "the schema's limit, a number"
REASON = "the reason in the words of the library or check that gave it (English)"
VALUE = "the value as written"
WHAT = "what it is, in English words (condition, script, exclusive gateway, ...)"
SIZE = "a size in bytes written with its unit (2 MB, 700 bytes)"

FIELD_CODES = {
    # A form field's value (engine/forms.py; the web UI shows it under the field).
    "required": _code("this field is required"),
    "choose_offered": _code("choose one of the offered values"),
    "enter_date": _code("enter a date (YYYY-MM-DD)"),
    "enter_date_time": _code("enter a date and a time"),
    "enter_email": _code("enter an e-mail address"),
    "invalid_format": _code("not a valid {format}", format="the JSON Schema format's name"),
    "enter_whole_number": _code("enter a whole number"),
    "enter_number": _code("enter a number"),
    "enter_text": _code("enter text"),
    "enter_yes_no": _code("answer yes or no"),
    "enter_list": _code("give a list"),
    "enter_group": _code("fill in the group"),
    "min_length": _code("must be at least {n} characters", n=N),
    "max_length": _code("must be at most {n} characters", n=N),
    "minimum": _code("must be at least {n}", n=N),
    "maximum": _code("must be at most {n}", n=N),
    "exclusive_minimum": _code("must be more than {n}", n=N),
    "exclusive_maximum": _code("must be less than {n}", n=N),
    "min_items": _code("needs at least {n} entries", n=N),
    "max_items": _code("takes at most {n} entries", n=N),
    "pattern": _code("does not have the expected form"),
    "unique_items": _code("lists the same entry twice"),
    "schema_rule": _code("{reason}", reason="jsonschema's own wording of a rule without a code of ours"),
    "form_not_object": _code("form data must be an object of field values"),
    "not_storable": _code("{reason}", reason="why a value handed in by a program cannot be stored (Python's words)"),
    "form_rule": _code("{message}", message="the English message the package wrote (the error carries every "
                                            "language in `translations`)"),
    # Passwords (engine/runtime/accounts.py).
    "wrong_password": _code("is not your current password"),
    "password_length": _code("must be {low} to {high} characters", low="fewest characters", high="most characters"),
    "password_unchanged": _code("must differ from your current password"),
    # Inbox filters and searches (engine/runtime/inbox.py).
    "not_one_of": _code("is not one of {choices}", choices="the allowed values, comma-separated"),
    "hours_out_of_range": _code("must be 0 to {most} hours", most="most hours"),
    "not_a_priority": _code("is not a priority from 1 (urgent) to 4 (low)"),
    "search_not_mapping": _code("must map field names to values"),
    "search_value_kind": _code("give text, a range {{min, max}} or a list of codes"),
    "unknown_bound": _code("unknown bound {bound!r}; use min and max", bound="the key given"),
    "not_whole_number": _code("is not a whole number"),
    "not_a_number": _code("is not a number"),
    "name_length": _code("must be 1 to {most} characters", most="most characters"),
    "text_too_long": _code("must be text of at most {most} characters", most="most characters"),
    # API tokens (engine/runtime/tokens.py).
    "expiry_not_future": _code("must be in the future"),
    # Uploads (engine/runtime/attachments.py, files.py).
    "uploads_waiting": _code("{count} of your uploads wait for a form already; submit it first",
                             count="pending uploads"),
    "file_too_large": _code("is larger than {mb:.3g} MB", mb="the limit in megabytes (MiB)"),
    "file_empty": _code("is empty"),
    "unknown_attachment": _code("unknown attachment"),
    # Comments and drafts (engine/runtime/commands.py).
    "comment_empty": _code("write a comment first"),
    "draft_not_object": _code("must be an object of field values"),
    "draft_too_large": _code("is {size} KiB; a draft may hold at most {most} KiB", size="the draft's size in KiB",
                             most="the limit in KiB"),
}

REFUSAL_CODES = {
    # Who may see and do what (engine/runtime/access.py, commands.py).
    "start_forbidden": _code("{user} may not start {procedure}", user=USER, procedure=PROCEDURE),
    "task_claimed": _code("task {task} is already claimed by {user}", task=TASK, user="who holds it"),
    "separation_of_duties": _code("{user} may not do step {step} of case {case} (separation of duties)",
                                  user=USER, step="BPMN id of the step", case=CASE),
    "task_assigned_to_other": _code("task {task} is assigned to {owner}, not {user}", task=TASK,
                                    owner="who holds it", user=USER),
    "role_not_held": _code("{user} does not hold role {role} of task {task}", user=USER, role="role key", task=TASK),
    "not_a_candidate": _code("{user} is not one of the people who may take task {task}", user=USER, task=TASK),
    "task_not_claimed": _code("{user} has not claimed task {task}", user=USER, task=TASK),
    "no_one_else": _code("nobody else may take task {task}, so it stays with {user}", task=TASK, user=USER),
    "no_user": _code("no user {user!r}", user="the username given"),
    "no_active_user": _code("no active user {user!r}", user="the username given"),
    "not_eligible": _code("{user} may not do step {step} of case {case}", user=USER, step="BPMN id of the step",
                          case=CASE),
    "not_supervisor": _code("{user} does not supervise {procedure}", user=USER, procedure=PROCEDURE),
    "cancel_forbidden": _code("{user} may not cancel case {case}", user=USER, case=CASE),
    "user_inactive": _code("{user} is not an active user", user=USER),
    "no_task": _code("no task {task}", task="the task id given"),
    "no_open_task": _code("no open task {task}", task="the task id given"),
    "no_case": _code("no case {case}", case="the case id given"),
    "no_procedure": _code("no procedure {procedure!r} is deployed", procedure="the key given"),
    "no_version": _code("procedure {procedure!r} has no version {version}; `opsflow versions {procedure}` lists them",
                        procedure=PROCEDURE, version="the version number given"),
    "no_definition": _code("definition {definition} does not exist", definition="definition row id"),
    "no_attachment": _code("no attachment {attachment!r}", attachment="the attachment id given"),
    "attachment_file_missing": _code("the file of attachment {attachment} is missing from the file store",
                                     attachment="attachment id"),
    "no_saved_filter": _code("no saved filter {filter!r}", filter="the filter id given"),
    "no_api_token": _code("no API token {token!r} of yours; `opsflow token list USER` lists them",
                          token="the token id given"),
    "no_incident": _code("no incident {incident} in case {case}; `opsflow incidents` lists the open ones",
                         incident="the incident id given", case=CASE),
    "incident_id_not_number": _code("no incident {incident!r}: an incident id is a number",
                                    incident="the incident id given"),
    "incident_forbidden": _code("{user} does not supervise {procedure}, so may not retry its incidents",
                                user=USER, procedure=PROCEDURE),
    # A stale page: the case or task moved on.
    "task_not_waiting": _code("task {task} is no longer waiting; reload the case", task=TASK),
    "case_finished": _code("case {case} is already {status}", case=CASE, status="the case's status"),
    "case_cancelled": _code("case {case} was cancelled; task {task} can no longer be done", case=CASE, task=TASK),
    "task_done": _code("task {task} was already completed by {user} at {at:%Y-%m-%d %H:%M}", task=TASK,
                       user="who completed it", at="when it was completed (a datetime, UTC)"),
    "task_closed": _code("task {task} of case {case} is no longer open", task=TASK, case=CASE),
    "task_changed": _code("task {task} changed meanwhile; reload it", task=TASK),
    "case_changed": _code("case {case} was changed by someone else; reload it and try again", case=CASE),
    "task_not_stuck": _code("task {task} can be taken already; reassign it instead", task=TASK),
    "case_closed_for_files": _code("case {case} is {status}; files can no longer be added", case=CASE,
                                   status="the case's status"),
    "attachment_taken": _code("attachment {attachment} was used by another form meanwhile; upload it again",
                              attachment="attachment id"),
    "filter_name_taken": _code("a filter named {name!r} was saved meanwhile; try again", name="the filter's name"),
    "incident_case_closed": _code("case {case} is {status}; only a running case's incident can be retried",
                                  case=CASE, status="the case's status"),
    "incident_retried": _code("incident {incident} of case {case} was retried already by {user}",
                              incident="incident id", case=CASE, user="who retried it"),
    "incident_pending": _code("the timer of incident {incident} is pending already", incident="incident id"),
    "incident_timer_gone": _code("the timer of incident {incident} is gone (its task ended); nothing to retry",
                                 incident="incident id"),
    "timer_fired": _code("timer already fired"),
    "deploy_race": _code("other deploys of the same procedures kept storing versions at the same moment; "
                         "deploy again"),
    # Whole-error summaries (their parts carry codes of their own).
    "form_invalid": _code("invalid form data: {summary}", summary="`field: message` of each field, '; '-separated"),
    "package_invalid": _code("{problems}", problems="the located problems, one a line"),
    "org_invalid": _code("{problems}", problems="the located problems, one a line"),
}

SYSTEM_CODES = {
    # The database (engine/store/db.py).
    "database_busy": _code("the database stayed busy with other changes for {seconds:g} s; nothing was saved, "
                           "try again in a moment", seconds="how long a writer waited"),
    "database_lock_timeout": _code("the database stayed busy with other changes; nothing was saved, "
                                   "try again in a moment"),
    "write_conflict": _code("another change to the same data was saved at the same moment; reload and try again"),
    "no_schema": _code("the database {database} has no opsflow schema; run `opsflow init`",
                       database="its URL without password"),
    "old_schema": _code("the database {database} is at schema revision {current}, this opsflow needs {needed}; "
                        "run `opsflow init` to upgrade it", database="its URL without password",
                        current="its revisions, comma-separated", needed="the revisions needed, comma-separated"),
    "database_unreachable": _code(f"cannot use the database {{database}}: {{reason}}; {CHECK_DATABASE}",
                                  database="its URL without password", reason="the driver's reason"),
    "unknown_driver": _code(f"unknown database driver {{driver!r}} in OPSFLOW_DATABASE_URL; use {URL_EXAMPLES}",
                            driver="the driver named"),
    "not_a_database_url": _code(f"OPSFLOW_DATABASE_URL is not a database URL; use {URL_EXAMPLES}"),
    "driver_missing": _code(f"the database driver {{driver!r}} is not installed; opsflow runs on {URL_EXAMPLES} "
                            "(the latter needs opsflow[postgres])", driver="the missing module"),
    "sqlite_folder_missing": _code("the folder {folder} of the SQLite database in OPSFLOW_DATABASE_URL does not "
                                   "exist; create it or fix the URL", folder="the folder's path"),
    # Settings (engine/config.py, webui/config.py, engine/cli_io.py).
    "secret_key_missing": _code(f"OPSFLOW_SECRET_KEY is not set; it signs every session, so it must be secret: "
                                f"{SECRET_KEY_HOWTO}"),
    "secret_key_published": _code(f"OPSFLOW_SECRET_KEY is the published demo key; it signs every session, so it "
                                  f"must be secret: {SECRET_KEY_HOWTO}"),
    "secret_key_short": _code(f"OPSFLOW_SECRET_KEY is shorter than {{least}} characters; it signs every session, "
                              f"so it must be secret: {SECRET_KEY_HOWTO}", least="fewest characters"),
    "setting_not_integer": _code("{name}={value!r} is not an integer", name="the variable", value=VALUE),
    "setting_not_number": _code("{name}={value!r} is not a number", name="the variable", value=VALUE),
    "bad_timezone": _code("OPSFLOW_TIMEZONE {zone!r} is not an IANA time zone such as Asia/Taipei", zone=VALUE),
    "no_such_user": _code("no such user: {user}; `opsflow users` lists them", user="the username given"),
    # Exporting a version into a folder (engine/cli_versions.py).
    "export_folder_not_empty": _code("{folder} is not empty; export into a new or empty folder, or add --force to "
                                     "write the version's files over its own", folder="the folder given"),
    "export_not_a_folder": _code("{folder} exists and is not a folder", folder="the path given"),
}

SCRIPT_CODES = {
    # The sandbox (engine/sandbox): limits and refusals.
    "sandbox_not_started": _code("the sandbox process did not start"),
    "script_memory": _code("used more than {mb} MB of memory", mb="the limit in megabytes"),
    "script_time": _code("ran longer than {seconds:g} s", seconds="the limit in seconds"),
    "sandbox_ended": _code("the sandbox process ended (it ran out of time or memory)"),
    "result_too_large": _code("the result is larger than {most:,} bytes", most="the limit in bytes"),
    "result_not_plain": _code("the result is not a plain value: {reason}", reason=REASON),
    "result_not_value": _code("the result is not a value: {reason}", reason=REASON),
    "script_exception": _code("{exception}: {detail}", exception="the Python exception's name",
                              detail="its message"),
    "calls_too_deep": _code("RecursionError: calls nested too deeply"),
    "host_call_failed": _code("{function}(): {exception}: {detail}", function="the organisation function called",
                              exception="the Python exception's name", detail="its message"),
    "script_data_limit": _code("the script wrote {written:,} bytes of case data, more than the limit of {limit:,} "
                               "(OPSFLOW_SCRIPT_DATA_LIMIT_BYTES)", written="bytes written", limit="the limit"),
    "sequence_too_long": _code("repeating a sequence of {length} {times} times is more than {most:,} items",
                               length="the sequence's length", times="the repeat count", most="the limit"),
    "product_too_large": _code("a product of more than {most:,} bits is not allowed", most="the limit in bits"),
    "power_too_large": _code("a power of about {digits:,} digits is more than {most:,} bits",
                             digits="the result's digits", most="the limit in bits"),
    "shift_too_large": _code("shifting by {shift:,} bits is more than {most:,} bits", shift="the shift",
                             most="the limit in bits"),
    "range_too_long": _code("a range of more than {most:,} numbers is not allowed", most="the limit"),
    "expression_refused": _code("expression {source!r}: {reasons}", source="the expression",
                                reasons="RestrictedPython's reasons, '; '-separated"),
    "script_syntax": _code("script: line {line}: {reason}", line="line in the script", reason=REASON),
    "script_import": _code("script: line {line}: imports are not allowed", line="line in the script"),
    "script_refused": _code("script: {reasons}", reasons="RestrictedPython's reasons, '; '-separated"),
    # Running a case (engine/runtime/spiff.py, case.py, engine/formrules.py).
    "step_failed": _code("[{step}] {reason}", step="BPMN id of the step", reason=REASON),
    "workflow_failed": _code("{reason}", reason=REASON),
    "case_unloadable": _code("case {case} could not be loaded: {reason}", case=CASE, reason=REASON),
    "rule_failed": _code("{form}: rules[{number}] on {field} ({check}) cannot be evaluated: {reason}",
                         form="the form's name", number="the rule's index", field="the field path",
                         check="the rule's expression", reason=REASON),
}

# Where a code names a field of a schema-checked YAML file (`x-error` in the schemas of
# engine/definitions): `{value!r}` is the value written.
SCHEMA_WORDING_CODES = {
    "not_package_key": _code("{value!r} is not a package key: use lower-case letters, digits and dashes", value=VALUE),
    "not_bpmn_id": _code("{value!r} is not a BPMN id", value=VALUE),
    "not_bpmn_file": _code("{value!r} is not a .bpmn file", value=VALUE),
    "not_dmn_file": _code("{value!r} is not a .dmn file", value=VALUE),
    "not_field_name": _code("{value!r} is not a field name", value=VALUE),
    "not_role_key": _code("{value!r} is not a role key: use lower-case letters, digits and dashes", value=VALUE),
    "not_relative_path": _code("{value!r} is not a relative path inside the package", value=VALUE),
    "not_form_file": _code("{value!r} is not a form file: forms/<name>.yaml", value=VALUE),
    "not_duration": _code("{value!r} is not an ISO 8601 duration such as P2D or PT4H", value=VALUE),
    "not_due": _code("{value!r} is not an ISO 8601 duration such as P2D or PT4H (nor {{expression: ...}})",
                     value=VALUE),
    "not_priority": _code("{value!r} is not a priority from 1 (urgent) to 4 (low) (nor {{expression: ...}})",
                          value=VALUE),
    "not_field_type": _code("{value!r} is not one of string, number, integer, date, boolean", value=VALUE),
    "not_choice_labels": _code("{value!r} maps each stored code to its label {{en, zh-Hant}}", value=VALUE),
    "not_boolean": _code("{value!r} is true or false", value=VALUE),
    "schema_not_object": _code("{value!r} is not object: a form's schema describes an object of fields", value=VALUE),
}

PACKAGE_CODES = {
    # Files: finding, sizes, YAML and XML (engine/definitions/loader.py, limits.py, yamlfile.py, documents.py).
    "no_manifest_here": _code("no process.yaml in this folder"),
    "no_packages_here": _code("no process package here: neither a process.yaml nor sub-folders holding one"),
    "file_too_large_for_package": _code("refused: {size} is over the limit of {limit} per file", size=SIZE,
                                        limit=SIZE),
    "package_too_large": _code("refused: the package's files hold {size}, over the limit of {limit} per package",
                               size=SIZE, limit=SIZE),
    "too_many_files": _code("refused: {count:,} files, over the limit of {limit} per package", count="files",
                            limit="most files"),
    "not_utf8": _code("not UTF-8 text: {reason}", reason=REASON),
    "yaml_alias_loop": _code("refused: alias *{anchor} repeats the mapping or list that holds it",
                             anchor="the anchor's name"),
    "yaml_too_deep": _code("refused: nested deeper than the limit of {most} levels", most="the limit"),
    "yaml_too_many_values": _code("refused: more than the limit of {most:,} values once its aliases are expanded",
                                  most="the limit"),
    "yaml_invalid": _code("not valid YAML: {reason}", reason=REASON),
    "schema_mismatch": _code("{reason}", reason="jsonschema's wording (a key missing or unexpected, a wrong type)"),
    "xml_not_well_formed": _code("not well-formed XML: {reason}", reason=REASON),
    "xml_doctype": _code("refused: a DOCTYPE (DTD or entity declarations) is not allowed in a model file"),
    "xml_too_many_elements": _code("refused: more than the limit of {most:,} elements in one file", most="the limit"),
    "xml_too_deep": _code("refused: elements nested deeper than the limit of {most} levels", most="the limit"),
    "xsd_violation": _code("not allowed by the {schema} schema: {reason}", schema="BPMN 2.0 or DMN", reason=REASON),
    "not_dmn": _code("not a DMN 1.1, 1.2 or 1.3 file (namespace {namespace!r})", namespace="the root's namespace"),
    "spiff_refused": _code("{reason}", reason="SpiffWorkflow's parser's wording"),
    "spiff_cannot_parse": _code("SpiffWorkflow cannot parse the model: {error}", error="the exception, as repr"),
    # process.yaml (manifest.py, validate.py, crossref.py, display.py, duties.py, roles.py).
    "manifest_missing": _code("the package has no process.yaml"),
    "manifest_not_mapping": _code("process.yaml must be a mapping (key: ..., process_id: ...)"),
    "model_file_missing": _code("{path} does not exist", path="the path listed"),
    "no_bpmn_file": _code("the package has no .bpmn file"),
    "process_not_executable": _code('process is marked isExecutable="false": tick Executable in the modeler'),
    "no_process": _code("no process with id {process!r} in {files}", process="process_id",
                        files="the .bpmn files, comma-separated"),
    "lane_no_role": _code("lane {lane!r} has no role: add it under lanes: in process.yaml", lane="lane name or id"),
    "lane_unknown": _code("no lane named {lane!r} (or with that id) in the BPMN", lane="the key written"),
    "task_entry_incomplete": _code("user task {task!r} has no {key}", task="BPMN id", key="form or due"),
    "manifest_expression_not_compiling": _code("does not compile: {reason}", reason=REASON),
    "task_no_entry": _code("user task has no entry under tasks: in process.yaml (it needs a form and due)"),
    "task_nobody": _code("user task is in no lane and its entry in process.yaml names neither role nor assignee"),
    "task_unknown": _code("no user task with id {task!r} in the BPMN", task="the key written"),
    "searchable_unwritten": _code("field {field!r} is written by no form, script or decision", field="field name"),
    "unique_not_start_field": _code("field {field!r} is not a field of the start form", field="field name"),
    "unique_not_searchable": _code("field {field!r} must also be searchable", field="field name"),
    "unique_field_not_listed": _code("field {field!r} is not one of unique.fields", field="field name"),
    "schedule_missing": _code("a timer start event needs schedule: in process.yaml "
                              "(as: who scheduled cases are started as)"),
    "schedule_without_timer": _code("schedule: is given but the process has no timer start event"),
    "schedule_needs_plain_start": _code("a process with a timer start event also needs a plain start event: "
                                        "opsflow starts every case, scheduled ones too, through it"),
    "names_unknown_element": _code("no BPMN element has the id {key!r}", key="the key written"),
    "repeated_not_multi": _code("{key!r} is not a multi-instance task or sub-process of the diagram",
                                key="the key written"),
    "repeated_template_invalid": _code("template does not compile: {reason}", reason=REASON),
    "duties_not_user_task": _code("{key!r} is not a user task of this process (separate_duties names steps)",
                                  key="the key written"),
    "role_unknown": _code("role {role!r} is not a role of {where}", role="role key",
                          where="which organisation (English: 'the loaded organisation' or a file)"),
    # Forms (forms.py, formrules.py, instructions.py).
    "form_not_mapping": _code("a form must be a mapping with title, instructions and schema"),
    "form_schema_invalid": _code("not a valid JSON Schema: {reason}", reason=REASON),
    "field_no_label": _code("field has no x-label with both en and zh-Hant"),
    "unknown_widget": _code("x-widget {widget!r} is not one of {widgets}", widget="the widget written",
                            widgets="the widgets there are, comma-separated"),
    "widget_misfit": _code("x-widget {widget!r} does not fit this field: it is for {fits}", widget="the widget written",
                           fits="the fields it fits, in English words (engine/formfields.py)"),
    "unknown_form_keyword": _code("{keyword} is not a form keyword opsflow knows", keyword="the x- keyword written"),
    "form_file_missing": _code("form file {path} does not exist", path="the path written"),
    "choices_not_expression": _code("x-choices-from is not an expression"),
    "choices_not_compiling": _code("x-choices-from {reason}", reason=REASON),
    "rule_field_unknown": _code("field {field!r} is not a field of this form's schema", field="the field path"),
    "rule_not_compiling": _code("{reason}", reason=REASON),
    "instructions_syntax": _code("{language} instructions are not a valid Jinja2 template: line {line} of the "
                                 "template: {reason}", language="en or zh-Hant", line="line in the template",
                                 reason="Jinja's wording"),
    # The model: expressions, scripts, timers (expressions.py, timers.py).
    "not_compiling": _code("{what} does not compile: {reason}", what=WHAT, reason=REASON),
    "script_task_empty": _code("script task has no script"),
    "timer_empty": _code("{timer}: timer has no expression", timer="timeDuration, timeDate or timeCycle"),
    "timer_not_iso_or_expression": _code("{timer}: timer is neither ISO 8601 nor an allowed expression: {reason}",
                                         timer="timeDuration, timeDate or timeCycle", reason=REASON),
    "timer_not_string": _code("{timer}: timer {source} is not an ISO 8601 string",
                              timer="timeDuration, timeDate or timeCycle", source="the timer's text"),
    "timer_not_duration": _code("{timer}: {value!r} is not an ISO 8601 duration such as PT5M or P2D",
                                timer="timeDuration, timeDate or timeCycle", value=VALUE),
    "timer_not_date": _code("{timer}: {value!r} is not an ISO 8601 date-time such as 2026-12-01T09:00:00Z",
                            timer="timeDuration, timeDate or timeCycle", value=VALUE),
    "timer_no_zone": _code("{timer}: date-time {value!r} has no time zone: end it with Z or an offset such as "
                           "+08:00", timer="timeDuration, timeDate or timeCycle", value=VALUE),
    "timer_not_cycle": _code("{timer}: {value!r} is not an ISO 8601 cycle such as R3/PT10M or "
                             "R/2026-12-01T09:00:00Z/P1D", timer="timeDuration, timeDate or timeCycle", value=VALUE),
    # The graph (checks.py).
    "flow_bad_source": _code("sequence flow starts at {node!r}, which is not a node of this {container}",
                             node="the id written", container=WHAT),
    "flow_bad_target": _code("sequence flow leads to {node!r}, which is not a node of this {container}",
                             node="the id written", container=WHAT),
    "boundary_bad_attachment": _code("boundary event is attached to {node!r}, which is not a node of this "
                                     "{container}", node="the id written", container=WHAT),
    "node_unreachable": _code("{what} has no incoming sequence flow, so it can never be reached", what=WHAT),
    "default_flow_elsewhere": _code("default flow {flow!r} does not leave this gateway", flow="the id written"),
    "gateway_no_default": _code("{what} has neither a default flow nor conditions on all outgoing flows", what=WHAT),
    "flow_without_condition": _code("flow leaves gateway {gateway!r} without a condition and is not its default",
                                    gateway="the gateway's id"),
    "message_no_ref": _code("{what} has no messageRef: name the message it sends or waits for", what=WHAT),
    "message_unknown": _code("{what} refers to message {message!r}, which is not defined", what=WHAT,
                             message="the id written"),
    "call_no_element": _code("call activity names no calledElement"),
    "call_unknown_process": _code("call activity calls process {process!r}, which is not in this package",
                                  process="the id written"),
    # Decisions (decisions.py).
    "dmn_input_no_expression": _code("input has no expression"),
    "dmn_output_no_name": _code("output has no name: it names the variable set"),
    "dmn_rule_entries": _code("rule has {inputs} input and {outputs} output entries but the table has "
                              "{table_inputs} inputs and {table_outputs} outputs", inputs="the rule's inputs",
                              outputs="the rule's outputs", table_inputs="the table's inputs",
                              table_outputs="the table's outputs"),
    "dmn_entry_not_compiling": _code("{what} entry {entry!r} does not compile: {reason}", what="input or output",
                                     entry="the entry's text", reason=REASON),
    "dmn_no_rules": _code("decision table has no rules"),
    "dmn_decision_count": _code("a DMN file must hold exactly one decision, not {count}", count="decisions found"),
    "dmn_duplicate_decision": _code("another DMN file has a decision with this id"),
    "dmn_no_table": _code("decision has no decision table"),
    "business_rule_no_decision": _code("business rule task names no decision (spiffworkflow:calledDecisionId)"),
    "business_rule_unknown_decision": _code("business rule task calls decision {decision!r}, which is in no DMN "
                                            "file of this package", decision="the id written"),
    # Case data read where nothing sets it (references.py).
    "name_unset": _code(f"{{what}} reads {{name!r}}, {UNSET}", what=WHAT, name="the name read"),
    "name_unset_org_function": _code(f"{{what}} reads {{name!r}}, {UNSET}; {{name}}() works only in process.yaml "
                                     "expressions", what=WHAT, name="the organisation function's name"),
    "schedule_reads_data": _code("expression reads {name!r}, but a scheduled start has no case data yet: only the "
                                 "organisation functions are known", name="the name read"),
    "instructions_name_unset": _code(f"{{language}} instructions read {{name!r}}, {UNSET}", language="en or zh-Hant",
                                     name="the name read"),
    "start_instructions_read_data": _code("{language} instructions read {name!r}, but start-form instructions are "
                                          "shown before any data", language="en or zh-Hant", name="the name read"),
    "rule_name_unset": _code(f"reads {{name!r}}, {UNSET}", name="the name read"),
    # The organisation file (engine/org.py).
    "org_file_too_large": _code("refused: {size} is over the limit of {limit} for an organisation file", size=SIZE,
                                limit=SIZE),
    "org_unreadable": _code("cannot be read: {reason}", reason="the system's reason"),
    "org_not_mapping": _code("an organisation file must be a mapping of departments, roles and users"),
    "org_declared_twice": _code("{key} {value!r} is declared twice", key="username or key", value=VALUE),
    "org_manager_unknown": _code("manager {manager!r} is not a user", manager="the username written"),
    "org_department_unknown": _code("department {department!r} is not declared", department="the key written"),
    "org_role_unknown": _code("role {role!r} is not declared", role="the key written"),
    "org_head_unknown": _code("head {head!r} is not a user", head="the username written"),
}

CODES = {**FIELD_CODES, **REFUSAL_CODES, **SYSTEM_CODES, **SCRIPT_CODES, **SCHEMA_WORDING_CODES, **PACKAGE_CODES}


def fields_of(template: str) -> dict[str, str]:
    """{name: format spec} of every replacement field in an English template."""
    return {name: spec or "" for _text, name, spec, _conversion in string.Formatter().parse(template)
            if name is not None}


def render(code: str, params: Mapping[str, Any]) -> str:
    """The English sentence of `code` with `params`; ValueError for an unknown code or other parameters."""
    entry = CODES.get(code)
    if entry is None:
        raise ValueError(f"unknown error code {code!r}: add it to engine/error_codes.py")
    if set(params) != set(entry.params):
        raise ValueError(f"error code {code!r} takes the parameters {sorted(entry.params)}, not {sorted(params)}")
    return entry.template.format(**params)
