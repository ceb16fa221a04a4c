"""Racing writers: of two completions of one task exactly one wins, in threads and in processes."""
import multiprocessing
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.config import Settings
from engine.errors import Conflict
from engine.runtime.service import Runtime
from engine.store.models import Event, Timer
from tests.conftest import PACKAGES, fresh_postgres_schema, make_runtime, postgres_or_skip
from tests.test_runtime import CLAIM, open_tasks


@pytest.fixture
def deployed(runtime):
    """Runtime with the expense package deployed."""
    runtime.deploy([PACKAGES / "expense"])
    return runtime


def _attempt(runtime, task_id, decision, barrier):
    """Wait for the other racer, then try to complete: 'won' or 'conflict: reason'."""
    barrier.wait()
    try:
        runtime.complete(task_id, "sales.yeh", {"decision": decision})
        return "won"
    except Conflict as exc:
        return f"conflict: {exc}"


def _complete_in_process(url, task_id, decision, barrier, results):
    """Child process: a brand-new runtime races to complete the task."""
    runtime = Runtime(Settings(database_url=url), clock=ManualClock())
    try:
        results.put(_attempt(runtime, task_id, decision, barrier))
    finally:
        runtime.db.dispose()


def _completions(runtime, case):
    """task_completed events of a case."""
    return [e for e in runtime.case(case)["history"] if e["kind"] == "task_completed"]


def test_two_threads_completing_one_task_exactly_one_wins(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    task_id = open_tasks(deployed, case)["approve"].id
    barrier, outcomes = threading.Barrier(2), []

    threads = [threading.Thread(target=lambda d=d: outcomes.append(_attempt(deployed, task_id, d, barrier)))
               for d in ("approve", "reject")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "won"]
    assert len(_completions(deployed, case)) == 1


def test_two_processes_completing_one_task_exactly_one_wins(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    task_id = open_tasks(deployed, case)["approve"].id
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    procs = [context.Process(target=_complete_in_process, args=(deployed.db.url, task_id, d, barrier, results))
             for d in ("approve", "reject")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = sorted(results.get(timeout=5).split(":")[0] for _ in procs)
    assert outcomes == ["conflict", "won"]
    assert len(_completions(deployed, case)) == 1


def _fire_worker(url, now, results):
    """Child process: a worker fires every due timer it can claim."""
    runtime = Runtime(Settings(database_url=url, worker_batch=25), clock=ManualClock(now))
    fired = 0
    while True:
        count = runtime.fire_due_timers()
        fired += count
        if count == 0:
            break
    results.put(fired)
    runtime.db.dispose()


@pytest.mark.postgres
def test_four_workers_fire_500_timers_each_exactly_once(clock):
    url, drop = fresh_postgres_schema(postgres_or_skip())
    try:
        deployed = make_runtime(url, clock)
        deployed.deploy([PACKAGES / "wait"])
        cases = [deployed.start("wait", "sales.lu", {}) for _ in range(500)]
        due_time = clock.now() + timedelta(hours=1, seconds=1)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        workers = [context.Process(target=_fire_worker, args=(url, due_time, results)) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(300)
        fired = [results.get(timeout=5) for _ in workers]
        assert sum(fired) == 500
        with deployed.db.read() as s:
            events = s.scalars(select(Event.case_id).where(Event.kind == "timer_fired")).all()
            pending = s.scalars(select(Timer.id).where(Timer.fired_at.is_(None))).all()
        assert sorted(events) == sorted(cases) and pending == []
        assert {deployed.case(c)["status"] for c in cases[:20]} == {"completed"}
        deployed.db.dispose()
    finally:
        drop()

