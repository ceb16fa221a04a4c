"""Timer workers SIGKILLed while firing: three `opsflow worker` processes fire hundreds of due timers and SLA
breaches; one of them (seeded choice, random moment after its first poll) is killed and replaced, again and
again. In the end every timer fired exactly once and every missed due date was recorded exactly once."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.store.models import CaseRecord, Event, HumanTask, Timer, WorkerHeartbeat
from tests.conftest import PACKAGES, fresh_postgres_schema, make_runtime, postgres_or_skip
from tests.integrity import assert_whole
from tests.probe_support import CLAIM, STARTER, seeded

# Database, cases per procedure, kills that must hit a worker while timers are due: in every run on
# PostgreSQL (where workers claim with SKIP LOCKED), and under `-m long` on both databases.
LONG = [pytest.mark.long]
WORKERS = 3  # firing side by side; while a replacement starts up, the others can still be killed
RUNS = [pytest.param("postgres", 150, 6, id="postgres-ci", marks=pytest.mark.postgres),
        pytest.param("postgres", 400, 30, id="postgres-long", marks=[*LONG, pytest.mark.postgres]),
        pytest.param("sqlite", 400, 15, id="sqlite-long", marks=LONG)]
# Started this long ago, so by the real clock the workers read: the wait's one-hour timer is due; the
# deadline's one-hour SLA is due but not its two-hour boundary timer; the expense approval's two-day SLA
# is due and escalates to the manager's manager.
AGES = {"wait": timedelta(hours=2), "deadline": timedelta(minutes=90), "expense": timedelta(days=3)}
FORMS = {"wait": {}, "deadline": {}, "expense": CLAIM}
EXPECTED = {"wait": {"timer_fired": 1, "sla_breached": 0, "task_escalated": 0},
            "deadline": {"timer_fired": 0, "sla_breached": 1, "task_escalated": 0},
            "expense": {"timer_fired": 0, "sla_breached": 1, "task_escalated": 1}}


@pytest.fixture
def database(request, tmp_path):
    """A SQLite file or a private PostgreSQL schema, as the test's `backend` parameter asks."""
    if request.node.callspec.params["backend"] == "sqlite":
        yield f"sqlite:///{tmp_path / 'opsflow.db'}"
        return
    url, drop = fresh_postgres_schema(postgres_or_skip())
    yield url
    drop()


@pytest.fixture
def long_ago(database, clock):
    """A runtime with the three procedures, and start(count): that many cases of each, started long ago."""
    runtime = make_runtime(database, clock)
    runtime.deploy([PACKAGES / key for key in AGES])

    def start(count):
        for key, age in AGES.items():
            runtime.clock = ManualClock(datetime.now(UTC) - age)
            for _ in range(count):
                runtime.start(key, STARTER, FORMS[key])
        runtime.clock = clock

    yield runtime, start
    runtime.db.dispose()


def spawn(url, log):
    """An `opsflow worker` process polling often, in small batches, its output appended to `log`."""
    env = dict(os.environ, OPSFLOW_DATABASE_URL=url, OPSFLOW_WORKER_POLL_SECONDS="0.1", OPSFLOW_WORKER_BATCH="5")
    with open(log, "a") as out:
        return subprocess.Popen([sys.executable, "-m", "webui.cli", "worker"], env=env, cwd=log.parent,
                                stdout=out, stderr=subprocess.STDOUT)


def due_now(runtime):
    """Timers due by the real clock that have not fired."""
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(Timer).where(
            Timer.fired_at.is_(None), Timer.due_at <= datetime.now(UTC)))


def polled(runtime, pid):
    """True once the worker process has finished a poll (its heartbeat row exists)."""
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(WorkerHeartbeat).where(WorkerHeartbeat.pid == pid)) > 0


def wait_for(condition, what, seconds=120):
    """Poll until `condition` holds; fail naming `what` otherwise."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def kill_while_firing(runtime, workers, rng, spawn_one):
    """SIGKILL a worker that has polled, at a random moment, and replace it; True if timers were still due."""
    wait_for(lambda: any(polled(runtime, w.pid) for w in workers) or not due_now(runtime), "a worker's first poll")
    ready = [n for n, w in enumerate(workers) if polled(runtime, w.pid)]
    if not ready:
        return False
    index = rng.choice(ready)
    time.sleep(rng.uniform(0, 0.3))
    firing = due_now(runtime) > 0
    workers[index].send_signal(signal.SIGKILL)
    workers[index].wait(30)
    workers[index] = spawn_one()
    return firing


def tail(log):
    """The worker log's last lines, without SpiffWorkflow's state-change chatter."""
    lines = [line for line in log.read_text().splitlines() if "State changed" not in line]
    return "\n".join(lines[-80:])


def history_counts(runtime):
    """{case id: (procedure, Counter of event kinds)}."""
    with runtime.db.read() as session:
        keys = dict(session.execute(select(CaseRecord.id, CaseRecord.process_key)).all())
        counts = {case: Counter() for case in keys}
        for case, kind in session.execute(select(Event.case_id, Event.kind)):
            counts[case][kind] += 1
    return {case: (keys[case], counts[case]) for case in keys}


@pytest.mark.parametrize(("backend", "cases", "wanted"), RUNS)
def test_timers_fire_exactly_once_through_worker_kills(backend, cases, wanted, long_ago, tmp_path):
    runtime, start = long_ago
    start(cases)
    rng, seed = seeded("worker kill probe")
    log = tmp_path / "workers.log"
    workers = [spawn(runtime.db.url, log) for _ in range(WORKERS)]
    kills = Counter()
    try:
        while kills["while due"] < wanted and due_now(runtime):
            kills["while due" if kill_while_firing(runtime, workers, rng, lambda: spawn(runtime.db.url, log))
                  else "after the last"] += 1
        wait_for(lambda: not due_now(runtime), "the survivors to fire what is due")
    finally:
        for worker in workers:  # killed too: this probe is about kills (TERM is test_serve's and the CLI's)
            worker.kill()
            worker.wait(30)
    print(f"worker kill probe on {runtime.db.engine.dialect.name}: {3 * cases} due timers, {dict(kills)}")
    assert "Traceback" not in log.read_text(), tail(log)
    wrong = {case: (key, dict(counts)) for case, (key, counts) in history_counts(runtime).items()
             if any(counts[kind] != n for kind, n in EXPECTED[key].items())}
    assert wrong == {}, f"seed {seed}: cases whose timers did not fire exactly once: {wrong}"
    assert_whole(runtime, context=f"seed {seed}")
    with runtime.db.read() as session:
        escalated = set(session.scalars(select(HumanTask.assignee).where(HumanTask.process_key == "expense")))
    assert escalated == {"ceo.lee"}  # the manager's manager, once
    assert kills["while due"] >= wanted, f"seed {seed}: timers ran out after {dict(kills)}; start more cases"
