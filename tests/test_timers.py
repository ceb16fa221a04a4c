"""BPMN timers on the injectable clock: interrupting boundaries, and nothing fires before its time."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import NotReady
from engine.store.models import Timer
from tests.conftest import PACKAGES
from tests.test_runtime import open_tasks


@pytest.fixture
def deployed(runtime):
    """Runtime with the deadline package deployed."""
    runtime.deploy([PACKAGES / "deadline"])
    return runtime


def pending(runtime, case):
    """(kind, due_at) of a case's pending timers."""
    with runtime.db.read() as s:
        return sorted(s.execute(select(Timer.kind, Timer.due_at).where(
            Timer.case_id == case, Timer.fired_at.is_(None))).all())


def test_interrupting_boundary_timer_ends_the_task(deployed):
    case = deployed.start("deadline", "ops.chen", {"note": "x"})
    start = deployed.clock.now()
    assert pending(deployed, case) == [("bpmn", start + timedelta(hours=2)), ("sla", start + timedelta(hours=1))]
    task_id = open_tasks(deployed, case)["confirm"].id
    deployed.clock.advance(timedelta(hours=1, minutes=59))
    assert deployed.fire_due_timers() == 1
    assert deployed.case(case)["status"] == "running"
    deployed.clock.advance(timedelta(minutes=2))
    assert deployed.fire_due_timers() == 1
    view = deployed.case(case)
    assert (view["status"], view["end_event"], view["tasks"]) == ("completed", "end_expired", [])
    withdrawn = [e for e in view["history"] if e["kind"] == "task_withdrawn"]
    assert [(e["task_id"], e["actor"], e["data"]) for e in withdrawn] == [
        (task_id, None, {"assignee": "ops.chen", "role": "employee"})]
    with pytest.raises(NotReady, match="is no longer open"):
        deployed.complete(task_id, "ops.chen", {"confirmed": True})
    assert pending(deployed, case) == []


def test_completing_in_time_removes_the_boundary_timer(deployed):
    case = deployed.start("deadline", "ops.chen", {})
    deployed.complete(open_tasks(deployed, case)["confirm"].id, "ops.chen", {"confirmed": True})
    assert deployed.case(case)["end_event"] == "end_confirmed"
    assert pending(deployed, case) == []
    deployed.clock.advance(timedelta(days=1))
    assert deployed.fire_due_timers() == 0


def test_timers_ignore_the_real_clock(deployed):
    case = deployed.start("deadline", "ops.chen", {})
    deployed.clock.advance(timedelta(minutes=30))
    assert deployed.fire_due_timers() == 0
    assert list(open_tasks(deployed, case)) == ["confirm"]


@pytest.fixture
def appointments(runtime):
    """Runtime with the appointment package (a date timer from case data and a cycle timer)."""
    runtime.deploy([PACKAGES / "appointment"])
    return runtime


def test_a_date_timer_waits_for_the_injected_clock_even_when_past_in_real_time(appointments):
    deployed = appointments
    meet_at = deployed.clock.now() + timedelta(days=1)
    case = deployed.start("appointment", "ops.chen", {"meet_at": meet_at.isoformat()})
    assert pending(deployed, case) == [("bpmn", meet_at)]
    deployed.clock.advance(timedelta(hours=23))
    assert deployed.fire_due_timers() == 0 and open_tasks(deployed, case) == {}
    deployed.clock.advance(timedelta(hours=1))
    assert deployed.fire_due_timers() == 1 and list(open_tasks(deployed, case)) == ["attend"]


def test_a_cycle_timer_fires_each_lap_then_stops(appointments):
    deployed = appointments
    case = deployed.start("appointment", "ops.chen", {"meet_at": deployed.clock.now().isoformat()})
    deployed.fire_due_timers()
    for _ in range(2):
        deployed.clock.advance(timedelta(hours=1))
        assert deployed.fire_due_timers() == 1
    deployed.clock.advance(timedelta(hours=5))
    deployed.fire_due_timers()
    view = deployed.case(case)
    assert view["path"].count("end_reminded") == 2 and [t["task_key"] for t in view["tasks"]] == ["attend"]
    assert [k for k, _ in pending(deployed, case)] == ["sla"]


def test_the_worker_loop_fires_what_falls_due_until_stopped(deployed):
    case = deployed.start("deadline", "ops.chen", {})
    polls = []

    def stop():
        polls.append(1)
        if len(polls) == 2:
            deployed.clock.advance(timedelta(hours=3))
        return len(polls) >= 4

    assert deployed.run_worker(stop=stop) == 2
    assert deployed.case(case)["end_event"] == "end_expired"
