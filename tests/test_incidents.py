"""Held timers as incidents: listed while open, retried by a supervisor once the cause is fixed, fired once."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from engine import sandbox
from engine.config import Settings
from engine.errors import Conflict, Forbidden, NotFound, NotReady
from engine.store.models import Event, Timer
from tests.conftest import make_runtime
from tests.test_sandbox_commands import WAIT_END, with_script

# A script that ends, but only after more than the strict limit below: raising the limit fixes it.
SLOW = "n = 0\nwhile n &lt; 3000000:\n    n = n + 1"
SLOW_END = ('<bpmn:scriptTask id="end" name="Count"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
            f"<bpmn:script>{SLOW}</bpmn:script></bpmn:scriptTask>"
            '<bpmn:sequenceFlow id="f3" sourceRef="end" targetRef="done"/>'
            '<bpmn:endEvent id="done" name="Done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>')
STRICT, LENIENT = 0.05, 120.0
SUPERVISOR = "ops.wang"  # the wait procedure's owner role


def held_case(db_url, clock, tmp_path):
    """A runtime with a strict script limit whose one wait case has a timer held: its script ran past the limit."""
    strict = make_runtime(db_url, clock, script_time_limit=STRICT)
    strict.deploy([with_script(tmp_path, "wait", WAIT_END, SLOW_END)])
    strict.start("wait", "ops.lin", {})
    clock.advance(timedelta(hours=2))
    assert strict.fire_due_timers() == 0
    # Limits of expressions run outside a workflow are the process's own: give them back for the next runtime.
    defaults = Settings()
    sandbox.configure(sandbox.Limits(defaults.script_time_limit, defaults.script_memory_limit_mb,
                                     defaults.script_data_limit_bytes))
    return strict


@pytest.fixture
def held(db_url, clock, tmp_path):
    """(runtime, case id, incident): a wait case whose timer's script ran past a strict limit."""
    strict = held_case(db_url, clock, tmp_path)
    [incident] = strict.open_incidents()
    yield strict, incident["case_id"], incident
    strict.db.dispose()


def events(runtime, case_id, kind):
    """The case's events of one kind, oldest first."""
    with runtime.db.read() as session:
        return session.scalars(select(Event).where(Event.case_id == case_id, Event.kind == kind)
                               .order_by(Event.id)).all()


def test_an_open_incident_is_listed_with_its_case_reason_and_time(held, clock):
    runtime, case_id, incident = held
    assert incident["case_id"] == case_id and incident["process_key"] == "wait"
    assert incident["timer"] == "bpmn" and "[end]" in incident["reason"] and "longer than" in incident["reason"]
    assert incident["since"] == events(runtime, case_id, "incident")[0].at
    assert runtime.open_incidents(process_key="wait") == [incident]
    assert runtime.open_incidents(process_key="minimal") == []


def test_a_retry_after_raising_the_limit_fires_the_held_timer_exactly_once(held, db_url, clock):
    strict, case_id, incident = held
    lenient = make_runtime(db_url, clock, script_time_limit=LENIENT)
    lenient.retry_incident(case_id, incident["id"], SUPERVISOR)
    assert lenient.open_incidents() == []
    [retried] = events(lenient, case_id, "incident_retried")
    assert retried.actor == SUPERVISOR and retried.data == {"incident": incident["id"]}
    assert lenient.fire_due_timers() == 1
    assert lenient.fire_due_timers() == 0
    assert lenient.case(case_id)["status"] == "completed"
    assert len(events(lenient, case_id, "timer_fired")) == 1
    lenient.db.dispose()


def test_a_timer_failing_again_after_a_retry_opens_a_new_incident(held):
    runtime, case_id, incident = held
    runtime.retry_incident(case_id, incident["id"], SUPERVISOR)
    assert runtime.fire_due_timers() == 0
    [again] = runtime.open_incidents()
    assert again["id"] != incident["id"] and again["case_id"] == case_id


def test_a_second_retry_of_the_same_incident_is_a_conflict(held):
    runtime, case_id, incident = held
    runtime.retry_incident(case_id, incident["id"], SUPERVISOR)
    with pytest.raises(Conflict, match=f"incident {incident['id']} of case {case_id} was retried already by ops.wang"):
        runtime.retry_incident(case_id, incident["id"], "it.wu")
    assert len(events(runtime, case_id, "incident_retried")) == 1


def test_only_a_supervisor_of_the_procedure_may_retry(held):
    runtime, case_id, incident = held
    with pytest.raises(Forbidden, match="ops.lin does not supervise wait"):
        runtime.retry_incident(case_id, incident["id"], "ops.lin")
    with pytest.raises(NotFound):
        runtime.retry_incident(case_id, incident["id"], "fin.hsu")
    assert runtime.open_incidents() == [incident], "a refused retry changes nothing"
    runtime.retry_incident(case_id, incident["id"], "it.wu")
    assert runtime.open_incidents() == []


def test_the_case_page_sees_the_incident_and_whether_the_user_may_retry_it(held):
    runtime, case_id, incident = held
    assert runtime.case_incidents(case_id, SUPERVISOR) == {"incidents": [incident], "can_retry": True}
    assert runtime.case_incidents(case_id, "ops.lin") == {"incidents": [incident], "can_retry": False}


def test_an_unknown_incident_or_a_cancelled_case_is_refused(held):
    runtime, case_id, incident = held
    with pytest.raises(NotFound, match="no incident 999999 in case"):
        runtime.retry_incident(case_id, 999999, SUPERVISOR)
    runtime.cancel(case_id, SUPERVISOR)
    assert runtime.open_incidents() == []
    with pytest.raises(NotReady, match="is cancelled"):
        runtime.retry_incident(case_id, incident["id"], SUPERVISOR)


def test_an_incident_recorded_before_timers_were_named_is_retried_by_its_step(held):
    runtime, case_id, incident = held
    with runtime.db.write() as session:
        data = {k: v for k, v in events(runtime, case_id, "incident")[0].data.items() if k != "timer_id"}
        session.execute(update(Event).where(Event.id == incident["id"]).values(data=data))
    runtime.retry_incident(case_id, incident["id"], SUPERVISOR)
    with runtime.db.read() as session:
        assert session.scalars(select(Timer.fired_at).where(Timer.case_id == case_id)).all() == [None]


def test_an_incident_whose_timer_is_gone_is_closed_and_cannot_be_retried(held):
    runtime, case_id, incident = held
    with runtime.db.write() as session:  # as when an SLA's task ends: its timer row goes with it
        session.execute(delete(Timer).where(Timer.case_id == case_id))
    assert runtime.open_incidents() == []
    with pytest.raises(NotReady, match="is gone"):
        runtime.retry_incident(case_id, incident["id"], SUPERVISOR)
