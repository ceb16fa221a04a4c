"""Completion races, N contenders at once: through the engine in threads and in processes, and through
`opsflow complete` in separate processes. Exactly one wins, the others are refused clearly, the history
holds one completion and the case goes on as the winner decided (tests/probe_support.py judges a round)."""
import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat
from threading import Barrier

import pytest

from engine.clock import ManualClock
from engine.config import Settings
from engine.errors import OpsflowError
from engine.runtime.service import Runtime
from tests.conftest import PACKAGES
from tests.probe_support import MANAGER, Attempt, judge_round, new_round, sizes

# Rounds per contender count: a few in every run, hundreds under `-m long`.
ENGINE_ROUNDS = sizes({2: 5, 10: 3}, {2: 150, 10: 60})
CLI_ROUNDS = sizes({2: 1, 10: 1}, {2: 20, 10: 8})
# Imports first, then waits for the go line, then runs the real console script's `main` on its arguments.
CLI_LAUNCH = "import sys\nfrom webui.cli import main\nprint('ready', flush=True)\nsys.stdin.readline()\nmain()"


@pytest.fixture
def deployed(runtime):
    """A runtime with the expense package: the manager's approval is the raced task."""
    runtime.deploy([PACKAGES / "expense"])
    return runtime


def engine_attempt(runtime, task_id, decision, barrier):
    """Wait for every contender, then complete the approval through the runtime API."""
    barrier.wait()
    try:
        runtime.complete(task_id, MANAGER, {"decision": decision})
    except OpsflowError as exc:
        return Attempt(decision, False, f"{type(exc).__name__}: {exc}")
    return Attempt(decision, True)


@pytest.mark.parametrize("contenders", [2, 10])
@pytest.mark.parametrize("rounds", ENGINE_ROUNDS)
def test_threads_sharing_one_runtime_complete_a_task_once(deployed, contenders, rounds):
    with ThreadPoolExecutor(contenders) as pool:
        for _ in range(rounds[contenders]):
            case, task_id, decisions = new_round(deployed, contenders)
            barrier = repeat(Barrier(contenders))
            attempts = list(pool.map(engine_attempt, repeat(deployed), repeat(task_id), decisions, barrier))
            judge_round(deployed, case, task_id, attempts)


def _process_contender(url, jobs, results, barrier):
    """A contender process with its own runtime: one attempt per job until told to stop (None)."""
    runtime = Runtime(Settings(database_url=url), clock=ManualClock())
    while (job := jobs.get()) is not None:
        results.put(engine_attempt(runtime, *job, barrier))
    runtime.db.dispose()


@pytest.mark.parametrize("contenders", [2, 10])
@pytest.mark.parametrize("rounds", ENGINE_ROUNDS)
def test_processes_with_their_own_runtimes_complete_a_task_once(deployed, contenders, rounds):
    context = multiprocessing.get_context("fork")  # children inherit the parsed package: cheap to start
    barrier, results = context.Barrier(contenders), context.Queue()
    jobs = [context.Queue() for _ in range(contenders)]
    deployed.db.dispose()  # no pooled connection may be shared with the children
    procs = [context.Process(target=_process_contender, args=(deployed.db.url, q, results, barrier), daemon=True)
             for q in jobs]
    for proc in procs:
        proc.start()
    try:
        for _ in range(rounds[contenders]):
            case, task_id, decisions = new_round(deployed, contenders)
            for queue, decision in zip(jobs, decisions, strict=True):
                queue.put((task_id, decision))
            judge_round(deployed, case, task_id, [results.get(timeout=60) for _ in decisions])
    finally:
        for queue in jobs:
            queue.put(None)
        for proc in procs:
            proc.join(30)


def cli_attempts(url, folder, task_id, decisions):
    """Run one `opsflow complete` process per decision, released together once all have imported."""
    env = dict(os.environ, OPSFLOW_DATABASE_URL=url)
    procs = [subprocess.Popen([sys.executable, "-c", CLI_LAUNCH, "complete", task_id, "--as", MANAGER,
                               "--data", json.dumps({"decision": d})], cwd=folder, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for d in decisions]
    for proc in procs:
        assert proc.stdout.readline() == "ready\n"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return [_cli_attempt(proc, d) for proc, d in zip(procs, decisions, strict=True)]


def _cli_attempt(proc, decision):
    """A CLI contender's outcome: exit 0 with the completion line, or exit 1 with one refusal line."""
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0 and out.startswith("completed "):
        return Attempt(decision, True)
    lines = err.splitlines()
    one_line = proc.returncode == 1 and len(lines) == 1 and not out
    return Attempt(decision, False, lines[0] if one_line else f"exit {proc.returncode}: {out!r} {err!r}")


@pytest.mark.parametrize("contenders", [2, 10])
@pytest.mark.parametrize("rounds", CLI_ROUNDS)
def test_opsflow_complete_processes_complete_a_task_once(deployed, tmp_path, contenders, rounds):
    for _ in range(rounds[contenders]):
        case, task_id, decisions = new_round(deployed, contenders)
        judge_round(deployed, case, task_id, cli_attempts(deployed.db.url, tmp_path, task_id, decisions))
