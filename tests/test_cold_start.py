"""Stored cases outlive the process: a case continued from a brand-new process ends the same."""
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from engine.runtime import spiff
from engine.runtime.case import load_workflow
from engine.runtime.rows import load_row
from tests.conftest import PACKAGES, make_runtime
from tests.test_runtime import CLAIM, open_tasks


@pytest.fixture
def deployed(runtime):
    """Runtime with the expense package deployed."""
    runtime.deploy([PACKAGES / "expense"])
    return runtime


def opsflow(url, *args):
    """Run the opsflow CLI in a new Python process against `url`."""
    env = dict(os.environ, OPSFLOW_DATABASE_URL=url)
    done = subprocess.run([sys.executable, "-m", "webui.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def comparable(view):
    """What must match between two runs of the same inputs."""
    return view["status"], view["end_event"], view["path"], dict(view["data"])


def test_case_continued_in_a_new_process_ends_like_one_run_in_one_go(deployed):
    one_go = deployed.start("expense", "sales.tseng", CLAIM)
    split = deployed.start("expense", "sales.tseng", CLAIM)
    for case in (one_go, split):
        deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "reject"})
    deployed.complete(open_tasks(deployed, one_go)["revise"].id, "sales.tseng", CLAIM)
    opsflow(deployed.db.url, "complete", open_tasks(deployed, split)["revise"].id, "--as", "sales.tseng", "--data",
            json.dumps(CLAIM))
    for case in (one_go, split):
        deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "approve"})
    deployed.clock.advance(timedelta(hours=1, seconds=5))
    deployed.fire_due_timers()
    deployed.complete(open_tasks(deployed, one_go)["pay"].id, "fin.hsu", {"payment_ref": "P-1"})
    opsflow(deployed.db.url, "complete", open_tasks(deployed, split)["pay"].id, "--as", "fin.hsu", "--data",
            json.dumps({"payment_ref": "P-1"}))
    assert comparable(deployed.case(split)) == comparable(deployed.case(one_go))
    assert deployed.case(split)["status"] == "completed"


@pytest.mark.slow
def test_a_loop_of_1000_laps_keeps_moving_and_survives_serialization(tmp_path, clock):
    deployed = make_runtime(f"sqlite:///{tmp_path / 'laps.db'}", clock)
    deployed.deploy([PACKAGES / "expense"])
    case = deployed.start("expense", "sales.tseng", CLAIM)
    with deployed.db.write() as session:
        row = load_row(session, case)
        workflow = load_workflow(deployed, session, row)
    for _ in range(1000):
        for key, data in (("approve", {"decision": "reject"}), ("revise", CLAIM)):
            task = next(t for t in spiff.ready_human_tasks(workflow) if t.task_spec.bpmn_id == key)
            task.data.update(data)
            task.run()
            spiff.run_engine(workflow)
    restored = deployed.codec.loads(deployed.codec.dumps(workflow))
    task = next(t for t in spiff.ready_human_tasks(restored) if t.task_spec.bpmn_id == "approve")
    assert task.data["laps"] == 1000
    task.data.update({"decision": "approve"})
    task.run()
    spiff.run_engine(restored)
    waiting = [t.task_spec.bpmn_id for t in restored.get_tasks(state=spiff.TaskState.WAITING)]
    assert "cooling_off" in waiting
