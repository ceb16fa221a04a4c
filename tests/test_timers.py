"""BPMN timers on the injectable clock: interrupting boundaries, and nothing fires before its time."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import NotReady
from engine.store.models import Timer
from tests.conftest import PACKAGES
from tests.test_runtime import open_tasks


@pytest.fixture
def runtime(runtime):
    """Runtime with the deadline package deployed."""
    runtime.deploy([PACKAGES / "deadline"])
    return runtime


def pending(runtime, case):
    """(kind, due_at) of a case's pending timers."""
    with runtime.db.read() as s:
        return sorted(s.execute(select(Timer.kind, Timer.due_at).where(
            Timer.instance_id == case, Timer.fired_at.is_(None))).all())


def test_interrupting_boundary_timer_ends_the_task(runtime):
    case = runtime.start("deadline", "ops.chen", {"note": "x"})
    start = runtime.clock.now()
    assert pending(runtime, case) == [("bpmn", start + timedelta(hours=2)), ("sla", start + timedelta(hours=1))]
    task_id = open_tasks(runtime, case)["confirm"].id
    runtime.clock.advance(timedelta(hours=1, minutes=59))
    assert runtime.fire_due_timers() == 1
    assert runtime.case(case)["status"] == "running"
    runtime.clock.advance(timedelta(minutes=2))
    assert runtime.fire_due_timers() == 1
    view = runtime.case(case)
    assert (view["status"], view["end_event"], view["tasks"]) == ("completed", "end_expired", [])
    withdrawn = [e for e in view["history"] if e["kind"] == "task_withdrawn"]
    assert [(e["task_id"], e["actor"], e["data"]) for e in withdrawn] == [
        (task_id, None, {"assignee": "ops.chen", "role": "employee"})]
    with pytest.raises(NotReady, match="is no longer open"):
        runtime.complete(task_id, "ops.chen", {"confirmed": True})
    assert pending(runtime, case) == []


def test_completing_in_time_removes_the_boundary_timer(runtime):
    case = runtime.start("deadline", "ops.chen", {})
    runtime.complete(open_tasks(runtime, case)["confirm"].id, "ops.chen", {"confirmed": True})
    assert runtime.case(case)["end_event"] == "end_confirmed"
    assert pending(runtime, case) == []
    runtime.clock.advance(timedelta(days=1))
    assert runtime.fire_due_timers() == 0


def test_timers_ignore_the_real_clock(runtime):
    case = runtime.start("deadline", "ops.chen", {})
    runtime.clock.advance(timedelta(minutes=30))
    assert runtime.fire_due_timers() == 0
    assert list(open_tasks(runtime, case)) == ["confirm"]


@pytest.fixture
def appointments(runtime):
    """Runtime with the appointment package (a date timer from case data and a cycle timer)."""
    runtime.deploy([PACKAGES / "appointment"])
    return runtime


def test_a_date_timer_waits_for_the_injected_clock_even_when_past_in_real_time(appointments):
    runtime = appointments
    meet_at = runtime.clock.now() + timedelta(days=1)
    case = runtime.start("appointment", "ops.chen", {"meet_at": meet_at.isoformat()})
    assert pending(runtime, case) == [("bpmn", meet_at)]
    runtime.clock.advance(timedelta(hours=23))
    assert runtime.fire_due_timers() == 0 and open_tasks(runtime, case) == {}
    runtime.clock.advance(timedelta(hours=1))
    assert runtime.fire_due_timers() == 1 and list(open_tasks(runtime, case)) == ["attend"]


def test_a_cycle_timer_fires_each_lap_then_stops(appointments):
    runtime = appointments
    case = runtime.start("appointment", "ops.chen", {"meet_at": runtime.clock.now().isoformat()})
    runtime.fire_due_timers()
    for _ in range(2):
        runtime.clock.advance(timedelta(hours=1))
        assert runtime.fire_due_timers() == 1
    runtime.clock.advance(timedelta(hours=5))
    runtime.fire_due_timers()
    view = runtime.case(case)
    assert view["path"].count("end_reminded") == 2 and [t["task_key"] for t in view["tasks"]] == ["attend"]
    assert [k for k, _ in pending(runtime, case)] == ["sla"]


def test_the_worker_loop_fires_what_falls_due_until_stopped(runtime):
    case = runtime.start("deadline", "ops.chen", {})
    polls = []

    def stop():
        polls.append(1)
        if len(polls) == 2:
            runtime.clock.advance(timedelta(hours=3))
        return len(polls) >= 4

    assert runtime.run_worker(stop=stop) == 2
    assert runtime.case(case)["end_event"] == "end_expired"
