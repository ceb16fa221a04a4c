"""A hostile script in a command: a located error for the user, an incident in the worker, no lock held meanwhile."""
import shutil
import threading
import time
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from engine.errors import ScriptError, ValidationFailed
from engine.store.models import CaseRecord, Event, Timer
from tests.conftest import PACKAGES, make_runtime

LOOP = "while True:\n    pass"
SWALLOWING_LOOP = "try:\n    while True:\n        pass\nexcept Exception:\n    pass\n" + LOOP
WAIT_END = '<bpmn:endEvent id="end" name="Done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'


def with_script(tmp_path, name, old, script):
    """A copy of a test package whose `old` text is replaced by a script task running `script`."""
    package = tmp_path / name
    shutil.copytree(PACKAGES / name, package)
    diagram = package / f"{name}.bpmn"
    diagram.write_text(diagram.read_text(encoding="utf-8").replace(old, script), encoding="utf-8")
    return package


def minimal_with(tmp_path, script):
    """The minimal package whose 'record approval' script is `script`."""
    return with_script(tmp_path, "minimal", '<bpmn:script>approval_status = "approved"</bpmn:script>',
                       f"<bpmn:script>{escape(script)}</bpmn:script>")


def approval_task(runtime, case_id):
    """The open approval task of a minimal case."""
    return runtime.case(case_id)["tasks"][0]


def start_minimal(runtime):
    """A minimal case waiting for its approval."""
    return runtime.start("minimal", "ops.lin", {"amount": 100, "reason": "paper"})


def test_a_hostile_script_fails_the_command_with_the_element_named(runtime, tmp_path):
    runtime.deploy([minimal_with(tmp_path, SWALLOWING_LOOP)])
    task = approval_task(runtime, start_minimal(runtime))
    with pytest.raises(ScriptError, match=r"\[record_approval\].*longer than 1 s"):
        runtime.complete(task["id"], task["assignee"], {"decision": "approve"})
    assert approval_task(runtime, task["case_id"])["id"] == task["id"], "nothing was saved"


def test_a_script_writing_too_much_data_fails_and_nothing_is_stored(runtime, tmp_path):
    runtime.deploy([minimal_with(tmp_path, "blob = 'a' * 5000000")])
    task = approval_task(runtime, start_minimal(runtime))
    with pytest.raises(ScriptError, match=r"\[record_approval\].*more than the limit"):
        runtime.complete(task["id"], task["assignee"], {"decision": "approve"})
    assert "blob" not in runtime.case(task["case_id"])["data"]


def test_another_case_is_written_while_a_script_runs_on_sqlite(tmp_path, clock):
    runtime = make_runtime(f"sqlite:///{tmp_path / 'opsflow.db'}", clock, script_time_limit=4.0)
    runtime.deploy([minimal_with(tmp_path, LOOP)])
    task = approval_task(runtime, start_minimal(runtime))
    other = make_runtime(f"sqlite:///{tmp_path / 'opsflow.db'}", clock)
    failed = []
    hostile = threading.Thread(target=lambda: _expect_script_error(
        runtime.complete, failed, task["id"], task["assignee"], {"decision": "approve"}))
    hostile.start()
    time.sleep(0.5)
    began = time.monotonic()
    start_minimal(other)
    print(f"another case started in {time.monotonic() - began:.3f} s while the script ran")
    assert hostile.is_alive(), "the other command had to wait for the hostile script to end"
    hostile.join()
    assert failed == ["longer than"]
    other.db.dispose()
    runtime.db.dispose()


def _expect_script_error(command, failed, *args):
    """Run a command that must fail with a time limit; note that it did."""
    try:
        command(*args)
    except ScriptError as exc:
        failed.append("longer than" if "longer than" in str(exc) else str(exc))


def test_a_hostile_timer_becomes_an_incident_and_is_not_retried(runtime, tmp_path):
    looping_end = ('<bpmn:scriptTask id="end" name="Done"><bpmn:incoming>f2</bpmn:incoming>'
                   f"<bpmn:script>{LOOP}</bpmn:script></bpmn:scriptTask>")
    runtime.deploy([with_script(tmp_path, "wait", WAIT_END, looping_end)])
    case_id = runtime.start("wait", "ops.lin", {})
    runtime.clock.advance(timedelta(hours=2))
    assert runtime.fire_due_timers() == 0
    with runtime.db.read() as session:
        incidents = session.scalars(select(Event).where(Event.case_id == case_id, Event.kind == "incident")).all()
        held = session.scalars(select(Timer).where(Timer.case_id == case_id)).all()
    assert len(incidents) == 1 and "[end]" in incidents[0].data["reason"]
    assert "longer than" in incidents[0].data["reason"]
    assert [t.fired_at is not None for t in held] == [True], "the timer is held, not pending"
    assert runtime.fire_due_timers() == 0 and runtime.case(case_id)["status"] == "running"


def test_a_refused_form_keeps_the_cached_workflow(runtime):
    runtime.deploy([PACKAGES / "minimal"])
    case_id = start_minimal(runtime)
    task = approval_task(runtime, case_id)
    with pytest.raises(ValidationFailed):
        runtime.complete(task["id"], task["assignee"], {"decision": "maybe"})
    with runtime.db.read() as session:
        lock_version = session.scalar(select(CaseRecord.lock_version).where(CaseRecord.id == case_id))
    assert runtime.cache.take(case_id, lock_version) is not None
