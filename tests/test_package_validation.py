"""Process packages: the minimal fixture loads, and each kind of broken package is reported, located."""
import shutil
from pathlib import Path

import pytest

from engine.definitions import (
    Problem,
    build_specs,
    find_packages,
    load_package,
    package_from_files,
    validate_package,
)
from engine.definitions.timers import quote_iso, timer_problem
from engine.errors import PackageError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = Path(__file__).resolve().parent / "packages"
MINIMAL = PACKAGES / "minimal"
PROCUREMENT = ROOT / "processes" / "procurement"


def altered(tmp_path, *edits):
    """A copy of the minimal package with (file, old, new) edits; old=None writes the whole file."""
    folder = tmp_path / "minimal"
    shutil.copytree(MINIMAL, folder)
    for name, old, new in edits:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if old is None:
            path.write_text(new, encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def problems_of(folder):
    """The problems load_package reports for a folder (it must refuse it)."""
    with pytest.raises(PackageError) as caught:
        load_package(folder)
    return caught.value.problems


def line_of(folder, name, marker):
    """The line of the first occurrence of `marker` in a package file."""
    lines = (folder / name).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if marker in line)


BPMN, DMN, YAML = "minimal.bpmn", "review-level.dmn", "process.yaml"
APPROVAL, REVISION, REQUEST = "forms/approval.yaml", "forms/revision.yaml", "forms/request.yaml"
SCRIPT = '<bpmn:script>approval_status = "approved"</bpmn:script>'
CONDITION = 'decision == "approve"</bpmn:conditionExpression>'
TIMER = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3D</bpmn:timeDuration>'
TIMER_DEFINITION = '<bpmn:timerEventDefinition id="timer_expired_definition">'
RECORDED = '<bpmn:sequenceFlow id="flow_recorded"'
EXTRA_FLOW = '<bpmn:sequenceFlow id="flow_extra" sourceRef="gw_decision" targetRef="end_revised" />\n    '
ITEMS = """    items:
      type: array
      x-label: {en: Items, zh-Hant: 品項}
      items:
        type: object
        properties:
          sku: {type: string}
"""

# id, edits, then the expected problem: file, element, words in its message, a marker on its line.
CASES = [
    ("malformed-xml", [(BPMN, SCRIPT, SCRIPT.replace("</bpmn:script>", "</bpmn:scrip>"))],
     BPMN, None, "not well-formed XML", "</bpmn:scrip>"),
    ("unknown-element", [(BPMN, '<bpmn:startEvent id="start"', ('<bpmn:frobnicate id="mystery" />\n'
                          '    <bpmn:startEvent id="start"'))],
     BPMN, "mystery", "BPMN 2.0 schema", "bpmn:frobnicate"),
    ("manifest-not-a-mapping", [(YAML, None, "- key\n- process_id\n")],
     YAML, None, "process.yaml must be a mapping", "- key"),
    ("manifest-missing-key", [(YAML, "owner_role: operations-manager\n", "")],
     YAML, None, "'owner_role' is a required property", "key: minimal"),
    ("manifest-wrong-type", [(YAML, "start_roles: [employee]", "start_roles: employee")],
     YAML, "start_roles", "is not of type 'array'", "start_roles:"),
    ("manifest-bad-duration", [(YAML, "due: P2D", "due: 2 days")],
     YAML, "tasks.approve.due", "'2 days' is not an ISO 8601 duration", "due: 2 days"),
    ("manifest-unknown-key", [(YAML, "owner_role: operations-manager", "owner_role: operations-manager\nowner: ops")],
     YAML, "owner", "Additional properties are not allowed", "owner: ops"),
    ("manifest-file-missing", [(YAML, "lanes:", "files: {bpmn: [other.bpmn]}\nlanes:")],
     YAML, "files.bpmn[0]", "other.bpmn does not exist", "files:"),
    ("process-id-not-found", [(YAML, "process_id: minimal", "process_id: minimal_typo")],
     YAML, "process_id", "no process with id 'minimal_typo'", "process_id:"),
    ("process-not-executable", [(BPMN, 'isExecutable="true"', 'isExecutable="false"')],
     BPMN, "minimal", 'isExecutable="false"', '<bpmn:process id="minimal"'),
    ("lane-without-role", [(YAML, "  Approver: department-head\n", "")],
     BPMN, "lane_approver", "lane 'Approver' has no role", 'id="lane_approver"'),
    ("user-task-without-entry", [(YAML, "  revise:", "  revised:")],
     BPMN, "revise", "user task has no entry under tasks", '<bpmn:userTask id="revise"'),
    ("user-task-without-form", [(YAML, "    form: forms/revision.yaml\n", "")],
     YAML, "revise", "user task 'revise' has no form", "  revise:"),
    ("user-task-without-due", [(YAML, "    due: P5D\n", "")],
     YAML, "revise", "user task 'revise' has no due", "  revise:"),
    ("user-task-nobody-can-do", [(BPMN, "<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", ""),
                                 (YAML, "    assignee: manager_of(starter)\n", "")],
     BPMN, "approve", "in no lane and its entry in process.yaml names neither role nor assignee",
     '<bpmn:userTask id="approve"'),
    ("form-missing", [(YAML, "start_form: forms/request.yaml", "start_form: forms/missing.yaml")],
     YAML, "start_form", "form file forms/missing.yaml does not exist", "start_form:"),
    ("form-not-yaml", [("forms/request.yaml", "title: {en: New request, zh-Hant: 新申請}", "title: {en: [")],
     "forms/request.yaml", None, "not valid YAML", None),
    ("form-schema-invalid", [("forms/request.yaml", "type: number", "type: numbr")],
     "forms/request.yaml", "schema.properties.amount.type", "not a valid JSON Schema", "type: numbr"),
    ("form-label-not-bilingual", [("forms/request.yaml", "{en: Reason, zh-Hant: 理由}", "{en: Reason}")],
     "forms/request.yaml", "schema.properties.reason", "x-label with both en and zh-Hant", "reason:"),
    ("form-line-item-without-label", [("forms/request.yaml", "    reason:", ITEMS + "    reason:")],
     "forms/request.yaml", "schema.properties.items.items.properties.sku", "x-label", "sku:"),
    ("form-unknown-widget", [("forms/request.yaml", "x-widget: money", "x-widget: slider")],
     "forms/request.yaml", "schema.properties.amount.x-widget", "'slider' is not one of", "x-widget: slider"),
    ("gateway-flow-without-condition", [(BPMN, RECORDED, EXTRA_FLOW + RECORDED)],
     BPMN, "flow_extra", "without a condition and is not its default", 'id="flow_extra"'),
    ("gateway-without-default", [(BPMN, ' default="flow_rejected"', "")],
     BPMN, "gw_decision", "neither a default flow nor conditions on all outgoing flows", 'id="gw_decision"'),
    ("condition-syntax-error", [(BPMN, CONDITION, 'decision == </bpmn:conditionExpression>')],
     BPMN, "flow_approved", "condition does not compile", 'id="flow_approved"'),
    ("condition-dunder", [(BPMN, CONDITION, 'decision.__class__ == str</bpmn:conditionExpression>')],
     BPMN, "flow_approved", "__class__", 'id="flow_approved"'),
    ("script-import", [(BPMN, SCRIPT, "<bpmn:script>import os\nos.getcwd()</bpmn:script>")],
     BPMN, "record_approval", "imports are not allowed", 'id="record_approval"'),
    ("timer-not-iso", [(BPMN, TIMER, TIMER.replace("P3D", "3 days"))],
     BPMN, "timer_expired", "timeDuration", 'id="timer_expired"'),
    ("timer-bad-duration", [(BPMN, TIMER, TIMER.replace("P3D", "P3X"))],
     BPMN, "timer_expired", "'P3X' is not an ISO 8601 duration", 'id="timer_expired"'),
    ("timer-naive-date", [(BPMN, TIMER, TIMER.replace("timeDuration", "timeDate").replace(
        "P3D", "2026-12-01T09:00:00"))],
     BPMN, "timer_expired", "has no time zone", 'id="timer_expired"'),
    ("node-without-incoming", [(BPMN, ('<bpmn:sequenceFlow id="flow_decided" sourceRef="decide_review" '
                                      'targetRef="approve" />'), "")],
     BPMN, "approve", "user task has no incoming sequence flow", '<bpmn:userTask id="approve"'),
    ("flow-to-unknown-node", [(BPMN, 'targetRef="end_revised"', 'targetRef="end_nowhere"')],
     BPMN, "flow_revised", "leads to 'end_nowhere', which is not a node", 'id="flow_revised"'),
    ("boundary-on-unknown-node", [(BPMN, 'attachedToRef="approve"', 'attachedToRef="approval"')],
     BPMN, "timer_expired", "attached to 'approval', which is not a node", 'id="timer_expired"'),
    ("message-without-ref", [(BPMN, TIMER_DEFINITION, ('<bpmn:messageEventDefinition id="m" />\n'
                              '      <bpmn:timerEventDefinition id="timer_expired_definition">'))],
     BPMN, "timer_expired", "boundary event has no messageRef", 'id="timer_expired"'),
    ("call-activity-target-missing", [
        (BPMN, '<bpmn:scriptTask id="record_approval" name="Record approval">',
         '<bpmn:callActivity id="record_approval" calledElement="bookkeeping">'),
        (BPMN, f"      {SCRIPT}\n    </bpmn:scriptTask>", "    </bpmn:callActivity>")],
     BPMN, "record_approval", "calls process 'bookkeeping', which is not in this package", 'id="record_approval"'),
    ("dmn-malformed", [(DMN, "</definitions>", "")],
     DMN, None, "not well-formed XML", None),
    ("dmn-without-rules", [(DMN, '<rule id="rule_large">', '<!-- <rule id="rule_large">'),
                           (DMN, "</decisionTable>", "-->\n    </decisionTable>")],
     DMN, "review_level_table", "decision table has no rules", 'id="review_level_table"'),
    ("dmn-input-entry", [(DMN, "&gt; 10000", "&gt; &gt; 10000")],
     DMN, "rule_large_amount", "input entry '> > 10000' does not compile", 'id="rule_large_amount"'),
    ("dmn-output-entry", [(DMN, '"full"', '"full')],
     DMN, "rule_large_level", "output entry '\"full' does not compile", 'id="rule_large_level"'),
    ("business-rule-without-decision", [(BPMN, "<spiffworkflow:calledDecisionId>review_level",
                                         "<spiffworkflow:calledDecisionId>")],
     BPMN, "decide_review", "names no decision", 'id="decide_review"'),
    ("business-rule-unknown-decision", [(BPMN, ">review_level<", ">review_levels<")],
     BPMN, "decide_review", "calls decision 'review_levels'", 'id="decide_review"'),
    ("assignee-does-not-compile", [(YAML, "assignee: manager_of(starter)", "assignee: manager_of(starter")],
     YAML, "tasks.approve.assignee", "does not compile", "assignee:"),
    ("escalate-to-does-not-compile", [(YAML, "escalate_to: manager_of(assignee)", "escalate_to: assignee.__class__")],
     YAML, "tasks.approve.on_breach.escalate_to", "__class__", "escalate_to:"),
    ("searchable-field-unknown", [(YAML, "- field: amount", "- field: total")],
     YAML, "searchable[0].field", "field 'total' is written by no form, script or decision", "field: total"),
    ("manifest-lane-unknown", [(YAML, "lanes:", "lanes:\n  Finance: finance")],
     YAML, "lanes.Finance", "no lane named 'Finance'", "Finance:"),
    ("manifest-task-unknown", [(YAML, "tasks:", "tasks:\n  pay: {form: forms/approval.yaml, due: P1D}")],
     YAML, "tasks.pay", "no user task with id 'pay'", "  pay:"),
    ("instructions-syntax-error-en", [(APPROVAL, "{{ reason }}: {{ amount }} TWD", "{{ reason }: {{ amount }} TWD")],
     APPROVAL, "instructions.en", "line 1 of the template: unexpected '}'", "  en:"),
    ("instructions-syntax-error-zh", [(REVISION, "退回：{{ comment }}", "退回：{% if comment %}{{ comment }}")],
     REVISION, "instructions.zh-Hant", "zh-Hant instructions are not a valid Jinja2 template: line 1", "  zh-Hant:"),
    ("instructions-read-unset-field", [(REVISION, "sent back: {{ comment }}", "sent back: {{ remark }}")],
     REVISION, "instructions.en", "en instructions read 'remark', which no form field", "  en:"),
    ("start-instructions-read-case-data", [(REQUEST, "Describe what you need", "Dear {{ starter_name }}, describe")],
     REQUEST, "instructions.en", "start-form instructions are shown before any data", "  en:"),
    ("condition-reads-unset-field", [(BPMN, CONDITION, 'decison == "approve"</bpmn:conditionExpression>')],
     BPMN, "flow_approved", "condition reads 'decison', which no form field, script or decision output sets",
     'id="flow_approved"'),
    ("condition-calls-org-function", [(BPMN, CONDITION, 'manager_of(starter) == "x"</bpmn:conditionExpression>')],
     BPMN, "flow_approved", "manager_of() works only in process.yaml expressions", 'id="flow_approved"'),
    ("script-reads-unset-field", [(BPMN, SCRIPT, "<bpmn:script>approval_status = verdict</bpmn:script>")],
     BPMN, "record_approval", "script reads 'verdict'", 'id="record_approval"'),
    ("timer-reads-unset-field", [(BPMN, TIMER, TIMER.replace("P3D", "reminder_delay"))],
     BPMN, "timer_expired", "timer reads 'reminder_delay'", 'id="timer_expired"'),
    ("dmn-input-reads-unset-field", [(DMN, "<text>amount</text>", "<text>amount_twd</text>")],
     DMN, "input_amount", "input expression reads 'amount_twd'", 'id="input_amount"'),
    ("assignee-reads-unset-field", [(YAML, "assignee: manager_of(starter)", "assignee: manager_of(requester)")],
     YAML, "tasks.approve.assignee", "expression reads 'requester'", "assignee:"),
    ("escalate-to-reads-unset-field", [(YAML, "escalate_to: manager_of(assignee)", "escalate_to: head_of(x)")],
     YAML, "tasks.approve.on_breach.escalate_to", "expression reads 'x'", "escalate_to:"),
    ("due-reads-unset-field", [(YAML, "due: P2D", "due: {expression: deadline}")],
     YAML, "tasks.approve.due.expression", "expression reads 'deadline'", "due:"),
    ("priority-reads-unset-field", [(YAML, "due: P2D", "due: P2D\n    priority: {expression: urgency}")],
     YAML, "tasks.approve.priority.expression", "expression reads 'urgency'", "priority:"),
    ("confidential-reads-unset-field", [(YAML, "lanes:", "confidential: {users: [reviewer]}\nlanes:")],
     YAML, "confidential.users[0]", "expression reads 'reviewer'", "confidential:"),
    ("spiff-structural-error", [
        (BPMN, '<bpmn:scriptTask id="record_approval" name="Record approval">',
         '<bpmn:serviceTask id="record_approval" name="Record approval">'),
        (BPMN, f"      {SCRIPT}\n    </bpmn:scriptTask>", "    </bpmn:serviceTask>")],
     BPMN, "record_approval", "must have an operator", 'id="record_approval"'),
]


@pytest.mark.parametrize(("edits", "file", "element", "words", "marker"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_package_is_refused_with_a_located_reason(tmp_path, edits, file, element, words, marker):
    folder = altered(tmp_path, *edits)
    problems = problems_of(folder)
    line = line_of(folder, file, marker) if marker else None
    wanted = [p for p in problems if p.file == f"minimal/{file}" and p.element == element and words in p.message]
    assert wanted, "\n".join(str(p) for p in problems)
    if line is not None:
        assert wanted[0].line == line, str(wanted[0])
    else:
        assert wanted[0].line is None or wanted[0].line >= 1


@pytest.mark.parametrize("edits", [
    [(YAML, "- field: amount", "- field: review_level"), (YAML, "- field: decision", "- field: approval_status")],
    [(BPMN, TIMER, TIMER.replace("timeDuration", "timeDate").replace("P3D", "2026-12-01T09:00:00+08:00"))],
    [(BPMN, TIMER, TIMER.replace("P3D", '"P3D"'))],
    [(BPMN, TIMER, TIMER.replace("P3D", '"P1D" if amount > 10000 else "P3D"'))],
    [(BPMN, CONDITION, 'decision == "approve" and starter != "" and all(c != "x" for c in reason)'
                       "</bpmn:conditionExpression>")],
    [(BPMN, SCRIPT, "<bpmn:script>parts = [part for part in reason.split()]\n"
                    'approval_status = "approved" if len(parts) else "empty"</bpmn:script>')],
    [(REVISION, "sent back: {{ comment }}", "sent back: {% for n in range(2) %}{{ n }}{% endfor %}{{ starter_name }}")],
    [(YAML, "assignee: manager_of(starter)", "assignee: head_of(department_of(starter)) or review_level")],
], ids=["searchable-computed-fields", "timer-zoned-date", "timer-already-quoted", "timer-expression",
        "condition-engine-names-and-locals", "script-own-names", "instructions-loop-and-engine-names",
        "assignee-org-functions-and-decision-output"])
def test_valid_variants_load(tmp_path, edits):
    assert load_package(altered(tmp_path, *edits)).key == "minimal"


def test_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(PackageError) as caught:
        load_package(tmp_path)
    assert caught.value.problems[0].message == "no process.yaml in this folder"


def test_every_problem_is_reported_at_once(tmp_path):
    folder = altered(tmp_path, (YAML, "due: P2D", "due: 2 days"), (BPMN, ' default="flow_rejected"', ""),
                     (DMN, '"full"', '"full'), ("forms/request.yaml", "{en: Reason, zh-Hant: 理由}", "{en: Reason}"))
    files = {problem.file for problem in problems_of(folder)}
    assert files == {f"minimal/{name}" for name in (YAML, BPMN, DMN, "forms/request.yaml")}


def test_minimal_package_loads_with_defaults_filled_in():
    package = load_package(MINIMAL)
    assert (package.key, package.process_id) == ("minimal", "minimal")
    assert package.manifest["files"] == {"bpmn": ["minimal.bpmn"], "dmn": ["review-level.dmn"]}
    assert package.manifest["supervisor_roles"] == ["operations-manager"]
    assert package.start_form()["title"]["en"] == "New request"
    assert package.form_for("approve")["schema"]["required"] == ["decision"]
    assert package.task("approve")["due"] == "P2D"
    assert package.task("record_approval") == {} and package.form_for("record_approval") is None
    assert validate_package(package) == []


def test_content_hash_is_stable_and_follows_content(tmp_path):
    first, second = load_package(MINIMAL), load_package(MINIMAL)
    assert first.content_hash == second.content_hash and len(first.content_hash) == 64
    changed = load_package(altered(tmp_path, ("forms/revision.yaml", "Note", "Remark")))
    assert changed.content_hash != first.content_hash


def test_scenarios_and_hidden_files_are_not_part_of_a_version(tmp_path):
    folder = altered(tmp_path, ("scenarios/happy.yaml", None, "name: happy\n"), (".DS_Store", None, "x"))
    package = load_package(folder)
    assert not any(path.startswith(("scenarios/", ".")) for path in package.files)
    assert package.content_hash == load_package(MINIMAL).content_hash


def test_package_rebuilt_from_its_files_equals_the_original():
    original = load_package(MINIMAL)
    rebuilt = package_from_files(original.files)
    assert rebuilt == original
    assert rebuilt.origin == "<stored>"


def test_stored_package_problems_name_the_origin():
    files = dict(load_package(MINIMAL).files)
    files["process.yaml"] = files["process.yaml"].replace(b"due: P2D", b"due: soon")
    with pytest.raises(PackageError) as caught:
        package_from_files(files, origin="minimal@3")
    assert [p.file for p in caught.value.problems] == ["minimal@3/process.yaml"]


def test_build_specs_parses_the_process_once_with_timers_quoted():
    package = load_package(MINIMAL)
    spec, subprocess_specs = build_specs(package)
    assert spec.name == package.process_id and subprocess_specs == {}
    assert spec.task_specs["timer_expired"].event_definition.expression == '"P3D"'
    assert b">P3D</bpmn:timeDuration>" in package.files["minimal.bpmn"]
    assert build_specs(package_from_files(package.files))[0] is spec


def test_find_packages_accepts_a_package_or_a_folder_of_them(tmp_path):
    for name in ("b", "a"):
        shutil.copytree(MINIMAL, tmp_path / name)
    (tmp_path / "notes").mkdir()
    assert find_packages([tmp_path / "b"]) == [tmp_path / "b"]
    assert find_packages([tmp_path / "b", tmp_path]) == [tmp_path / "a", tmp_path / "b"]
    assert MINIMAL in find_packages([PACKAGES])
    with pytest.raises(PackageError):
        find_packages([tmp_path / "notes"])


def test_problem_reads_as_file_line_element_message():
    problem = Problem("procurement/procurement.bpmn", 42, "gw_route", "exclusive gateway has no default")
    assert str(problem) == "procurement/procurement.bpmn:42 [gw_route]: exclusive gateway has no default"
    assert str(Problem("p/process.yaml", None, None, "missing")) == "p/process.yaml: missing"


@pytest.mark.parametrize(("text", "quoted"), [
    ("PT5M", '"PT5M"'), (" P2D\n", ' "P2D"\n'), ("2026-12-01T09:00:00Z", '"2026-12-01T09:00:00Z"'),
    ("R3/PT10M", '"R3/PT10M"'), ('"PT5M"', '"PT5M"'), ("due_date", "due_date"), (" \n ", " \n "), ("", ""),
])
def test_bare_iso_timer_values_are_quoted_and_expressions_left_alone(text, quoted):
    assert quote_iso(text) == quoted


@pytest.mark.parametrize(("kind", "text", "ok"), [
    ("timeDuration", "PT1H30M", True), ("timeDuration", "P1W", True), ("timeDuration", "PT", False),
    ("timeDate", "2026-12-01T09:00:00+08:00", True), ("timeDate", "2026-12-01", False),
    ("timeCycle", "R/2026-12-01T09:00:00Z/P1D", True), ("timeCycle", "R3/P1D/P2D", False),
    ("timeDuration", "reminder_after", True), ("timeDuration", "__import__('os')", False),
    ("timeDuration", "", False), ("timeDate", "5", False),
])
def test_timer_values(kind, text, ok):
    assert (timer_problem(kind, text) is None) == ok


@pytest.mark.skipif(not (PROCUREMENT / "process.yaml").is_file(), reason="processes/procurement not written yet")
def test_procurement_package_loads_without_problems():
    package = load_package(PROCUREMENT)
    assert build_specs(package)[0].name == package.process_id


def test_due_expression_that_does_not_compile_is_located(tmp_path):
    folder = altered(tmp_path, (YAML, "due: P2D", "due: {expression: \"'P2D' if __x else 'P1D'\"}"))
    problems = [p for p in problems_of(folder) if p.element and p.element.endswith("due.expression")]
    assert problems and "does not compile" in problems[0].message


@pytest.mark.parametrize("folder", sorted(path.parent for path in (ROOT / "processes").glob("*/process.yaml")),
                         ids=lambda folder: folder.name)
def test_every_procedure_validates_without_problems(folder):
    assert validate_package(load_package(folder)) == []


def test_names_expressions_may_call_are_the_organisation_functions():
    from engine.definitions.names import ORG_FUNCTIONS
    from engine.org import Directory

    assert set(Directory(None).functions()) == ORG_FUNCTIONS


def test_a_version_deployed_before_a_check_existed_still_loads(runtime):
    """Rebuilding a stored version skips the reference checks, so its running cases are not stranded."""
    from engine.runtime.catalog import Catalog
    from engine.store.models import Definition

    [deployed] = runtime.deploy([MINIMAL])
    with runtime.db.write() as session:
        row = session.get(Definition, deployed["id"])
        row.files = dict(row.files, **{BPMN: row.files[BPMN].replace('decision == "approve"', 'decison == "approve"'),
                                       "forms/revision.yaml": row.files["forms/revision.yaml"].replace("{{ comment }}",
                                                                                                         "{{ x }")})
    with pytest.raises(PackageError):
        package_from_files({path: text.encode("utf-8") for path, text in row.files.items()})
    assert Catalog(runtime.db, runtime.clock).get(deployed["id"]).package.key == "minimal"


def test_schedule_as_may_read_no_case_data(tmp_path):
    """A scheduled start is evaluated before the case exists: even a start-form field is unknown there."""
    folder = tmp_path / "quarterly"
    shutil.copytree(PACKAGES / "quarterly", folder)
    manifest = folder / YAML
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('as: head_of("operations")', "as: trigger"),
                        encoding="utf-8")
    [problem] = problems_of(folder)
    assert (problem.element, problem.line) == ("schedule.as", line_of(folder, YAML, "as: trigger"))
    assert "reads 'trigger', but a scheduled start has no case data yet" in problem.message


def test_names_the_model_itself_sets_count_as_set():
    """Multi-instance items and results, message and signal variables, service results: no form needed."""
    from engine.definitions.crossref import defined_names
    from engine.definitions.documents import Document, Model, parse_xml

    root = parse_xml(b"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">
      <bpmn:message id="m"><bpmn:extensionElements>
        <spiffworkflow:messageVariable>reply</spiffworkflow:messageVariable></bpmn:extensionElements></bpmn:message>
      <bpmn:signal id="s"><bpmn:extensionElements>
        <spiffworkflow:variableName>alarm</spiffworkflow:variableName></bpmn:extensionElements></bpmn:signal>
      <bpmn:process id="p"><bpmn:serviceTask id="t"><bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="rates" resultVariable="rate" /></bpmn:extensionElements>
        <bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>
          <bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef><bpmn:inputDataItem id="i" name="item" />
          <bpmn:outputDataItem id="o" name="result" /></bpmn:multiInstanceLoopCharacteristics>
      </bpmn:serviceTask></bpmn:process></bpmn:definitions>""")
    names = defined_names(Model([Document("p.bpmn", "p/p.bpmn", root)], []), {})
    assert names == {"reply", "alarm", "rate", "item", "result", "results", "starter", "starter_name"}


def test_who_may_act_is_validated_candidates_exclusions_and_separate_duties(tmp_path):
    folder = altered(tmp_path, ("process.yaml", "    assignee: manager_of(starter)\n",
                                "    assignee: manager_of(starter)\n    candidates: '[manager_of(assignee)'\n"
                                "    exclude: [starter, nobody_sets_this]\n"),
                     ("process.yaml", "tasks:\n", "separate_duties:\n  - [approve, no_such_step]\ntasks:\n"))
    messages = [str(p) for p in problems_of(folder)]
    assert any("tasks.approve.candidates" in m and "does not compile" in m for m in messages), messages
    assert any("tasks.approve.exclude[1]" in m and "nobody_sets_this" in m for m in messages), messages
    assert any("separate_duties[0][1]" in m and "'no_such_step' is not a user task" in m for m in messages), messages


GLOBAL_TIMER = '<bpmn:timerEventDefinition id="global_timer"><bpmn:timeDuration>soon</bpmn:timeDuration>' \
               '</bpmn:timerEventDefinition>\n  '


def test_a_timer_outside_any_flow_node_is_located_at_itself_not_a_crash(tmp_path):
    folder = altered(tmp_path, (BPMN, '<bpmn:process id="minimal"', GLOBAL_TIMER + '<bpmn:process id="minimal"'))
    [problem] = problems_of(folder)
    assert (problem.file, problem.line) == ("minimal/minimal.bpmn", line_of(folder, BPMN, "global_timer"))
    assert problem.message == "timer reads 'soon', which no form field, script or decision output sets"


def test_a_model_file_whose_root_is_a_gateway_or_an_event_definition_is_checked_without_a_crash(tmp_path):
    namespace = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    folder = altered(tmp_path, ("gateway.bpmn", None, f'<bpmn:exclusiveGateway {namespace} id="lonely"/>\n'),
                     ("message.bpmn", None, f'<bpmn:messageEventDefinition {namespace} id="loose"/>\n'))
    [problem] = problems_of(folder)
    assert (problem.file, problem.element) == ("minimal/message.bpmn", "loose")
    assert "no messageRef" in problem.message
