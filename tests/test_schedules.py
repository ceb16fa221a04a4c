"""Timer start events: a procedure starts cases by itself on schedule, and still on demand."""
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.definitions import load_package
from engine.errors import PackageError
from engine.runtime.schedules import next_occurrence
from engine.store.models import CaseRecord, Timer
from tests.conftest import PACKAGES
from tests.test_runtime import open_tasks

QUARTER_STARTS = [datetime(2026, month, 1, 1, 0, tzinfo=UTC) for month in (4, 7, 10)]


@pytest.fixture
def deployed(runtime):
    """Runtime with the quarterly package deployed on 2026-01-05."""
    runtime.deploy([PACKAGES / "quarterly"])
    return runtime


def pending_starts(runtime):
    """Due times of the pending scheduled starts."""
    with runtime.db.read() as s:
        return s.scalars(select(Timer.due_at).where(Timer.kind == "start", Timer.fired_at.is_(None))).all()


def cases(runtime):
    """Ids of the quarterly cases."""
    with runtime.db.read() as s:
        quarterly = select(CaseRecord.id).where(CaseRecord.process_key == "quarterly")
        return s.scalars(quarterly.order_by(CaseRecord.id)).all()


def test_each_quarter_starts_one_case_and_missed_quarters_start_only_one(deployed):
    assert pending_starts(deployed) == QUARTER_STARTS[:1]
    deployed.clock.advance(QUARTER_STARTS[0] - deployed.clock.now() - timedelta(minutes=1))
    assert deployed.fire_due_timers() == 0 and cases(deployed) == []
    deployed.clock.advance(timedelta(minutes=1))
    assert deployed.fire_due_timers() == 1
    (case,) = cases(deployed)
    view = deployed.case(case)
    assert (view["starter"], view["data"]["trigger"]) == ("ops.wang", "quarterly")
    assert view["history"][0]["data"]["scheduled_by"] == "start_quarterly"
    assert list(open_tasks(deployed, case)) == ["check"]
    assert pending_starts(deployed) == QUARTER_STARTS[1:2]
    deployed.clock.advance(timedelta(days=200))
    deployed.fire_due_timers()
    assert len(cases(deployed)) == 2 and pending_starts(deployed) == [datetime(2027, 1, 1, 1, 0, tzinfo=UTC)]


def test_on_demand_start_does_not_wait_for_the_quarter(deployed):
    case = deployed.start("quarterly", "ops.chen", {"trigger": "on-demand"})
    view = deployed.case(case)
    assert "start_on_demand" in view["path"] and [t["task_key"] for t in view["tasks"]] == ["check"]
    assert pending_starts(deployed) == QUARTER_STARTS[:1]


def test_a_new_version_replaces_the_pending_schedule(deployed, tmp_path):
    changed = tmp_path / "quarterly"
    shutil.copytree(PACKAGES / "quarterly", changed)
    bpmn = changed / "quarterly.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("/P3M<", "/P1M<"), encoding="utf-8")
    deployed.deploy([changed])
    assert pending_starts(deployed) == [datetime(2026, 2, 1, 1, 0, tzinfo=UTC)]


def test_a_timer_start_event_needs_a_plain_start_event_beside_it(tmp_path):
    package = tmp_path / "quarterly"
    shutil.copytree(PACKAGES / "quarterly", package)
    bpmn = package / "quarterly.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    text = text.replace('<bpmn:startEvent id="start_on_demand" name="On demand"><bpmn:outgoing>f1</bpmn:outgoing>'
                        '</bpmn:startEvent>', "").replace("<bpmn:incoming>f1</bpmn:incoming>", "")
    text = text.replace('<bpmn:sequenceFlow id="f1" sourceRef="start_on_demand" targetRef="merge" />', "")
    text = text.replace("<bpmn:flowNodeRef>start_on_demand</bpmn:flowNodeRef>", "")
    bpmn.write_text(text.replace('<bpmndi:BPMNShape id="start_on_demand_di"', '<bpmndi:BPMNShape id="x_di"'),
                    encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(package)
    assert any(p.element == "start_quarterly" and "plain start event" in p.message for p in info.value.problems)


def test_a_timer_start_event_needs_a_schedule(tmp_path):
    package = tmp_path / "quarterly"
    shutil.copytree(PACKAGES / "quarterly", package)
    manifest = package / "process.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('schedule:\n  as: head_of("operations")\n  data: {trigger: quarterly}\n', ""),
                        encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(package)
    (problem,) = info.value.problems
    assert problem.element == "start_quarterly" and "schedule:" in problem.message


@pytest.mark.parametrize("value,after,expected", [
    ("R/2026-01-01T09:00:00+08:00/P3M", "2026-01-05T00:00:00+00:00", "2026-04-01T01:00:00+00:00"),
    ("R2/2026-01-01T00:00:00+00:00/P1D", "2026-01-01T12:00:00+00:00", "2026-01-02T00:00:00+00:00"),
    ("R2/2026-01-01T00:00:00+00:00/P1D", "2026-01-02T12:00:00+00:00", None),
    ("R/PT6H", "2026-01-01T00:00:00+00:00", "2026-01-01T06:00:00+00:00"),
    ("2026-03-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"),
    ("2025-03-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", None),
])
def test_next_occurrence(value, after, expected):
    found = next_occurrence(value, datetime.fromisoformat(after))
    assert found == (datetime.fromisoformat(expected) if expected else None)


def test_a_schedule_that_cannot_start_is_held_and_armed_for_its_next_quarter(runtime, tmp_path, caplog):
    package = tmp_path / "quarterly"
    shutil.copytree(PACKAGES / "quarterly", package)
    manifest = package / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('as: head_of("operations")', "as: \"'nobody'\""),
                        encoding="utf-8")
    runtime.deploy([package])
    runtime.clock.advance(timedelta(days=120))
    assert runtime.fire_due_timers() == 0
    assert pending_starts(runtime) == QUARTER_STARTS[1:2] and cases(runtime) == []
    assert "nobody may not start quarterly" in caplog.text
    assert runtime.fire_due_timers() == 0, "a held start is not tried again on the next poll"


def test_a_scenario_can_follow_a_scheduled_start(deployed, tmp_path):
    from engine.scenarios import run_file

    path = tmp_path / "scheduled.yaml"
    path.write_text("name: quarterly start\nstart: {scheduled: true}\n"
                    "steps:\n  - complete: check\n    as: ops.wang\n    data: {result: fine}\n"
                    "expect:\n  status: completed\n  path: [start_on_demand, check]\n  data: {trigger: quarterly}\n",
                    encoding="utf-8")
    result = run_file(deployed, PACKAGES / "quarterly", path)
    assert result.passed, result.line()
