"""The engine's errors in the reader's language, by code (engine/error_codes.py lists every code).

Each code has one text here with %(param)s placeholders; a datetime parameter is shown in the
reader's zone, a username as the person's name, a number with the format its English uses. A
package's own rule message carries its languages and is picked, not translated.
"""
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from engine.error_codes import CODES, USERNAME_PARAMS, fields_of
from webui.i18n import package_language, when
from webui.names import person

FIELD_TEXTS = {
    "required": _l("this field is required"),
    "choose_offered": _l("choose one of the offered values"),
    "enter_date": _l("enter a date (YYYY-MM-DD)"),
    "enter_date_time": _l("enter a date and a time"),
    "enter_email": _l("enter an e-mail address"),
    "invalid_format": _l("not a valid %(format)s"),
    "enter_whole_number": _l("enter a whole number"),
    "enter_number": _l("enter a number"),
    "enter_text": _l("enter text"),
    "enter_yes_no": _l("answer yes or no"),
    "enter_list": _l("give a list"),
    "enter_group": _l("fill in the group"),
    "min_length": _l("must be at least %(n)s characters"),
    "max_length": _l("must be at most %(n)s characters"),
    "minimum": _l("must be at least %(n)s"),
    "maximum": _l("must be at most %(n)s"),
    "exclusive_minimum": _l("must be more than %(n)s"),
    "exclusive_maximum": _l("must be less than %(n)s"),
    "min_items": _l("needs at least %(n)s entries"),
    "max_items": _l("takes at most %(n)s entries"),
    "pattern": _l("does not have the expected form"),
    "unique_items": _l("lists the same entry twice"),
    "schema_rule": _l("does not fit the form: %(reason)s"),
    "form_not_object": _l("form data must be an object of field values"),
    "not_storable": _l("cannot be stored: %(reason)s"),
    "form_rule": _l("%(message)s"),
    "wrong_password": _l("is not your current password"),
    "password_length": _l("must be %(low)s to %(high)s characters"),
    "password_unchanged": _l("must differ from your current password"),
    "not_one_of": _l("is not one of %(choices)s"),
    "hours_out_of_range": _l("must be 0 to %(most)s hours"),
    "not_a_priority": _l("is not a priority from 1 (urgent) to 4 (low)"),
    "search_not_mapping": _l("must map field names to values"),
    "search_value_kind": _l("give text, a range {min, max} or a list of codes"),
    "unknown_bound": _l("unknown bound %(bound)s; use min and max"),
    "not_whole_number": _l("is not a whole number"),
    "not_a_number": _l("is not a number"),
    "name_length": _l("must be 1 to %(most)s characters"),
    "text_too_long": _l("must be text of at most %(most)s characters"),
    "expiry_not_future": _l("must be in the future"),
    "uploads_waiting": _l("%(count)s of your uploads wait for a form already; submit it first"),
    "file_too_large": _l("is larger than %(mb)s MB"),
    "file_empty": _l("is empty"),
    "unknown_attachment": _l("unknown attachment: upload the file again"),
    "comment_empty": _l("write a comment first"),
    "draft_not_object": _l("must be an object of field values"),
    "draft_too_large": _l("is %(size)s KiB; a draft may hold at most %(most)s KiB"),
}

REFUSAL_TEXTS = {
    "start_forbidden": _l("You may not start this procedure."),
    "task_claimed": _l("%(user)s has already claimed this task."),
    "separation_of_duties": _l("You may not do this step of case #%(case)s: the procedure keeps it apart from what "
                               "you requested or did."),
    "task_assigned_to_other": _l("This task is assigned to someone else."),
    "role_not_held": _l("This task belongs to a role you do not hold."),
    "not_a_candidate": _l("This task is for people the procedure names, and you are not one of them."),
    "task_not_claimed": _l("You have not claimed this task."),
    "no_one_else": _l("Nobody else may do this task, so it stays with you."),
    "no_user": _l("There is no user %(user)s."),
    "no_active_user": _l("There is no active user %(user)s."),
    "not_eligible": _l("%(user)s may not do this step of case #%(case)s: choose someone from the list."),
    "not_supervisor": _l("Only a supervisor of the procedure may reassign its tasks."),
    "cancel_forbidden": _l("Only the person who started case #%(case)s or a supervisor of the procedure may "
                           "cancel it."),
    "user_inactive": _l("Your account is not active."),
    "no_task": _l("There is no task %(task)s."),
    "no_open_task": _l("There is no open task %(task)s."),
    "no_case": _l("There is no case #%(case)s."),
    "no_procedure": _l("No procedure %(procedure)s is deployed."),
    "no_version": _l("Procedure %(procedure)s has no version %(version)s."),
    "no_definition": _l("Definition %(definition)s does not exist."),
    "no_attachment": _l("There is no attachment %(attachment)s."),
    "attachment_file_missing": _l("The file of this attachment is missing; tell the administrator."),
    "no_saved_filter": _l("There is no saved filter %(filter)s."),
    "no_api_token": _l("You have no API token %(token)s."),
    "no_incident": _l("Case #%(case)s has no incident %(incident)s."),
    "incident_id_not_number": _l("There is no incident %(incident)s: an incident id is a number."),
    "incident_forbidden": _l("Only a supervisor of the procedure may retry its incidents."),
    "task_not_waiting": _l("This task is no longer waiting; reload the case."),
    "case_finished": _l("Case #%(case)s is already %(status)s."),
    "case_cancelled": _l("Case #%(case)s was cancelled, so this task can no longer be done. Nothing you entered "
                         "was saved."),
    "task_done": _l("This task was already completed by %(user)s at %(at)s. Nothing you entered was saved."),
    "task_closed": _l("This task of case #%(case)s is no longer open."),
    "task_changed": _l("The task changed meanwhile; reload it."),
    "case_changed": _l("Someone changed case #%(case)s at the same moment; reload it and try again."),
    "task_not_stuck": _l("Someone may take this task already; reassign it instead."),
    "case_closed_for_files": _l("Case #%(case)s is %(status)s; files can no longer be added."),
    "attachment_taken": _l("The file was used by another form meanwhile; upload it again."),
    "filter_name_taken": _l("A filter named %(name)s was saved meanwhile; try again."),
    "incident_case_closed": _l("Case #%(case)s is %(status)s; only a running case's incident can be retried."),
    "incident_retried": _l("%(user)s has already retried this incident of case #%(case)s."),
    "incident_pending": _l("This incident's timer is already waiting for the worker."),
    "incident_timer_gone": _l("The step this incident held has ended; there is nothing to retry."),
    "timer_fired": _l("The timer has fired already."),
    "deploy_race": _l("Other deploys of the same procedures kept saving versions at the same moment; deploy again."),
    "form_invalid": _l("Some fields need attention: %(summary)s"),
    "package_invalid": _l("The process package has problems:\n%(problems)s"),
    "org_invalid": _l("The organisation file has problems:\n%(problems)s"),
}

SYSTEM_TEXTS = {
    "database_busy": _l("The database stayed busy with other people's changes for %(seconds)s seconds. Nothing was "
                        "saved; try again in a moment."),
    "database_lock_timeout": _l("The database stayed busy with other people's changes. Nothing was saved; try again "
                                "in a moment."),
    "write_conflict": _l("Someone saved a change to the same data at the same moment; reload and try again."),
    "no_schema": _l("The database %(database)s has no opsflow schema; run `opsflow init`."),
    "old_schema": _l("The database %(database)s is at schema revision %(current)s, this opsflow needs %(needed)s; "
                     "run `opsflow init` to upgrade it."),
    "database_unreachable": _l("Cannot use the database %(database)s: %(reason)s. Check OPSFLOW_DATABASE_URL and "
                               "that the database server is running."),
    "unknown_driver": _l("Unknown database driver %(driver)s in OPSFLOW_DATABASE_URL."),
    "not_a_database_url": _l("OPSFLOW_DATABASE_URL is not a database URL."),
    "driver_missing": _l("The database driver %(driver)s is not installed."),
    "sqlite_folder_missing": _l("The folder %(folder)s of the SQLite database in OPSFLOW_DATABASE_URL does not "
                                "exist; create it or fix the URL."),
    "secret_key_missing": _l("OPSFLOW_SECRET_KEY is not set; it signs every session, so it must be a long random "
                             "secret."),
    "secret_key_published": _l("OPSFLOW_SECRET_KEY is the published demo key; it signs every session, so it must be "
                               "a long random secret."),
    "secret_key_short": _l("OPSFLOW_SECRET_KEY is shorter than %(least)s characters; it signs every session, so it "
                           "must be a long random secret."),
    "setting_not_integer": _l("%(name)s=%(value)s is not an integer."),
    "setting_not_number": _l("%(name)s=%(value)s is not a number."),
    "bad_timezone": _l("OPSFLOW_TIMEZONE %(zone)s is not an IANA time zone such as Asia/Taipei."),
    "no_such_user": _l("There is no user %(user)s."),
    "export_folder_not_empty": _l("%(folder)s is not empty; export into a new or empty folder."),
    "export_not_a_folder": _l("%(folder)s exists and is not a folder."),
}

SCRIPT_TEXTS = {
    "sandbox_not_started": _l("the sandbox process did not start"),
    "script_memory": _l("used more than %(mb)s MB of memory"),
    "script_time": _l("ran longer than %(seconds)s seconds"),
    "sandbox_ended": _l("the sandbox process ended (it ran out of time or memory)"),
    "result_too_large": _l("the result is larger than %(most)s bytes"),
    "result_not_plain": _l("the result is not a plain value: %(reason)s"),
    "result_not_value": _l("the result is not a value: %(reason)s"),
    "script_exception": _l("the procedure's code failed: %(exception)s: %(detail)s"),
    "calls_too_deep": _l("the procedure's code nested its calls too deeply"),
    "host_call_failed": _l("%(function)s() failed: %(exception)s: %(detail)s"),
    "script_data_limit": _l("the script wrote %(written)s bytes of case data, more than the limit of %(limit)s"),
    "sequence_too_long": _l("repeating a sequence of %(length)s %(times)s times is more than %(most)s items"),
    "product_too_large": _l("a product of more than %(most)s bits is not allowed"),
    "power_too_large": _l("a power of about %(digits)s digits is more than %(most)s bits"),
    "shift_too_large": _l("shifting by %(shift)s bits is more than %(most)s bits"),
    "range_too_long": _l("a range of more than %(most)s numbers is not allowed"),
    "expression_refused": _l("expression %(source)s is not allowed: %(reasons)s"),
    "script_syntax": _l("script, line %(line)s: %(reason)s"),
    "script_import": _l("script, line %(line)s: imports are not allowed"),
    "script_refused": _l("the script is not allowed: %(reasons)s"),
    "step_failed": _l("Step %(step)s failed: %(reason)s"),
    "workflow_failed": _l("The procedure failed: %(reason)s"),
    "case_unloadable": _l("Case #%(case)s could not be loaded: %(reason)s"),
    "rule_failed": _l("Rule %(number)s of form %(form)s on %(field)s (%(check)s) cannot be evaluated: %(reason)s"),
}

SCHEMA_WORDING_TEXTS = {
    "not_package_key": _l("%(value)s is not a package key: use lower-case letters, digits and dashes"),
    "not_bpmn_id": _l("%(value)s is not a BPMN id"),
    "not_bpmn_file": _l("%(value)s is not a .bpmn file"),
    "not_dmn_file": _l("%(value)s is not a .dmn file"),
    "not_field_name": _l("%(value)s is not a field name"),
    "not_role_key": _l("%(value)s is not a role key: use lower-case letters, digits and dashes"),
    "not_relative_path": _l("%(value)s is not a relative path inside the package"),
    "not_form_file": _l("%(value)s is not a form file: forms/<name>.yaml"),
    "not_duration": _l("%(value)s is not an ISO 8601 duration such as P2D or PT4H"),
    "not_due": _l("%(value)s is not an ISO 8601 duration such as P2D or PT4H (nor {expression: ...})"),
    "not_priority": _l("%(value)s is not a priority from 1 (urgent) to 4 (low) (nor {expression: ...})"),
    "not_field_type": _l("%(value)s is not one of string, number, integer, date, boolean"),
    "not_choice_labels": _l("%(value)s should map each stored code to its label {en, zh-Hant}"),
    "not_boolean": _l("%(value)s should be true or false"),
    "schema_not_object": _l("%(value)s is not object: a form's schema describes an object of fields"),
}

PACKAGE_TEXTS = {
    "no_manifest_here": _l("no process.yaml in this folder"),
    "no_packages_here": _l("no process package here: neither a process.yaml nor sub-folders holding one"),
    "file_too_large_for_package": _l("refused: %(size)s is over the limit of %(limit)s per file"),
    "package_too_large": _l("refused: the package's files hold %(size)s, over the limit of %(limit)s per package"),
    "too_many_files": _l("refused: %(count)s files, over the limit of %(limit)s per package"),
    "not_utf8": _l("not UTF-8 text: %(reason)s"),
    "yaml_alias_loop": _l("refused: alias *%(anchor)s repeats the mapping or list that holds it"),
    "yaml_too_deep": _l("refused: nested deeper than the limit of %(most)s levels"),
    "yaml_too_many_values": _l("refused: more than the limit of %(most)s values once its aliases are expanded"),
    "yaml_invalid": _l("not valid YAML: %(reason)s"),
    "schema_mismatch": _l("does not fit the file's schema: %(reason)s"),
    "xml_not_well_formed": _l("not well-formed XML: %(reason)s"),
    "xml_doctype": _l("refused: a DOCTYPE (DTD or entity declarations) is not allowed in a model file"),
    "xml_too_many_elements": _l("refused: more than the limit of %(most)s elements in one file"),
    "xml_too_deep": _l("refused: elements nested deeper than the limit of %(most)s levels"),
    "xsd_violation": _l("not allowed by the %(schema)s schema: %(reason)s"),
    "not_dmn": _l("not a DMN 1.1, 1.2 or 1.3 file (namespace %(namespace)s)"),
    "spiff_refused": _l("SpiffWorkflow refuses the model: %(reason)s"),
    "spiff_cannot_parse": _l("SpiffWorkflow cannot parse the model: %(error)s"),
    "manifest_missing": _l("the package has no process.yaml"),
    "manifest_not_mapping": _l("process.yaml must be a mapping (key: ..., process_id: ...)"),
    "model_file_missing": _l("%(path)s does not exist"),
    "no_bpmn_file": _l("the package has no .bpmn file"),
    "process_not_executable": _l('process is marked isExecutable="false": tick Executable in the modeler'),
    "no_process": _l("no process with id %(process)s in %(files)s"),
    "lane_no_role": _l("lane %(lane)s has no role: add it under lanes: in process.yaml"),
    "lane_unknown": _l("no lane named %(lane)s (or with that id) in the BPMN"),
    "task_entry_incomplete": _l("user task %(task)s has no %(key)s"),
    "manifest_expression_not_compiling": _l("does not compile: %(reason)s"),
    "task_no_entry": _l("user task has no entry under tasks: in process.yaml (it needs a form and due)"),
    "task_nobody": _l("user task is in no lane and its entry in process.yaml names neither role nor assignee"),
    "task_unknown": _l("no user task with id %(task)s in the BPMN"),
    "searchable_unwritten": _l("field %(field)s is written by no form, script or decision"),
    "unique_not_start_field": _l("field %(field)s is not a field of the start form"),
    "unique_not_searchable": _l("field %(field)s must also be searchable"),
    "unique_field_not_listed": _l("field %(field)s is not one of unique.fields"),
    "schedule_missing": _l("a timer start event needs schedule: in process.yaml (as: who scheduled cases are "
                           "started as)"),
    "schedule_without_timer": _l("schedule: is given but the process has no timer start event"),
    "schedule_needs_plain_start": _l("a process with a timer start event also needs a plain start event: opsflow "
                                     "starts every case, scheduled ones too, through it"),
    "names_unknown_element": _l("no BPMN element has the id %(key)s"),
    "repeated_not_multi": _l("%(key)s is not a multi-instance task or sub-process of the diagram"),
    "repeated_template_invalid": _l("template does not compile: %(reason)s"),
    "duties_not_user_task": _l("%(key)s is not a user task of this process (separate_duties names steps)"),
    "role_unknown": _l("role %(role)s is not a role of %(where)s"),
    "form_not_mapping": _l("a form must be a mapping with title, instructions and schema"),
    "form_schema_invalid": _l("not a valid JSON Schema: %(reason)s"),
    "field_no_label": _l("field has no x-label with both en and zh-Hant"),
    "unknown_widget": _l("x-widget %(widget)s is not one of %(widgets)s"),
    "widget_misfit": _l("x-widget %(widget)s does not fit this field: it is for %(fits)s"),
    "unknown_form_keyword": _l("%(keyword)s is not a form keyword opsflow knows"),
    "form_file_missing": _l("form file %(path)s does not exist"),
    "choices_not_expression": _l("x-choices-from is not an expression"),
    "choices_not_compiling": _l("x-choices-from does not compile: %(reason)s"),
    "rule_field_unknown": _l("field %(field)s is not a field of this form's schema"),
    "rule_not_compiling": _l("the rule does not compile: %(reason)s"),
    "instructions_syntax": _l("%(language)s instructions are not a valid Jinja2 template: line %(line)s of the "
                              "template: %(reason)s"),
    "not_compiling": _l("%(what)s does not compile: %(reason)s"),
    "script_task_empty": _l("script task has no script"),
    "timer_empty": _l("%(timer)s: timer has no expression"),
    "timer_not_iso_or_expression": _l("%(timer)s: timer is neither ISO 8601 nor an allowed expression: %(reason)s"),
    "timer_not_string": _l("%(timer)s: timer %(source)s is not an ISO 8601 string"),
    "timer_not_duration": _l("%(timer)s: %(value)s is not an ISO 8601 duration such as PT5M or P2D"),
    "timer_not_date": _l("%(timer)s: %(value)s is not an ISO 8601 date-time such as 2026-12-01T09:00:00Z"),
    "timer_no_zone": _l("%(timer)s: date-time %(value)s has no time zone: end it with Z or an offset such as "
                        "+08:00"),
    "timer_not_cycle": _l("%(timer)s: %(value)s is not an ISO 8601 cycle such as R3/PT10M or "
                          "R/2026-12-01T09:00:00Z/P1D"),
    "flow_bad_source": _l("sequence flow starts at %(node)s, which is not a node of this %(container)s"),
    "flow_bad_target": _l("sequence flow leads to %(node)s, which is not a node of this %(container)s"),
    "boundary_bad_attachment": _l("boundary event is attached to %(node)s, which is not a node of this "
                                  "%(container)s"),
    "node_unreachable": _l("%(what)s has no incoming sequence flow, so it can never be reached"),
    "default_flow_elsewhere": _l("default flow %(flow)s does not leave this gateway"),
    "gateway_no_default": _l("%(what)s has neither a default flow nor conditions on all outgoing flows"),
    "flow_without_condition": _l("flow leaves gateway %(gateway)s without a condition and is not its default"),
    "message_no_ref": _l("%(what)s has no messageRef: name the message it sends or waits for"),
    "message_unknown": _l("%(what)s refers to message %(message)s, which is not defined"),
    "call_no_element": _l("call activity names no calledElement"),
    "call_unknown_process": _l("call activity calls process %(process)s, which is not in this package"),
    "dmn_input_no_expression": _l("input has no expression"),
    "dmn_output_no_name": _l("output has no name: it names the variable set"),
    "dmn_rule_entries": _l("rule has %(inputs)s input and %(outputs)s output entries but the table has "
                           "%(table_inputs)s inputs and %(table_outputs)s outputs"),
    "dmn_entry_not_compiling": _l("%(what)s entry %(entry)s does not compile: %(reason)s"),
    "dmn_no_rules": _l("decision table has no rules"),
    "dmn_decision_count": _l("a DMN file must hold exactly one decision, not %(count)s"),
    "dmn_duplicate_decision": _l("another DMN file has a decision with this id"),
    "dmn_no_table": _l("decision has no decision table"),
    "business_rule_no_decision": _l("business rule task names no decision (spiffworkflow:calledDecisionId)"),
    "business_rule_unknown_decision": _l("business rule task calls decision %(decision)s, which is in no DMN file of "
                                         "this package"),
    "name_unset": _l("%(what)s reads %(name)s, which no form field, script or decision output sets"),
    "name_unset_org_function": _l("%(what)s reads %(name)s, which no form field, script or decision output sets; "
                                  "%(name)s() works only in process.yaml expressions"),
    "schedule_reads_data": _l("expression reads %(name)s, but a scheduled start has no case data yet: only the "
                              "organisation functions are known"),
    "instructions_name_unset": _l("%(language)s instructions read %(name)s, which no form field, script or decision "
                                  "output sets"),
    "start_instructions_read_data": _l("%(language)s instructions read %(name)s, but start-form instructions are "
                                       "shown before any data"),
    "rule_name_unset": _l("reads %(name)s, which no form field, script or decision output sets"),
    "org_file_too_large": _l("refused: %(size)s is over the limit of %(limit)s for an organisation file"),
    "org_unreadable": _l("cannot be read: %(reason)s"),
    "org_not_mapping": _l("an organisation file must be a mapping of departments, roles and users"),
    "org_declared_twice": _l("%(key)s %(value)s is declared twice"),
    "org_manager_unknown": _l("manager %(manager)s is not a user"),
    "org_department_unknown": _l("department %(department)s is not declared"),
    "org_role_unknown": _l("role %(role)s is not declared"),
    "org_head_unknown": _l("head %(head)s is not a user"),
}

TEXTS = {**FIELD_TEXTS, **REFUSAL_TEXTS, **SYSTEM_TEXTS, **SCRIPT_TEXTS, **SCHEMA_WORDING_TEXTS, **PACKAGE_TEXTS}


def _shown(name, value, spec):
    """One parameter as the reader sees it: a moment in their zone, a person's name, a number as in English."""
    if isinstance(value, datetime):
        return when(value if value.tzinfo else value.replace(tzinfo=UTC))
    if name in USERNAME_PARAMS and isinstance(value, str):
        return person(value)
    if spec and isinstance(value, (int, float)):
        return format(value, spec)
    return str(value)


def localize(error):
    """An engine error (or a field's FieldError) in the current language.

    A package's rule message picks the reader's language; a code gets its text; anything else (the web
    UI's own texts, such as a posted form's reading errors handed back with the engine's) reads as it is.
    """
    translations = getattr(error, "translations", None)
    if translations:
        return translations.get(package_language()) or str(error)
    code = getattr(error, "code", None)
    text = TEXTS.get(code) if isinstance(code, str) else None
    if text is None:
        return str(error)
    specs = fields_of(CODES[code].template)
    return str(text) % {name: _shown(name, value, specs.get(name)) for name, value in error.params.items()}


def localize_errors(errors):
    """A field -> message mapping with each message localized."""
    return {path: localize(message) for path, message in (errors or {}).items()}
