"""What the reliability probes share: seeds, sizes (CI and long), and one completion race round, judged.

A round starts an expense claim, lets N contenders complete its manager's approval at once (half
approve, half reject, so the case shows whose data won) and then checks the outcome: exactly one winner,
every loser refused with the engine's sentence, one completion in the history, and the case going on as
the winner decided. The probes differ only in how contenders reach the engine (threads, processes, the
CLI, HTTP); docs/reliability.md lists them with their figures.
"""
import os
import random
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from engine.store.models import HumanTask, Timer
from tests.integrity import assert_whole

STARTER, MANAGER = "sales.tseng", "sales.yeh"
CLAIM = {"purpose": "Taxi to the supplier", "amount": 420, "spent_on": "2026-01-02"}
# A losing completion is refused as a conflict (engine error, CLI line or HTTP 409 page) with one of the
# engine's sentences (on the page, in the web's words): it found the task done, found it no longer waiting
# in the newer workflow, or lost the compare-and-set on the case.
REFUSAL = re.compile(r"^(Conflict|error \(conflict\)|409 Someone got there first): .*(already completed by"
                     r"|is no longer waiting|was changed by someone else|changed case #\d+ at the same moment)")


def seeded(name):
    """A random generator whose seed is printed (OPSFLOW_PROBE_SEED replays a run)."""
    seed = int(os.environ.get("OPSFLOW_PROBE_SEED") or random.SystemRandom().randrange(2**32))
    print(f"{name}: seed {seed} (rerun with OPSFLOW_PROBE_SEED={seed})")
    return random.Random(seed), seed


def sizes(ci, long):
    """Parameters for a probe's size: `ci` in every run, `long` only under `-m long`."""
    return [pytest.param(ci, id="ci"), pytest.param(long, id="long", marks=pytest.mark.long)]


@dataclass
class Attempt:
    """One contender's try: the decision it sent, whether it won, and the refusal it got otherwise."""

    decision: str
    won: bool
    refusal: str = ""


def new_round(runtime, contenders):
    """Start a claim; return (case id, the approval's task id, the decision of each contender)."""
    case = runtime.start("expense", STARTER, CLAIM)
    with runtime.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case))
    return case, task_id, [("approve", "reject")[n % 2] for n in range(contenders)]


def judge_round(runtime, case, task_id, attempts):
    """Fail unless one attempt won, the others were refused clearly, and the case went on as the winner said."""
    winners = [a for a in attempts if a.won]
    assert len(winners) == 1, f"case {case}: {len(winners)} winners among {attempts}"
    unclear = [a for a in attempts if not a.won and not REFUSAL.search(a.refusal)]
    assert not unclear, f"case {case}: losers without the clear refusal: {unclear}"
    view = runtime.case(case)
    completions = [e for e in view["history"] if e["kind"] == "task_completed" and e["task_id"] == task_id]
    assert len(completions) == 1, f"case {case}: {len(completions)} completions of the approval"
    decision = winners[0].decision
    assert completions[0]["data"]["form"]["decision"] == decision and view["data"]["decision"] == decision
    assert_whole(runtime, [case], f"after the race for case {case}")
    _goes_on(runtime, case, decision, view)


def _goes_on(runtime, case, decision, view):
    """Approved: the cooling-off timer waits. Rejected: the claimant revises, and the approval opens again."""
    if decision == "approve":
        with runtime.db.read() as session:
            waiting = session.scalars(select(Timer.task_id).where(Timer.case_id == case, Timer.kind == "bpmn",
                                                                  Timer.fired_at.is_(None))).all()
        assert view["tasks"] == [] and len(waiting) == 1, f"case {case}: {view['tasks']}, timers {waiting}"
        return
    [revise] = view["tasks"]
    assert (revise["task_key"], revise["assignee"]) == ("revise", STARTER)
    runtime.complete(revise["id"], STARTER, dict(CLAIM, amount=400))
    assert [t["task_key"] for t in runtime.case(case)["tasks"]] == ["approve"]
