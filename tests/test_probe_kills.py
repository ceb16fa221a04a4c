"""kill -9 in the middle of commands: a child process starts cases, completes tasks and fires timers without
pause and is SIGKILLed after a random delay (seeded, the seed printed). Afterwards every case it touched
and every running case passes tests/integrity.py, the interrupted command happened entirely or not at all,
and a command that did not happen succeeds when retried; at the end every case is checked once more."""
import json
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from engine.clock import ManualClock
from engine.config import Settings
from engine.errors import Conflict
from engine.runtime.service import Runtime
from engine.store.models import CaseRecord, Event, HumanTask, Timer
from tests.conftest import PACKAGES, make_runtime
from tests.integrity import assert_whole, problems
from tests.probe_support import CLAIM, STARTER, seeded, sizes

FINANCE = "fin.hsu"  # pays claims (the `pay` task waits for any holder of the finance role)
# Kills that must land while a command runs: at least 50 on PostgreSQL in every run.
KILLS = sizes({"postgres": 50, "sqlite": 15}, {"postgres": 200, "sqlite": 100})
RUNNING_CASES = 6  # the child starts a case only while fewer run, so each check stays small


def pick(runtime, rng, marker):
    """The next command: start a case, complete an open task, or fire the next due timer."""
    with runtime.db.read() as session:
        running = session.scalar(select(func.count()).select_from(CaseRecord).where(CaseRecord.status == "running"))
        tasks = session.execute(select(HumanTask.id, HumanTask.case_id, HumanTask.task_key, HumanTask.assignee)
                                .order_by(HumanTask.id)).all()
        due = session.execute(select(Timer.id, Timer.case_id).where(
            Timer.fired_at.is_(None), Timer.due_at <= runtime.clock.now()).order_by(Timer.due_at, Timer.id)).first()
    options = ["start"] if running < RUNNING_CASES else []
    options += ["complete"] * bool(tasks) * 2 + ["fire"] * bool(due) * 2
    op = rng.choice(options or ["start"])
    if op == "start":
        process = rng.choice(["expense", "expense", "deadline"])
        data = dict(CLAIM, purpose=marker) if process == "expense" else {"note": marker}
        return {"op": op, "process": process, "data": data, "marker": marker}
    if op == "fire":
        return {"op": op, "timer": due.id, "case": due.case_id}
    task = rng.choice(tasks)
    return {"op": op, "task": task.id, "case": task.case_id, "user": task.assignee or FINANCE,
            "data": form_for(task.task_key, rng, marker)}


def form_for(task_key, rng, marker):
    """Valid form data for each step of the probe's two procedures."""
    return {"approve": {"decision": rng.choice(["approve", "approve", "reject"])}, "revise": CLAIM,
            "pay": {"payment_ref": marker}, "confirm": {"confirmed": True}}[task_key]


def run(runtime, command):
    """Carry out a command through the runtime API."""
    if command["op"] == "start":
        return runtime.start(command["process"], STARTER, command["data"])
    if command["op"] == "complete":
        return runtime.complete(command["task"], command["user"], command["data"])
    return runtime.fire_due_timers(limit=1)


def churn(url, seed, now, pipe):
    """The child: say ready, then announce each command before it runs and report it once it returns."""
    runtime = Runtime(Settings(database_url=url), clock=ManualClock(now))
    runtime.ping()

    def say(message):
        os.write(pipe, (json.dumps(message) + "\n").encode())  # unbuffered: whatever was said is read

    say({"ready": True})
    rng = random.Random(seed)
    for n in range(10**6):
        command = pick(runtime, rng, f"kill probe {seed}-{n}")
        say({"intent": command})
        run(runtime, command)
        say({"done": n})


def kill_midway(runtime, seed, now, delay):
    """Run a churning child and SIGKILL it after `delay` seconds.

    Returns (the command it was in, or None when the kill fell between commands; the cases it named)."""
    runtime.db.dispose()  # the child must not share a pooled connection
    read_end, write_end = os.pipe()
    child = multiprocessing.get_context("fork").Process(target=churn, args=(runtime.db.url, seed, now, write_end))
    child.start()
    os.close(write_end)
    with os.fdopen(read_end) as messages:
        assert json.loads(messages.readline() or "{}").get("ready"), f"child {seed} never got ready"
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        lines = [json.loads(line) for line in messages.read().splitlines() if line.endswith("}")]
    assert child.exitcode == -signal.SIGKILL, f"child {seed} stopped by itself (exit {child.exitcode})"
    pending = [m["intent"] for m in lines if "intent" in m]
    finished = [m for m in lines if "done" in m]
    return pending[-1] if len(pending) > len(finished) else None, {c.get("case") for c in pending}


def happened(runtime, command):
    """How many times the interrupted command took effect (0 or 1 are the only acceptable answers)."""
    with runtime.db.read() as session:
        if command["op"] == "fire":
            return int(session.scalar(select(Timer.fired_at).where(Timer.id == command["timer"])) is not None)
        if command["op"] == "complete":
            return session.scalar(select(func.count()).select_from(Event).where(
                Event.kind == "task_completed", Event.task_id == command["task"]))
        starts = session.scalars(select(Event.data).where(Event.kind == "case_started")).all()
    return sum(command["marker"] in (d["form"].get("purpose"), d["form"].get("note")) for d in starts)


def retry(runtime, command, done):
    """A command that did not happen succeeds now; a completion that did is refused as already done."""
    if not done:
        run(runtime, command)
        assert happened(runtime, command) == 1, f"retried {command} but it did not take effect"
    elif command["op"] == "complete":
        with pytest.raises(Conflict, match="already completed"):
            run(runtime, command)


def running_cases(runtime):
    """Ids of the cases still running."""
    with runtime.db.read() as session:
        return set(session.scalars(select(CaseRecord.id).where(CaseRecord.status == "running")))


def test_the_integrity_checker_names_each_half_written_part(runtime, clock):
    runtime.deploy([PACKAGES / "expense", PACKAGES / "wait"])
    claim, wait = runtime.start("expense", STARTER, CLAIM), runtime.start("wait", STARTER, {})
    assert problems(runtime) == []
    with runtime.db.write() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == claim))
        session.execute(delete(HumanTask).where(HumanTask.id == task_id))
        session.execute(insert(Event).values(case_id=claim, at=clock.now(), kind="task_completed", data={}))
        session.execute(update(Timer).where(Timer.case_id == wait).values(fired_at=clock.now()))
    found = problems(runtime)
    assert any(f"case {claim}: open task rows []" in line for line in found), found
    assert any(f"case {claim}: lock version 1 but 2 saving events" in line for line in found), found
    assert any(f"case {wait}: pending timer rows {{}}" in line for line in found), found
    assert any(f"case {wait}: fired timer rows" in line for line in found), found


@pytest.mark.parametrize("kills", KILLS)
def test_kill_minus_nine_mid_command_leaves_every_case_whole(db_url, clock, kills):
    wanted = kills["postgres" if db_url.startswith("postgresql") else "sqlite"]
    runtime = make_runtime(db_url, clock)
    runtime.deploy([PACKAGES / "expense", PACKAGES / "deadline"])
    rng, seed = seeded("kill -9 probe")
    tally, attempts = Counter(), 0
    while tally["mid-command"] < wanted:
        attempts += 1
        assert attempts <= 4 * wanted, f"only {tally['mid-command']} of {attempts - 1} kills hit a command"
        clock.advance(timedelta(hours=rng.choice([1, 6, 24])))  # timers and SLAs fall due as days pass
        command, touched = kill_midway(runtime, rng.randrange(2**31), clock.now(), rng.uniform(0, 0.15))
        if command is not None:
            done = happened(runtime, command)
            assert done in (0, 1), f"seed {seed}: {command} took effect {done} times"
            tally["mid-command"] += 1
            tally[f"{command['op']} {'done' if done else 'undone'}"] += 1
        assert_whole(runtime, sorted((touched | running_cases(runtime)) - {None}), f"seed {seed}, {command}")
        if command is not None:
            retry(runtime, command, done)
    print(f"kill -9 probe on {runtime.db.engine.dialect.name}: {attempts} kills, {dict(tally)}")
    assert_whole(runtime, context=f"seed {seed}")
    runtime.db.dispose()
