"""A personal step that went to nobody: it is listed for the procedure's supervisors, says why, and a
supervisor hands it to someone who may do the step (never to an outsider or an excluded person)."""
import shutil

import pytest
from sqlalchemy import select

from engine.errors import Forbidden, NotFound, NotReady
from engine.store.models import HumanTask, User
from tests.conftest import PACKAGES

CLAIM = {"purpose": "Taxi to the supplier", "amount": 420, "spent_on": "2026-01-02"}
HEADS = {"ceo.lee", "ops.wang", "hr.liu", "fin.kuo", "it.chang", "proc.hsieh", "wh.chiu", "sales.yeh"}


@pytest.fixture
def deployed(runtime, tmp_path):
    """The expense package without stand-ins: the manager's approval goes to the manager or to nobody."""
    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    manifest = package / "process.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("    candidates: '[] if assignee else users_with_role(\"department-head\")'\n", "")
    manifest.write_text(text.replace("exclude: [starter]", "exclude: [starter, \"'hr.liu'\"]"), encoding="utf-8")
    runtime.deploy([package])
    return runtime


def approval(runtime, case):
    """The open approval task row of a case."""
    with runtime.db.read() as session:
        return session.execute(select(HumanTask).where(HumanTask.case_id == case)).scalar_one()


def failures(runtime, case):
    """The data of the case's assignment_failed events."""
    return [e["data"] for e in runtime.case(case)["history"] if e["kind"] == "assignment_failed"]


def stuck_case(runtime, how):
    """A claim whose approval goes to nobody: the starter has no manager, or the manager has left."""
    if how == "inactive":
        with runtime.db.write() as session:
            session.get(User, "sales.yeh").active = False
    return runtime.start("expense", "ceo.lee" if how == "nobody" else "sales.tseng", CLAIM)


@pytest.mark.parametrize("how,failure", [
    ("nobody", {"expression": "manager_of(starter)", "result": None}),
    ("inactive", {"expression": "manager_of(starter)", "result": "'sales.yeh'"}),
])
def test_a_step_that_went_to_nobody_waits_for_a_supervisor_and_says_why(deployed, how, failure):
    case = stuck_case(deployed, how)
    task = approval(deployed, case)
    assert (task.assignee, task.pool) == (None, "people")
    assert failures(deployed, case) == [failure]
    for head in HEADS - {"sales.yeh"}:
        assert task.id not in [t["id"] for t in deployed.inbox(head)["tasks"]]
        with pytest.raises((NotFound, Forbidden)):
            deployed.claim(task.id, head)
    listed = deployed.stuck_tasks("ops.wang")
    assert listed["total"] == 1 and [t["id"] for t in listed["tasks"]] == [task.id]
    assert deployed.stuck_tasks("sales.lu")["total"] == 0
    repair = deployed.assignment_repair(task.id, "ops.wang")
    assert repair["failure"] == failure
    starter = "ceo.lee" if how == "nobody" else "sales.tseng"
    expected = HEADS - {starter, "hr.liu"} - ({"sales.yeh"} if how == "inactive" else set())
    assert {p["username"] for p in repair["targets"]} == expected


def test_a_supervisor_assigns_a_stuck_task_to_a_role_holder_and_it_is_recorded(deployed):
    case = stuck_case(deployed, "nobody")
    task_id = approval(deployed, case).id
    with pytest.raises(NotFound):  # a head who is not a supervisor does not even see the task
        deployed.repair_assignment(task_id, "sales.yeh", "fin.kuo")
    for outsider in ("sales.lu", "ceo.lee", "hr.liu"):  # not a head; the starter; excluded
        with pytest.raises(Forbidden, match=f"{outsider} may not do step approve"):
            deployed.repair_assignment(task_id, "ops.wang", outsider)
    with pytest.raises(NotFound):
        deployed.repair_assignment(task_id, "ops.wang", "nobody.here")
    deployed.repair_assignment(task_id, "ops.wang", "fin.kuo")
    assert approval(deployed, case).assignee == "fin.kuo"
    event = deployed.case(case)["history"][-1]
    assert (event["kind"], event["actor"], event["data"]) == ("assignment_repaired", "ops.wang",
                                                              {"assignee": "fin.kuo", "was": None})
    assert deployed.stuck_tasks("ops.wang")["total"] == 0 and deployed.assignment_repair(task_id, "ops.wang") is None
    with pytest.raises(NotReady):
        deployed.repair_assignment(task_id, "ops.wang", "it.chang")
    deployed.complete(task_id, "fin.kuo", {"decision": "approve"})


def test_an_excluded_assignee_leaves_the_step_to_a_supervisor(deployed):
    with deployed.db.write() as session:
        session.get(User, "sales.tseng").manager = "hr.liu"  # a head, but excluded from this step
    case = deployed.start("expense", "sales.tseng", CLAIM)
    assert failures(deployed, case) == [{"expression": "manager_of(starter)", "result": "hr.liu",
                                   "reason": "excluded from this step"}]
    task_id = approval(deployed, case).id
    assert "hr.liu" not in {p["username"] for p in deployed.assignment_repair(task_id, "ops.wang")["targets"]}
    deployed.repair_assignment(task_id, "ops.wang", "sales.yeh")
    deployed.complete(task_id, "sales.yeh", {"decision": "approve"})


def test_a_task_someone_may_take_is_not_offered_for_repair(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    task_id = approval(deployed, case).id
    assert deployed.assignment_repair(task_id, "ops.wang") is None and deployed.stuck_tasks("ops.wang")["total"] == 0
    with pytest.raises(NotReady, match="reassign it instead"):
        deployed.repair_assignment(task_id, "ops.wang", "fin.kuo")
