"""The runtime API on SQLite and PostgreSQL, driven through the small `expense` package."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, Forbidden, NotFound, NotReady, ValidationFailed
from engine.store.models import CaseRecord, Event, HumanTask, Timer
from tests.conftest import PACKAGES

CLAIM = {"purpose": "Taxi to the supplier", "amount": 420, "spent_on": "2026-01-02"}


@pytest.fixture
def deployed(runtime):
    """Runtime with the expense package deployed."""
    runtime.deploy([PACKAGES / "expense"])
    return runtime


def open_tasks(runtime, case):
    """{task_key: row} of a case's open tasks."""
    with runtime.db.read() as s:
        rows = s.execute(select(HumanTask).where(HumanTask.case_id == case)).scalars().all()
    return {r.task_key: r for r in rows}


def count(runtime, model, *where):
    """Rows of a table matching conditions."""
    with runtime.db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def approve(runtime, case, decision="approve"):
    """The manager (sales.yeh for sales.tseng) decides the approval."""
    return runtime.complete(open_tasks(runtime, case)["approve"].id, "sales.yeh", {"decision": decision})


def test_start_puts_the_approval_in_the_managers_inbox(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    inbox = deployed.inbox("sales.yeh")["tasks"]
    assert [(t["case_id"], t["task_key"]) for t in inbox] == [(case, "approve")]
    assert inbox[0]["due_at"] == deployed.clock.now() + timedelta(days=2)
    assert deployed.inbox("sales.tseng")["tasks"] == []
    assert deployed.case(case, "sales.tseng")["search"] == {"amount": 420}


def test_bad_start_data_gives_field_errors_and_stores_nothing(deployed):
    with pytest.raises(ValidationFailed) as info:
        deployed.start("expense", "sales.tseng", {"amount": -5, "spent_on": "yesterday"})
    assert set(info.value.errors) == {"purpose", "amount", "spent_on"}
    assert count(deployed, CaseRecord) == 0 and count(deployed, Event) == 0


def test_bad_form_data_changes_nothing(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    before = deployed.case(case, "sales.yeh")
    with pytest.raises(ValidationFailed) as info:
        deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "maybe"})
    assert info.value.errors == {"decision": "choose one of the offered values"}
    after = deployed.case(case, "sales.yeh")
    assert after["history"] == before["history"] and after["data"] == before["data"]
    assert list(open_tasks(deployed, case)) == ["approve"]


def test_undeclared_fields_cannot_plant_case_data(deployed):
    case = deployed.start("expense", "sales.tseng", dict(CLAIM, laps=99, approved=True))
    data = deployed.case(case)["data"]
    assert data["laps"] == 0 and "approved" not in data


def test_reject_loops_back_then_cooling_off_timer_then_payment(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    approve(deployed, case, "reject")
    revise = open_tasks(deployed, case)["revise"]
    assert revise.assignee == "sales.tseng"
    deployed.complete(revise.id, "sales.tseng", dict(CLAIM, amount=400))
    approve(deployed, case)
    assert open_tasks(deployed, case) == {}
    assert deployed.fire_due_timers() == 0
    deployed.clock.advance(timedelta(hours=1, seconds=1))
    assert deployed.fire_due_timers() == 1
    pay = open_tasks(deployed, case)["pay"]
    assert pay.assignee is None and pay.role == "finance"
    deployed.claim(pay.id, "fin.hsu")
    result = deployed.complete(pay.id, "fin.hsu", {"payment_ref": "PAY-1"})
    assert result["status"] == "completed"
    case_view = deployed.case(case, "sales.tseng")
    assert case_view["end_event"] == "end_paid" and case_view["data"]["laps"] == 1
    assert case_view["path"].index("revise") < case_view["path"].index("cooling_off")
    assert count(deployed, Timer, Timer.case_id == case, Timer.fired_at.is_(None)) == 0


def test_non_interrupting_reminder_keeps_the_task_open(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    approve(deployed, case)
    deployed.clock.advance(timedelta(hours=2))
    deployed.fire_due_timers()
    pay = open_tasks(deployed, case)["pay"]
    deployed.clock.advance(timedelta(days=1))
    assert deployed.fire_due_timers() == 1
    assert open_tasks(deployed, case)["pay"].id == pay.id
    assert "end_reminded" in deployed.case(case)["path"]
    deployed.complete(pay.id, "fin.cheng", {"payment_ref": "PAY-2"})
    assert deployed.case(case)["status"] == "completed"


def test_breached_sla_escalates_to_the_managers_manager_exactly_once(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    deployed.clock.advance(timedelta(days=2, hours=1))
    assert deployed.fire_due_timers() == 1
    task = open_tasks(deployed, case)["approve"]
    assert task.assignee == "ceo.lee" and task.escalated_at is not None
    deployed.clock.advance(timedelta(days=5))
    deployed.fire_due_timers()
    kinds = [e["kind"] for e in deployed.case(case)["history"]]
    assert kinds.count("sla_breached") == 1 and kinds.count("task_escalated") == 1
    deployed.complete(task.id, "ceo.lee", {"decision": "approve"})


def test_claim_release_and_who_may_act(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    with pytest.raises(NotFound):
        deployed.complete(open_tasks(deployed, case)["approve"].id, "wh.kao", {"decision": "approve"})
    approve(deployed, case)
    deployed.clock.advance(timedelta(hours=2))
    deployed.fire_due_timers()
    pay = open_tasks(deployed, case)["pay"]
    assert [t["id"] for t in deployed.inbox("fin.cheng")["tasks"]] == [pay.id]
    deployed.claim(pay.id, "fin.hsu")
    assert deployed.inbox("fin.cheng")["tasks"] == []
    with pytest.raises(Forbidden, match="assigned to fin.hsu"):
        deployed.complete(pay.id, "fin.cheng", {"payment_ref": "X"})
    with pytest.raises(Forbidden):
        deployed.release(pay.id, "fin.kuo")
    deployed.release(pay.id, "fin.hsu")
    deployed.claim(pay.id, "fin.cheng")
    with pytest.raises(Conflict):
        deployed.claim(pay.id, "fin.hsu")


def test_second_completion_of_same_task_is_refused(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    task_id = open_tasks(deployed, case)["approve"].id
    deployed.complete(task_id, "sales.yeh", {"decision": "approve"})
    with pytest.raises(Conflict, match="already completed by sales.yeh"):
        deployed.complete(task_id, "sales.yeh", {"decision": "reject"})
    with pytest.raises(NotFound):
        deployed.complete("00000000-0000-0000-0000-000000000000", "sales.yeh", {})


def test_strangers_see_nothing_and_only_starters_may_start(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    with pytest.raises(NotFound):
        deployed.case(case, "wh.kao")
    with pytest.raises(NotFound):
        deployed.task(open_tasks(deployed, case)["approve"].id, "wh.kao")
    assert deployed.case(case, "ops.wang")["id"] == case
    with pytest.raises(NotFound):
        deployed.start("no-such-process", "sales.tseng", {})


def test_task_shows_rendered_instructions_and_schema(deployed):
    case = deployed.start("expense", "sales.tseng", dict(CLAIM, purpose="<b>Taxi</b>"))
    task = deployed.task(open_tasks(deployed, case)["approve"].id, "sales.yeh", language="zh-Hant")
    assert "420" in task["instructions"] and "&lt;b&gt;Taxi&lt;/b&gt;" in task["instructions"]
    assert task["schema"]["required"] == ["decision"]
    assert task["title"]["zh-Hant"] == "審核報銷"


def test_cancel_closes_tasks_and_timers(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    with pytest.raises(Forbidden):
        deployed.cancel(case, "sales.yeh")
    deployed.cancel(case, "sales.tseng", "claimed twice")
    view = deployed.case(case)
    assert view["status"] == "cancelled" and view["tasks"] == [] and view["ended_at"] is not None
    assert view["data"]["purpose"] == CLAIM["purpose"]
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[-2:] == ["case_cancelled", "task_withdrawn"]
    assert view["history"][-2]["data"] == {"reason": "claimed twice"}
    assert view["history"][-1]["data"] == {"assignee": "sales.yeh", "role": "department-head"}
    assert view["history"][-1]["actor"] == "sales.tseng"
    assert count(deployed, Timer, Timer.case_id == case, Timer.fired_at.is_(None)) == 0
    with pytest.raises(NotReady):
        deployed.cancel(case, "sales.tseng")


def test_case_keeps_its_version_after_a_new_deploy(deployed, tmp_path):
    import shutil

    old = deployed.start("expense", "sales.tseng", CLAIM)
    changed = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", changed)
    form = changed / "forms" / "approve.yaml"
    form.write_text(form.read_text(encoding="utf-8").replace("Approve expense claim", "Approve the claim"),
                    encoding="utf-8")
    assert deployed.deploy([changed])[0]["version"] == 2
    assert deployed.deploy([changed])[0]["created"] is False
    new = deployed.start("expense", "sales.tseng", CLAIM)
    assert (deployed.case(old)["version"], deployed.case(new)["version"]) == (1, 2)
    titles = {t["case_id"]: t["title_en"] for t in deployed.inbox("sales.yeh")["tasks"]}
    assert titles == {old: "Approve expense claim", new: "Approve the claim"}
    approve(deployed, old)
    deployed.clock.advance(timedelta(hours=2))
    deployed.fire_due_timers()
    deployed.complete(open_tasks(deployed, old)["pay"].id, "fin.hsu", {"payment_ref": "P"})
    assert deployed.case(old)["version"] == 1 and deployed.case(old)["status"] == "completed"


def test_supervisors_reassign_others_may_not(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    with pytest.raises(Forbidden, match="sales.yeh does not supervise"):
        deployed.reassign(open_tasks(deployed, case)["approve"].id, "sales.yeh", "sales.yeh")
    approve(deployed, case)
    deployed.clock.advance(timedelta(hours=1, seconds=1))
    deployed.fire_due_timers()
    task_id = open_tasks(deployed, case)["pay"].id
    with pytest.raises(NotFound):
        deployed.reassign(task_id, "ops.wang", "nobody")
    deployed.reassign(task_id, "ops.wang", "fin.hsu")
    assert [t["id"] for t in deployed.inbox("fin.hsu")["tasks"]] == [task_id]
    assert deployed.inbox("fin.cheng")["tasks"] == []
    history = deployed.case(case)["history"]
    assert history[-1]["kind"] == "task_reassigned" and history[-1]["data"] == {"assignee": "fin.hsu",
                                                                                "was": None}


def test_a_supervisor_reassigns_only_to_people_who_may_do_the_step(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    task_id = open_tasks(deployed, case)["approve"].id  # the manager's, by name: nobody stands in
    for outsider in ("hr.liu", "sales.lu", "sales.tseng", "fin.kuo"):
        with pytest.raises(Forbidden, match=f"{outsider} may not do step approve"):
            deployed.reassign(task_id, "ops.wang", outsider)
    assert [p["username"] for p in deployed.candidates(task_id, "ops.wang")] == ["sales.yeh"]
    with pytest.raises(NotReady, match="nobody else may take"):
        deployed.release(task_id, "sales.yeh")
    assert open_tasks(deployed, case)["approve"].assignee == "sales.yeh"


def test_an_assignee_expression_giving_none_leaves_the_task_to_its_candidates(deployed):
    case = deployed.start("expense", "ceo.lee", CLAIM)
    task = open_tasks(deployed, case)["approve"]
    assert (task.assignee, task.role) == (None, "department-head")
    assert "assignment_failed" not in [e["kind"] for e in deployed.case(case)["history"]]
    assert task.id in [t["id"] for t in deployed.inbox("fin.kuo")["tasks"]]
    assert task.id not in [t["id"] for t in deployed.inbox("ceo.lee")["tasks"]]  # the starter is excluded


def test_each_action_records_the_case_data_it_changed(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    approve(deployed, case, "reject")
    deployed.complete(open_tasks(deployed, case)["revise"].id, "sales.tseng", dict(CLAIM, amount=400))
    history = {e["kind"] + ":" + (e["task_key"] or ""): e["data"] for e in deployed.case(case)["history"]}
    assert history["case_started:"]["changed"]["laps"] == 0
    assert history["task_completed:approve"]["changed"] == {"decision": "reject"}
    assert history["task_completed:revise"]["changed"] == {"amount": 400, "laps": 1}
    assert history["task_completed:revise"]["removed"] == []


def test_deactivated_users_can_neither_start_nor_act(deployed):
    from engine.store.models import User

    case = deployed.start("expense", "sales.tseng", CLAIM)
    with deployed.db.write() as s:
        s.get(User, "sales.yeh").active = False
        s.get(User, "sales.lu").active = False
    with pytest.raises(Forbidden):
        deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "approve"})
    with pytest.raises(Forbidden):
        deployed.start("expense", "sales.lu", CLAIM)


@pytest.mark.parametrize("expression,amount,due", [
    ("'PT4H' if amount < 1000 else 'P3D'", 420, timedelta(hours=4)),
    ("'PT4H' if amount < 1000 else 'P3D'", 5000, timedelta(days=3)),
    ("spent_on + 'T18:00:00+08:00'", 420, timedelta(hours=1)),
    ("'soon'", 420, None),
])
def test_a_due_time_may_come_from_the_case_data(runtime, tmp_path, expression, amount, due):
    import shutil

    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    manifest = package / "process.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("    due: P2D", f"    due: {{expression: \"{expression}\"}}", 1), encoding="utf-8")
    runtime.deploy([package])
    case = runtime.start("expense", "sales.tseng", dict(CLAIM, amount=amount, spent_on="2026-01-05"))
    task = open_tasks(runtime, case)["approve"]
    assert task.due_at == (runtime.clock.now() + due if due is not None else None)
    failed = [e for e in runtime.case(case)["history"] if e["kind"] == "due_failed"]
    assert len(failed) == (1 if due is None else 0)
