"""BPMN timers on the injectable clock: interrupting boundaries, and nothing fires before its time."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import NotReady
from engine.store.models import Timer
from tests.conftest import PACKAGES
from tests.test_runtime import open_tasks


@pytest.fixture
def rt(runtime):
    """Runtime with the deadline package deployed."""
    runtime.deploy([PACKAGES / "deadline"])
    return runtime


def pending(rt, case):
    """(kind, due_at) of a case's pending timers."""
    with rt.db.read() as s:
        return sorted(s.execute(select(Timer.kind, Timer.due_at).where(
            Timer.instance_id == case, Timer.fired_at.is_(None))).all())


def test_interrupting_boundary_timer_ends_the_task(rt):
    case = rt.start("deadline", "ops.chen", {"note": "x"})
    start = rt.clock.now()
    assert pending(rt, case) == [("bpmn", start + timedelta(hours=2)), ("sla", start + timedelta(hours=1))]
    task_id = open_tasks(rt, case)["confirm"].id
    rt.clock.advance(timedelta(hours=1, minutes=59))
    assert rt.fire_due_timers() == 1
    assert rt.describe_case(case)["status"] == "running"
    rt.clock.advance(timedelta(minutes=2))
    assert rt.fire_due_timers() == 1
    view = rt.describe_case(case)
    assert (view["status"], view["end_event"], view["tasks"]) == ("completed", "end_expired", [])
    with pytest.raises(NotReady):
        rt.complete(task_id, "ops.chen", {"confirmed": True})
    assert pending(rt, case) == []


def test_completing_in_time_removes_the_boundary_timer(rt):
    case = rt.start("deadline", "ops.chen", {})
    rt.complete(open_tasks(rt, case)["confirm"].id, "ops.chen", {"confirmed": True})
    assert rt.describe_case(case)["end_event"] == "end_confirmed"
    assert pending(rt, case) == []
    rt.clock.advance(timedelta(days=1))
    assert rt.fire_due_timers() == 0


def test_timers_ignore_the_real_clock(rt):
    case = rt.start("deadline", "ops.chen", {})
    rt.clock.advance(timedelta(minutes=30))
    assert rt.fire_due_timers() == 0
    assert list(open_tasks(rt, case)) == ["confirm"]
