"""Who may act on a step: every procedure's every user task, walked as every demo user, on both databases.

Each scenario of each package is played; before every step, each open task not yet walked is tried
by all 22 demo users: claim and complete must be refused to everyone who may not take it, reassign
to everyone but the procedure's supervisors, and a supervisor may hand it to nobody outside the
step's eligible set. That set itself must keep the manifest's rules (exclusions, four eyes, personal
tasks, role pools), checked here from the manifest and the case history, not from the engine.
"""
import shutil
from datetime import timedelta

import pytest
import yaml

from engine.definitions import find_packages
from engine.errors import Conflict, Forbidden, NotFound, NotReady
from engine.scenarios import make_runtime, org_file_for, run_file, scenario_files
from tests.conftest import ORG_FILE, PROCESSES, fresh_postgres_schema, postgres_or_skip
from tests.conftest import PACKAGES as TEST_PACKAGES

ORG = yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))
USERS = {u["username"]: set(u.get("roles") or []) for u in ORG["users"]}
PACKAGES = find_packages([PROCESSES])
REFUSED = (Forbidden, NotFound, Conflict, NotReady)


def supervisors(manifest):
    """The demo users who supervise a procedure (the rule written out again, not the engine's)."""
    secret = manifest.get("confidential")
    watchers = set(secret.get("roles") or []) if secret is not None else (
        set(manifest.get("supervisor_roles") or []) | {manifest["owner_role"], "admin"})
    return sorted(u for u, roles in USERS.items() if roles & watchers)


class Walk:
    """Tries every open task of a case as every demo user, once per task key; counts what it tried."""

    def __init__(self, runtime, manifest):
        self.runtime, self.manifest = runtime, manifest
        self.bosses = supervisors(manifest)
        self.walked, self.tries, self.released = set(), 0, 0

    def __call__(self, case_id):
        """Walk the case's open tasks whose step was not walked yet; a held one also as if given back."""
        for task in self.runtime.case(case_id)["tasks"]:
            if task["task_key"] not in self.walked:
                self.walked.add(task["task_key"])
                self.walk(case_id, task)
                holder = task["assignee"]
                if holder and self.runtime.task_actions(task["id"], holder)["can_release"]:
                    self.runtime.release(task["id"], holder)
                    self.walk(case_id, dict(task, assignee=None))
                    self.runtime.claim(task["id"], holder)
                    self.released += 1

    def walk(self, case_id, task):
        """One task as every user: the eligible set keeps the rules; nobody outside it gets anything done."""
        eligible = {p["username"] for p in self.runtime.candidates(task["id"], self.bosses[0])}
        self.check_rules(case_id, task, eligible)
        for user in USERS:
            may_take = task["assignee"] == user or (task["assignee"] is None and user in eligible)
            if may_take:
                assert self.runtime.task_actions(task["id"], user)["can_complete"], (task["task_key"], user)
                continue
            self.refused(self.runtime.claim, task["id"], user)
            self.refused(self.runtime.complete, task["id"], user, {})
            if user not in self.bosses:
                self.refused(self.runtime.reassign, task["id"], user, user)
        for target in set(USERS) - eligible:
            self.refused(self.runtime.reassign, task["id"], self.bosses[0], target)

    def refused(self, action, *args):
        """The action must fail with a refusal (never succeed, never reach form validation)."""
        self.tries += 1
        with pytest.raises(REFUSED):
            action(*args)

    def check_rules(self, case_id, task, eligible):
        """The eligible set against the manifest: exclusions, four eyes, personal steps, role pools."""
        entry = self.manifest["tasks"][task["task_key"]]
        case = self.runtime.case(case_id)
        where = f"{task['task_key']} of case {case_id}: eligible {sorted(eligible)}"
        if "starter" in (entry.get("exclude") or []):
            assert case["starter"] not in eligible, where
        done = {(e["task_key"], e["actor"]) for e in case["history"] if e["kind"] == "task_completed"}
        for group in self.manifest.get("separate_duties") or []:
            if task["task_key"] in group:
                assert not {actor for key, actor in done if key in group and key != task["task_key"]} & eligible, where
        if entry.get("assignee") and "candidates" not in entry:
            assert eligible <= {task["assignee"]}, where
        if not entry.get("assignee") and "candidates" not in entry:
            assert all(task["role"] in USERS[u] for u in eligible), where


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request):
    """None (a SQLite file) or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
        return
    url, drop = fresh_postgres_schema(postgres_or_skip())
    yield url
    drop()


@pytest.mark.slow
@pytest.mark.parametrize("package_dir", PACKAGES, ids=[p.name for p in PACKAGES])
def test_nobody_outside_a_steps_eligible_set_can_claim_complete_or_reassign_it(package_dir, backend_url, tmp_path):
    runtime = make_runtime(tmp_path, backend_url)
    runtime.load_org(org_file_for(package_dir))
    runtime.deploy([package_dir])
    manifest = next(d["manifest"] for d in runtime.definitions())
    walk = Walk(runtime, manifest)
    for path in scenario_files(package_dir):
        result = run_file(runtime, package_dir, path, watch=walk)
        assert result.passed, result.line()
    assert walk.walked == set(manifest["tasks"]), f"steps no scenario opened: {set(manifest['tasks']) - walk.walked}"
    assert walk.tries > 20 * len(walk.walked)
    runtime.db.dispose()


PURCHASE = {"title": "Display stands for the trade fair", "category": "office", "needed_by": "2027-03-01",
            "justification": "The old stands broke at the last fair.", "currency": "TWD",
            "items": [{"description": "Folding display stand", "quantity": 2, "unit": "pcs", "unit_price": 4000}]}


def open_task(runtime, case, key):
    """The case's one open task with BPMN id `key`."""
    return next(t for t in runtime.case(case)["tasks"] if t["task_key"] == key)


def test_an_unrelated_head_never_gets_a_sales_purchase_approval(procurement):
    runtime = procurement
    case = runtime.start("procurement", "sales.tseng", PURCHASE)
    task = open_task(runtime, case, "approve_department_head")
    assert task["assignee"] == "sales.yeh"
    runtime.release(task["id"], "sales.yeh")  # hands it to the stand-in (the head's manager), not to every head
    for head in ("hr.liu", "fin.kuo", "wh.chiu", "it.chang", "proc.hsieh"):
        assert task["id"] not in [t["id"] for t in runtime.inbox(head)["tasks"]]
        with pytest.raises(REFUSED):
            runtime.claim(task["id"], head)
        with pytest.raises(Forbidden, match="may not do step"):
            runtime.reassign(task["id"], "ops.wang", head)
    assert [p["username"] for p in runtime.candidates(task["id"], "ops.wang")] == ["ceo.lee", "sales.yeh"]
    runtime.claim(task["id"], "ceo.lee")


def test_only_the_requester_may_revise_or_withdraw(procurement):
    runtime = procurement
    case = runtime.start("procurement", "sales.tseng", PURCHASE)
    runtime.complete(open_task(runtime, case, "approve_department_head")["id"], "sales.yeh",
                {"head_decision": "reject", "head_comment": "Ask again after the budget review."})
    revise = open_task(runtime, case, "revise_request")
    with pytest.raises(NotReady, match="nobody else may take"):
        runtime.release(revise["id"], "sales.tseng")
    for clerk in ("wh.kao", "sales.lu", "proc.lai"):
        with pytest.raises(REFUSED):
            runtime.complete(revise["id"], clerk, {"revision_action": "withdraw"})
    assert runtime.candidates(revise["id"], "ops.wang") == [{"username": "sales.tseng", "name": "Tseng Kuan-ting",
                                                        "department": "sales"}]


def test_nobody_approves_their_own_request(procurement):
    runtime = procurement
    big = dict(PURCHASE, items=[dict(PURCHASE["items"][0], description="Electric forklift", unit_price=250_000)])
    case = runtime.start("procurement", "fin.hsu", big)
    runtime.complete(open_task(runtime, case, "approve_department_head")["id"], "fin.kuo", {"head_decision": "approve"})
    runtime.complete(open_task(runtime, case, "approve_operations_manager")["id"], "ops.wang",
                     {"ops_decision": "approve"})
    finance = open_task(runtime, case, "approve_finance")
    assert finance["id"] not in [t["id"] for t in runtime.inbox("fin.hsu")["tasks"]]
    for action in (runtime.claim, runtime.task):
        with pytest.raises(NotFound):  # the requester sees her case, not a step she may never do
            action(finance["id"], "fin.hsu")
    assert {p["username"] for p in runtime.candidates(finance["id"], "ops.wang")} == {"fin.kuo", "fin.cheng"}
    runtime.complete(finance["id"], "fin.cheng", {"finance_decision": "approve"})
    history = runtime.case(case)["history"]
    assert [e["actor"] for e in history if e["task_key"] == "approve_finance" and e["kind"] == "task_completed"] \
        == ["fin.cheng"]


def test_an_escalation_never_lands_on_someone_excluded(runtime, tmp_path):
    package = tmp_path / "expense"
    shutil.copytree(TEST_PACKAGES / "expense", package)
    manifest = package / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "on_breach: {escalate_to: manager_of(assignee)}", "on_breach: {escalate_to: starter}"), encoding="utf-8")
    runtime.deploy([package])
    case = runtime.start("expense", "sales.tseng", {"purpose": "Taxi", "amount": 300})
    runtime.clock.advance(timedelta(days=3))
    runtime.fire_due_timers()
    assert open_task(runtime, case, "approve")["assignee"] == "sales.yeh"
    failed = [e for e in runtime.case(case)["history"] if e["kind"] == "assignment_failed"]
    assert failed[-1]["data"] == {"expression": "starter", "result": "sales.tseng",
                                  "reason": "excluded from this step"}


def test_doing_one_of_two_parallel_steps_kept_apart_hands_back_the_other(runtime, tmp_path):
    package = tmp_path / "supplier-evaluation"
    shutil.copytree(PROCESSES / "supplier-evaluation", package)
    manifest = package / "process.yaml"
    text = manifest.read_text(encoding="utf-8").replace("  Warehouse: warehouse\n", "  Warehouse: procurement\n")
    manifest.write_text(text + "separate_duties:\n  - [score_commercial, score_operational]\n", encoding="utf-8")
    runtime.deploy([package])
    scenario = yaml.safe_load(next((package / "scenarios").glob("01-*.yaml")).read_text(encoding="utf-8"))
    case = runtime.start("supplier-evaluation", "proc.lai", scenario["start"]["data"])
    operational = open_task(runtime, case, "score_operational")["id"]
    runtime.claim(operational, "proc.lai")  # allowed: proc.lai has done neither step yet
    commercial = next(s for s in scenario["steps"] if s.get("complete") == "score_commercial")
    runtime.complete(open_task(runtime, case, "score_commercial")["id"], "proc.lai", commercial["data"])
    assert open_task(runtime, case, "score_operational")["assignee"] is None
    with pytest.raises(REFUSED):
        runtime.claim(operational, "proc.lai")
    assert operational in [t["id"] for t in runtime.inbox("proc.chou")["tasks"]]
    assert operational not in [t["id"] for t in runtime.inbox("proc.lai")["tasks"]]
    event = runtime.case(case)["history"][-1]
    assert (event["kind"], event["task_id"], event["data"]) == ("task_unassigned", operational, {"was": "proc.lai"})
