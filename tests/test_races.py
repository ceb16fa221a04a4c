"""Races found on PostgreSQL: a claim against a completion of one task, and two deploys of one new content.

Each round ends with exactly one winner and a clear refusal (an engine error, never a traceback).
The short variants run in every `make test`; the long ones (`long` marker) run with `pytest -m long`.
"""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.config import Settings
from engine.errors import Conflict, Forbidden, OpsflowError
from engine.runtime.service import Runtime
from engine.store.models import HumanTask
from tests.conftest import PACKAGES, edition
from tests.test_runtime import CLAIM, approve, open_tasks

SHORT_ROUNDS, LONG_ROUNDS = 20, 200


def _twin(runtime):
    """A second runtime on the same database with its own pool and cache, as another process would have."""
    return Runtime(Settings(database_url=runtime.db.url), clock=runtime.clock)


def _unclaimed_pay_tasks(runtime, rounds):
    """`rounds` cases each waiting at the unclaimed finance role task `pay`; their task ids."""
    cases = [runtime.start("expense", "sales.tseng", CLAIM) for _ in range(rounds)]
    for case in cases:
        approve(runtime, case)
    runtime.clock.advance(timedelta(hours=1, seconds=1))
    while runtime.fire_due_timers():
        pass
    return [open_tasks(runtime, case)["pay"].id for case in cases]


def _race(actions):
    """Run the actions at the same moment in threads; each outcome is 'won' or the engine error it raised."""
    barrier, outcomes = threading.Barrier(len(actions)), [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            action()
            outcomes[index] = "won"
        except Exception as exc:  # a crash counts as a lost round, reported with the others
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def _holders(runtime, task_id):
    """[assignee] of the task's row while it is open, [] once it is gone."""
    with runtime.db.read() as session:
        return list(session.scalars(select(HumanTask.assignee).where(HumanTask.id == task_id)))


def _claim_complete_rounds(runtime, rounds):
    """Race fin.hsu's claim against fin.cheng's completion of one unclaimed task per round; check each round."""
    runtime.deploy([PACKAGES / "expense"])
    other = _twin(runtime)
    wrong = []
    try:
        for task_id in _unclaimed_pay_tasks(runtime, rounds):
            claim, done = _race([lambda t=task_id: runtime.claim(t, "fin.hsu"),
                                 lambda t=task_id: other.complete(t, "fin.cheng", {"payment_ref": "P-1"})])
            left = _holders(runtime, task_id)
            loser = done if claim == "won" else claim
            if ([claim, done].count("won") != 1 or not isinstance(loser, (Conflict, Forbidden))
                    or left != (["fin.hsu"] if claim == "won" else [])):
                wrong.append((claim, done, left))
    finally:
        other.db.dispose()
    assert wrong == [], f"{len(wrong)} of {rounds} rounds without exactly one winner: {wrong[:3]}"


def test_a_claim_racing_a_completion_of_one_task_has_one_winner(runtime):
    _claim_complete_rounds(runtime, SHORT_ROUNDS)


@pytest.mark.long
def test_a_claim_racing_a_completion_of_one_task_has_one_winner_in_many_rounds(runtime):
    _claim_complete_rounds(runtime, LONG_ROUNDS)


class ClaimMidway(ManualClock):
    """A clock that, the first time a completion reads it, lets a claim of the same task run to its end.

    The completion has read the task row by then; the claim is given a second to finish (on SQLite it waits
    for the completion's write lock instead, and is judged after the completion).
    """

    def __init__(self, claim, start):
        super().__init__(start)
        self.claim, self.armed, self.outcome = claim, False, None

    def now(self):
        if self.armed:
            self.armed = False
            worker = threading.Thread(target=self._claim)
            worker.start()
            worker.join(1)
        return super().now()

    def _claim(self):
        try:
            self.claim()
            self.outcome = "won"
        except OpsflowError as exc:
            self.outcome = exc


def test_a_claim_committed_while_a_completion_runs_makes_the_completion_fail(runtime):
    runtime.deploy([PACKAGES / "expense"])
    other = _twin(runtime)
    try:
        task_id = _unclaimed_pay_tasks(runtime, 1)[0]
        clock = ClaimMidway(lambda: other.claim(task_id, "fin.hsu"), runtime.clock.now())
        runtime.clock = clock
        clock.armed = True
        try:
            runtime.complete(task_id, "fin.cheng", {"payment_ref": "P-1"})
            done = "won"
        except Conflict as exc:
            done = exc
        for _ in range(200):
            if clock.outcome is not None:
                break
            threading.Event().wait(0.05)
        assert [clock.outcome, done].count("won") == 1, (clock.outcome, done)
        assert isinstance(clock.outcome if done == "won" else done, Conflict)
    finally:
        other.db.dispose()


def _deploy_rounds(runtime, tmp_path, rounds):
    """Two runtimes deploy the same new content at once, round after round: both get the one new version."""
    other = _twin(runtime)
    wrong = []
    try:
        for number in range(1, rounds + 1):
            folder = edition(PACKAGES / "minimal", tmp_path / f"edition{number}", number)
            results = [None, None]

            def deploy(index, deployer, folder=folder, results=results):
                results[index] = deployer.deploy([folder])[0]

            outcomes = _race([lambda: deploy(0, runtime), lambda: deploy(1, other)])
            if (outcomes != ["won", "won"] or [r["version"] for r in results] != [number, number]
                    or sorted(r["created"] for r in results) != [False, True]):
                wrong.append((outcomes, results))
    finally:
        other.db.dispose()
    assert wrong == [], f"{len(wrong)} of {rounds} rounds did not give both deployers one new version: {wrong[:2]}"
    assert [v["version"] for v in runtime.versions("minimal")] == list(range(rounds, 0, -1))


def test_two_deploys_of_the_same_new_content_both_name_one_new_version(runtime, tmp_path):
    _deploy_rounds(runtime, tmp_path, 10)


@pytest.mark.long
def test_two_deploys_of_the_same_new_content_in_many_rounds(runtime, tmp_path):
    _deploy_rounds(runtime, tmp_path, 100)
