"""`opsflow worker --once` drains what is due and leaves a heartbeat; a fault in a poll does not end the worker."""
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.config import Settings
from engine.runtime.service import Runtime
from engine.store.models import Timer
from tests.conftest import PACKAGES


@pytest.fixture
def deployed(runtime):
    """Runtime with the one-hour `wait` package deployed."""
    runtime.deploy([PACKAGES / "wait"])
    return runtime


def _pending(runtime):
    """Timer rows not fired yet."""
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None)))


def test_once_fires_every_due_timer_beyond_one_batch(deployed):
    for _ in range(deployed.settings.worker_batch * 2 + 20):
        deployed.start("wait", "sales.lu", {})
    deployed.clock.advance(timedelta(hours=1, seconds=1))
    assert deployed.run_worker(once=True) == 120
    assert _pending(deployed) == 0


def test_once_leaves_a_heartbeat_like_the_running_worker(deployed):
    assert deployed.health()["worker"] is None
    deployed.run_worker(once=True)
    assert deployed.health()["status"] == "ok"


def _ticking(folder):
    """The `wait` package turned into a loop of zero-length timers: each firing makes the next one due at once."""
    shutil.copytree(PACKAGES / "wait", folder)
    bpmn = folder / "wait.bpmn"
    text = bpmn.read_text(encoding="utf-8").replace("PT1H", "PT0S")
    text = text.replace('<bpmn:sequenceFlow id="f2" sourceRef="hour" targetRef="end" />', """
    <bpmn:sequenceFlow id="f2" sourceRef="hour" targetRef="again" />
    <bpmn:exclusiveGateway id="again" name="Again?" default="f3">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f3" sourceRef="again" targetRef="hour" />
    <bpmn:sequenceFlow id="f4" sourceRef="again" targetRef="end">
      <bpmn:conditionExpression>False</bpmn:conditionExpression></bpmn:sequenceFlow>""")
    text = text.replace("<bpmn:incoming>f1</bpmn:incoming>",
                        "<bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>")
    text = text.replace('name="Done"><bpmn:incoming>f2', 'name="Done"><bpmn:incoming>f4')
    text = text.replace("<bpmn:flowNodeRef>end</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>end</bpmn:flowNodeRef><bpmn:flowNodeRef>again</bpmn:flowNodeRef>")
    bpmn.write_text(text, encoding="utf-8")
    return folder


def test_once_fires_only_what_was_due_when_it_started(runtime, tmp_path):
    runtime.deploy([_ticking(tmp_path / "ticking")])
    runtime.start("wait", "sales.lu", {})
    assert runtime.run_worker(once=True) == 1
    assert _pending(runtime) == 1
    assert runtime.run_worker(once=True) == 1


class FailsOnce(ManualClock):
    """A clock whose first reading fails as an unexpected fault would (a bug, a library's error)."""

    def __init__(self, start):
        super().__init__(start)
        self.failed = False

    def now(self):
        if not self.failed:
            self.failed = True
            raise RuntimeError("injected fault\nsecond line of the fault")
        return super().now()


def test_a_fault_in_a_poll_is_logged_in_one_line_and_the_worker_goes_on(deployed, caplog):
    deployed.start("wait", "sales.lu", {})
    deployed.clock = FailsOnce(deployed.clock.now() + timedelta(hours=1, seconds=1))
    deadline = time.monotonic() + 30
    with caplog.at_level(logging.WARNING, logger="engine.runtime.timers"):
        fired = deployed.run_worker(stop=lambda: deployed.fired_total > 0 or time.monotonic() > deadline)
    assert fired == 1
    assert [r.getMessage() for r in caplog.records] == [
        "worker poll failed, polling again in 0.05 s: RuntimeError: injected fault"]
    assert all(r.exc_info is None for r in caplog.records)


def test_a_stop_asked_for_during_an_outage_ends_the_worker():
    # A TERM that lands inside a database call can come out as the driver's error; the stop flag the
    # signal handler also sets must end the worker although every poll keeps failing.
    gone = Runtime(Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:9/gone", worker_poll_seconds=0.05,
                            worker_retry_max_seconds=0.1), clock=ManualClock(datetime(2026, 1, 5, tzinfo=UTC)))
    asked, outcome = threading.Event(), []
    worker = threading.Thread(target=lambda: outcome.append(gone.run_worker(stop=asked.is_set)), daemon=True)
    worker.start()
    time.sleep(0.5)
    asked.set()
    worker.join(20)
    assert outcome == [0]


def test_the_worker_log_keeps_spiffworkflow_state_changes_out(runtime):
    # basicConfig(INFO) on the root logger let hundreds of "State changed" lines a batch bury the worker's own.
    probe = ("import logging; from engine.cli import main; main(['worker', '--once'], standalone_mode=False); "
             "print(logging.getLogger('spiff.task').isEnabledFor(logging.INFO), "
             "logging.getLogger('engine.runtime.timers').isEnabledFor(logging.INFO))")
    env = dict(os.environ, OPSFLOW_DATABASE_URL=runtime.settings.database_url)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False True"
