"""The web UI's runtime API (engine/runtime/workspace.py and inbox.py) on SQLite and PostgreSQL."""
import shutil
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text, update

from engine.definitions import load_package
from engine.errors import Conflict, Forbidden, NotFound, NotReady, PackageError, ValidationFailed
from engine.store.db import Database, migrate, newest_revision
from engine.store.models import Base, CaseRecord, Event, HumanTask, TaskDraft, User
from tests.conftest import PACKAGES, PROCESSES
from tests.test_runtime import CLAIM, count, open_tasks

PRIORITIES = """    priority: {expression: "1 if amount >= 1000 else 4"}
"""
SEARCHABLE_PURPOSE = """  - field: purpose
    type: string
    label: {en: Purpose, zh-Hant: 用途}
"""


def expense_copy(tmp_path, approve_priority=PRIORITIES, pay_priority="    priority: 2\n"):
    """The expense package with priorities on approve and pay, and `purpose` searchable."""
    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    manifest = package / "process.yaml"
    text_ = manifest.read_text(encoding="utf-8")
    text_ = text_.replace("    due: P2D\n", "    due: P2D\n" + approve_priority, 1)
    text_ = text_.replace("    due: P3D\n", "    due: P3D\n" + pay_priority, 1)
    manifest.write_text(text_ + SEARCHABLE_PURPOSE, encoding="utf-8")
    return package


@pytest.fixture
def deployed(runtime, tmp_path):
    """Runtime with the customised expense package deployed."""
    runtime.deploy([expense_copy(tmp_path)])
    return runtime


def claim(runtime, user, purpose, amount):
    """Start an expense claim and return its case id."""
    return runtime.start("expense", user, {"purpose": purpose, "amount": amount})


@pytest.fixture
def crowd(deployed):
    """Four open tasks in fin.kuo's inbox (finance, department-head): two assigned to them, two unclaimed.

    Returns ({name: task id}, the moment the clock was left at): A overdue, B and D due within
    24 hours, C due later.
    """
    start = deployed.clock.now()
    a = claim(deployed, "fin.hsu", "Pump spare parts", 420)
    deployed.clock.advance(timedelta(hours=1))
    b = claim(deployed, "fin.cheng", "Server rack", 5000)
    deployed.clock.advance(timedelta(hours=1))
    c = claim(deployed, "sales.tseng", "Taxi to the pump station", 300)
    deployed.complete(open_tasks(deployed, c)["approve"].id, "sales.yeh", {"decision": "approve"})
    deployed.clock.advance(timedelta(hours=1, seconds=1))
    assert deployed.fire_due_timers() == 1
    deployed.clock.advance(timedelta(minutes=1))
    d = claim(deployed, "ceo.lee", "Board dinner", 1500)
    ids = {"A": open_tasks(deployed, a)["approve"].id, "B": open_tasks(deployed, b)["approve"].id,
           "C": open_tasks(deployed, c)["pay"].id, "D": open_tasks(deployed, d)["approve"].id}
    deployed.clock.advance(start + timedelta(days=2, minutes=30) - deployed.clock.now())
    return ids


def names(page, crowd):
    """The crowd names of a page's tasks, in order."""
    by_id = {task_id: name for name, task_id in crowd.items()}
    return [by_id[t["id"]] for t in page["tasks"]]


def test_inbox_page_counts_and_default_order(deployed, crowd):
    page = deployed.inbox("fin.kuo")
    assert names(page, crowd) == ["A", "B", "D", "C"]
    assert page["counts"] == {"all": 4, "mine": 2, "unclaimed": 2, "overdue": 1, "due_soon": 2}
    assert (page["total"], page["page"], page["pages"], page["per_page"]) == (4, 1, 1, 50)
    first = page["tasks"][0]
    assert first["starter"] == "fin.hsu" and first["search"] == {"amount": 420, "purpose": "Pump spare parts"}
    assert (first["assignee"], first["role"], first["priority"], first["task_key"]) == ("fin.kuo", "department-head",
                                                                                        4, "approve")
    assert first["due_at"] < deployed.clock.now() and first["created_at"].tzinfo is not None
    empty = deployed.inbox("wh.kao")
    assert empty["tasks"] == [] and empty["total"] == 0 and empty["pages"] == 1
    assert empty["counts"] == {"all": 0, "mine": 0, "unclaimed": 0, "overdue": 0, "due_soon": 0}


@pytest.mark.parametrize("sort,expected", [
    ("due", ["A", "B", "D", "C"]),
    ("-due", ["C", "D", "B", "A"]),
    ("created", ["A", "B", "C", "D"]),
    ("-created", ["D", "C", "B", "A"]),
    ("priority", ["B", "D", "C", "A"]),
    ("procedure", ["A", "B", "D", "C"]),
    ("title", ["A", "B", "D", "C"]),
    ("requester", ["B", "A", "D", "C"]),  # Cheng, Hsu, Lee, Tseng
    ("-requester", ["C", "D", "A", "B"]),
])
def test_inbox_page_sorts(deployed, crowd, sort, expected):
    assert names(deployed.inbox("fin.kuo", sort=sort), crowd) == expected


@pytest.mark.parametrize("filters,expected", [
    ({"scope": "mine"}, ["A", "B"]),
    ({"scope": "unclaimed"}, ["D", "C"]),
    ({"overdue": True}, ["A"]),
    ({"due_within_hours": 1}, ["B"]),
    ({"due_within_hours": 24}, ["B", "D"]),
    ({"priority": 1}, ["B", "D"]),
    ({"priority": "2"}, ["C"]),
    ({"process_key": "expense"}, ["A", "B", "D", "C"]),
    ({"process_key": "procurement"}, []),
    ({"search": {"purpose": "PUMP"}}, ["A", "C"]),
    ({"search": {"purpose": "pump", "amount": {"min": 400}}}, ["A"]),
    ({"search": {"amount": {"min": 1000}}}, ["B", "D"]),
    ({"search": {"amount": {"min": "300", "max": 420}}}, ["A", "C"]),
    ({"search": {"amount": {"max": 299.5}}}, []),
    ({"search": {"purpose": "%"}}, []),
    ({"search": {"purpose": "_"}}, []),
    ({"search": {"purpose": "  "}}, ["A", "B", "D", "C"]),
    ({"search": {"nowhere": "x"}}, []),
    ({"scope": "mine", "search": {"purpose": "rack"}}, ["B"]),
    ({"search": {"purpose": ["Board dinner", "Server rack"]}}, ["B", "D"]),  # any of these codes, exactly
    ({"search": {"purpose": ["Board"]}}, []),
    ({"search": {"purpose": []}}, []),
])
def test_inbox_page_filters(deployed, crowd, filters, expected):
    page = deployed.inbox("fin.kuo", **filters)
    assert names(page, crowd) == expected
    assert page["total"] == len(expected)
    assert page["counts"]["all"] == 4


def test_inbox_page_pages_are_stable_and_clamped(deployed, crowd):
    pages = [deployed.inbox("fin.kuo", per_page=3, page=n) for n in (1, 2)]
    assert [names(p, crowd) for p in pages] == [["A", "B", "D"], ["C"]]
    assert {(p["total"], p["pages"]) for p in pages} == {(4, 2)}
    assert deployed.inbox("fin.kuo", per_page=3, page=9)["page"] == 2
    assert deployed.inbox("fin.kuo", per_page=3, page=0)["page"] == 1
    one_by_one = [names(deployed.inbox("fin.kuo", sort="-created", per_page=1, page=n), crowd)[0] for n in range(1, 5)]
    assert one_by_one == ["D", "C", "B", "A"]
    beyond = deployed.inbox("fin.kuo", search={"purpose": "pump"}, per_page=1, page=7)
    assert (beyond["page"], beyond["pages"], beyond["total"], names(beyond, crowd)) == (2, 2, 2, ["C"])
    nothing = deployed.inbox("fin.kuo", search={"purpose": "yacht"}, page=3)
    assert (nothing["page"], nothing["pages"], nothing["total"], nothing["tasks"]) == (1, 1, 0, [])


@pytest.mark.parametrize("filters,field", [
    ({"sort": "amount"}, "sort"),
    ({"scope": "everyone"}, "scope"),
    ({"priority": 5}, "priority"),
    ({"priority": "urgent"}, "priority"),
    ({"due_within_hours": -1}, "due_within_hours"),
    ({"due_within_hours": "soon"}, "due_within_hours"),
    ({"search": {"purpose'); DROP TABLE cases; --": "x"}}, "search"),
    ({"search": {"amount": {"min": "lots"}}}, "search.amount.min"),
    ({"search": {"amount": {"above": 3}}}, "search.amount"),
    ({"search": {"amount": 3}}, "search.amount"),
    ({"page": "two"}, "page"),
])
def test_inbox_page_refuses_bad_parameters(deployed, filters, field):
    with pytest.raises(ValidationFailed) as info:
        deployed.inbox("fin.kuo", **filters)
    assert list(info.value.errors) == [field]


def test_numeric_range_skips_cases_whose_field_holds_text(deployed, crowd):
    with deployed.db.write() as s:
        case_id = s.scalar(select(HumanTask.case_id).where(HumanTask.id == crowd["B"]))
        s.execute(update(CaseRecord).where(CaseRecord.id == case_id).values(search={"amount": "n/a", "purpose": "x"}))
    assert names(deployed.inbox("fin.kuo", search={"amount": {"min": 1000}}), crowd) == ["D"]


def test_search_fields_of_the_newest_version(deployed):
    fields = deployed.search_fields("expense")
    assert [(f["field"], f["type"]) for f in fields] == [("amount", "number"), ("purpose", "string")]
    assert fields[1]["label"] == {"en": "Purpose", "zh-Hant": "用途"}
    with pytest.raises(NotFound):
        deployed.search_fields("no-such-procedure")


def test_saved_filters_are_per_user_sorted_and_replaced_by_name(deployed):
    first = deployed.save_filter("fin.kuo", "  Overdue  ", "overdue=1")
    second = deployed.save_filter("fin.kuo", "Big claims", "search.amount.min=1000")
    deployed.save_filter("fin.hsu", "Overdue", "overdue=1&scope=mine")
    assert deployed.save_filter("fin.kuo", "Overdue", "overdue=1&sort=priority") == first
    assert deployed.saved_filters("fin.kuo") == [
        {"id": second, "name": "Big claims", "query": "search.amount.min=1000"},
        {"id": first, "name": "Overdue", "query": "overdue=1&sort=priority"}]
    with pytest.raises(NotFound):
        deployed.delete_filter("fin.hsu", first)
    with pytest.raises(NotFound):
        deployed.delete_filter("fin.kuo", "not-a-number")
    deployed.delete_filter("fin.kuo", first)
    assert [f["name"] for f in deployed.saved_filters("fin.kuo")] == ["Big claims"]
    assert [f["query"] for f in deployed.saved_filters("fin.hsu")] == ["overdue=1&scope=mine"]


@pytest.mark.parametrize("name,query,field", [
    ("   ", "a=1", "name"), ("x" * 101, "a=1", "name"), (None, "a=1", "name"), ("ok", "q" * 2001, "query"),
    ("ok", None, "query"),
])
def test_saved_filter_names_and_queries_are_checked(deployed, name, query, field):
    with pytest.raises(ValidationFailed) as info:
        deployed.save_filter("fin.kuo", name, query)
    assert list(info.value.errors) == [field]
    assert deployed.saved_filters("fin.kuo") == []


def test_startable_and_start_form_follow_start_roles(deployed):
    deployed.deploy([PACKAGES / "appraisal"])
    assert [p["key"] for p in deployed.startable("sales.tseng")] == ["expense"]
    assert [p["key"] for p in deployed.startable("hr.yang")] == ["appraisal", "expense"]
    expense = deployed.startable("sales.tseng")[0]
    assert expense == {"key": "expense", "version": 1, "name": {"en": "Expense claim", "zh-Hant": "費用報銷"},
                       "description": {"en": "An employee claims an expense; the manager approves.",
                                       "zh-Hant": "員工申請報銷，主管審核。"}, "has_form": True}
    form = deployed.start_form("expense", "sales.tseng", language="zh-Hant")
    assert form["title"] == {"en": "Expense claim", "zh-Hant": "費用報銷"}
    assert form["instructions"] == " 的報銷。" and form["schema"]["required"] == ["purpose", "amount"]
    assert [f["field"] for f in form["searchable"]] == ["amount", "purpose"]
    assert (form["key"], form["version"], form["name"]["en"]) == ("expense", 1, "Expense claim")
    for key, user in (("appraisal", "sales.tseng"), ("no-such-procedure", "sales.tseng")):
        with pytest.raises(NotFound, match="no procedure"):
            deployed.start_form(key, user)
    with deployed.db.write() as s:
        s.get(User, "sales.lu").active = False
    assert deployed.startable("sales.lu") == []
    with pytest.raises(NotFound):
        deployed.start_form("expense", "sales.lu")


def test_requests_list_my_cases_with_who_they_wait_for(deployed):
    first = claim(deployed, "sales.tseng", "Taxi fare", 300)
    deployed.clock.advance(timedelta(minutes=5))
    second = claim(deployed, "sales.tseng", "Client lunch", 1200)
    deployed.clock.advance(timedelta(minutes=5))
    third = claim(deployed, "sales.tseng", "Parking", 80)
    deployed.cancel(third, "sales.tseng", "duplicate")
    claim(deployed, "sales.lu", "Not mine", 50)
    mine = deployed.requests("sales.tseng")
    assert [c["id"] for c in mine["cases"]] == [third, second, first]
    assert (mine["total"], mine["page"], mine["pages"]) == (3, 1, 1)
    newest_running = mine["cases"][1]
    assert newest_running["status"] == "running" and newest_running["can_cancel"] is True
    assert newest_running["search"] == {"amount": 1200, "purpose": "Client lunch"}
    assert newest_running["version"] == 1 and newest_running["process_key"] == "expense"
    (waiting,) = newest_running["waiting"]
    assert waiting == {"id": open_tasks(deployed, second)["approve"].id, "title_en": "Approve expense claim",
                       "title_zh": "審核報銷", "role": "department-head", "assignee": "sales.yeh",
                       "since": deployed.clock.now() - timedelta(minutes=5),
                       "due_at": deployed.clock.now() - timedelta(minutes=5) + timedelta(days=2)}
    cancelled = mine["cases"][0]
    assert cancelled["waiting"] == [] and cancelled["can_cancel"] is False and cancelled["ended_at"] is not None
    assert [c["id"] for c in deployed.requests("sales.tseng", status="cancelled")["cases"]] == [third]
    paged = deployed.requests("sales.tseng", status="running", per_page=1, page=5)
    assert ([c["id"] for c in paged["cases"]], paged["page"], paged["pages"], paged["total"]) == ([first], 2, 2, 2)
    with pytest.raises(ValidationFailed) as info:
        deployed.requests("sales.tseng", status="lost")
    assert list(info.value.errors) == ["status"]
    assert deployed.requests("wh.kao") == {"cases": [], "total": 0, "page": 1, "pages": 1}


def test_case_view_adds_name_diagram_and_permissions(deployed):
    case = claim(deployed, "sales.tseng", "Taxi fare", 300)
    deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "approve"})
    view = deployed.case(case, "sales.tseng", "en")
    assert view["name"] == {"en": "Expense claim", "zh-Hant": "費用報銷"}
    assert view["id"] == case and view["status"] == "running" and view["starter"] == "sales.tseng"
    diagram = view["diagram"]
    assert diagram["process_id"] == "expense" and 'id="expense"' in diagram["xml"] and "bpmndi" in diagram["xml"]
    assert diagram["done"] == ["approve", "gw_decision", "init", "start"]
    assert (diagram["current"], diagram["waiting"]) == ([], ["cooling_off"])
    assert (view["can_cancel"], view["is_supervisor"], view["attachments"]) == (True, False, [])
    deployed.clock.advance(timedelta(hours=1, seconds=1))
    deployed.fire_due_timers()
    paying = deployed.case(case, "ops.wang", "en")
    assert paying["diagram"]["current"] == ["pay"] and paying["diagram"]["waiting"] == ["remind"]
    assert "cooling_off" in paying["diagram"]["done"]
    assert (paying["can_cancel"], paying["is_supervisor"]) == (True, True)
    manager = deployed.case(case, "sales.yeh", "en")
    assert (manager["can_cancel"], manager["is_supervisor"]) == (False, False)
    for stranger in ("wh.kao", "nobody"):
        with pytest.raises(NotFound):
            deployed.case(case, stranger, "en")
    with pytest.raises(NotFound):
        deployed.case(999_999, "sales.tseng", "en")
    deployed.cancel(case, "sales.tseng")
    assert deployed.case(case, "sales.tseng", "en")["can_cancel"] is False


def test_case_view_keeps_confidential_cases_hidden(runtime):
    runtime.deploy([PACKAGES / "appraisal"])
    case = runtime.start("appraisal", "hr.yang", {"employee": "sales.lu"})
    assert runtime.case(case, "sales.lu", "en")["is_supervisor"] is False
    assert runtime.case(case, "hr.liu", "en")["is_supervisor"] is True
    with pytest.raises(NotFound):
        runtime.case(case, "ops.lin", "en")
    with pytest.raises(NotFound):
        runtime.add_comment(case, "ops.wang", "Any news?")


def test_comments_join_the_history_without_touching_the_case(deployed):
    case = claim(deployed, "sales.tseng", "Taxi fare", 300)
    with deployed.db.read() as s:
        lock = s.scalar(select(CaseRecord.lock_version).where(CaseRecord.id == case))
    event_id = deployed.add_comment(case, "sales.yeh", "  Which client was this for?  ")
    history = deployed.case(case)["history"]
    assert history[-1] == {"at": deployed.clock.now(), "actor": "sales.yeh", "kind": "comment", "task_id": None,
                           "task_key": None, "data": {"text": "Which client was this for?"}}
    with deployed.db.read() as s:
        assert s.get(Event, event_id).kind == "comment"
        assert s.scalar(select(CaseRecord.lock_version).where(CaseRecord.id == case)) == lock
    deployed.cancel(case, "sales.tseng")
    deployed.add_comment(case, "sales.tseng", "Cancelled: claimed on the wrong form.")
    kinds = [e["kind"] for e in deployed.case(case)["history"]]
    assert kinds[-3:] == ["case_cancelled", "task_withdrawn", "comment"]
    for text_, reason in (("   ", "write a comment first"), ("x" * 4001, "at most 4000"), (None, "write")):
        with pytest.raises(ValidationFailed, match=reason) as info:
            deployed.add_comment(case, "sales.tseng", text_)
        assert list(info.value.errors) == ["text"]
    deployed.add_comment(case, "sales.tseng", "y" * 4000)
    with pytest.raises(NotFound):
        deployed.add_comment(case, "wh.kao", "Hello")
    with pytest.raises(NotFound):
        deployed.add_comment(999_999, "sales.tseng", "Hello")
    with deployed.db.write() as s:
        s.get(User, "sales.tseng").active = False
    with pytest.raises(NotFound):
        deployed.add_comment(case, "sales.tseng", "Still here")


def test_drafts_are_kept_per_user_and_vanish_when_the_task_is_done(deployed):
    case = claim(deployed, "sales.tseng", "Taxi fare", 300)
    task_id = open_tasks(deployed, case)["approve"].id
    assert deployed.draft(task_id, "sales.yeh") is None
    saved = deployed.save_draft(task_id, "sales.yeh", {"decision": "maybe", "comment": "checking the receipt"})
    assert saved == deployed.clock.now()
    deployed.clock.advance(timedelta(minutes=3))
    deployed.save_draft(task_id, "sales.yeh", {"comment": "receipt fine"})
    saved = {"data": {"comment": "receipt fine"}, "saved_at": deployed.clock.now()}
    assert deployed.draft(task_id, "sales.yeh") == saved
    deployed.discard_draft(task_id, "sales.yeh")
    deployed.discard_draft(task_id, "sales.yeh")
    assert deployed.draft(task_id, "sales.yeh") is None
    with pytest.raises(NotFound):
        deployed.discard_draft(task_id, "wh.kao")
    deployed.save_draft(task_id, "sales.yeh", {"comment": "again"})
    deployed.complete(task_id, "sales.yeh", {"decision": "approve"})
    assert deployed.draft(task_id, "sales.yeh") is None
    assert count(deployed, TaskDraft) == 0
    with pytest.raises(Conflict, match="already completed"):
        deployed.save_draft(task_id, "sales.yeh", {"comment": "late"})


def test_drafts_follow_who_may_complete(deployed):
    case = claim(deployed, "sales.tseng", "Taxi fare", 300)
    task_id = open_tasks(deployed, case)["approve"].id
    with pytest.raises(Forbidden):
        deployed.save_draft(task_id, "ops.wang", {"comment": "supervisors see but do not work"})
    with pytest.raises(NotFound):
        deployed.save_draft(task_id, "wh.kao", {"comment": "stranger"})
    with pytest.raises(NotFound):
        deployed.save_draft("00000000-0000-0000-0000-000000000000", "sales.yeh", {})
    for data, reason in (([1, 2], "must be an object"), ({"blob": "x" * (256 * 1024)}, "at most 256 KiB"),
                         ({"when": object()}, "cannot be stored")):
        with pytest.raises(ValidationFailed, match=reason):
            deployed.save_draft(task_id, "sales.yeh", data)
    deployed.save_draft(task_id, "sales.yeh", {"blob": "x" * (250 * 1024)})
    deployed.cancel(case, "sales.tseng")
    assert count(deployed, TaskDraft) == 0
    # The assignee of a withdrawn task learns why it is gone; a stranger still learns nothing.
    with pytest.raises(NotReady, match="was cancelled"):
        deployed.complete(task_id, "sales.yeh", {"decision": "approve"})
    with pytest.raises(NotReady, match="was cancelled"):
        deployed.save_draft(task_id, "sales.yeh", {})
    with pytest.raises(NotFound):
        deployed.save_draft(task_id, "wh.kao", {})


def test_a_draft_of_a_cancelled_case_says_so(deployed, crowd):
    deployed.claim(crowd["C"], "fin.hsu")
    deployed.save_draft(crowd["C"], "fin.hsu", {"payment_ref": "PAY-"})
    with deployed.db.read() as s:
        case = s.scalar(select(HumanTask.case_id).where(HumanTask.id == crowd["C"]))
    deployed.cancel(case, "sales.tseng")
    for action in (lambda: deployed.complete(crowd["C"], "fin.hsu", {"payment_ref": "PAY-1"}),
                   lambda: deployed.save_draft(crowd["C"], "fin.hsu", {"payment_ref": "PAY-1"})):
        with pytest.raises(NotReady, match="was cancelled"):
            action()
    assert deployed.draft(crowd["C"], "fin.hsu") is None


def test_candidates_for_reassignment(deployed, crowd):
    finance = deployed.candidates(crowd["C"], "ops.wang")
    assert finance == [{"username": "fin.cheng", "name": "Cheng Kuan-yu", "department": "finance"},
                       {"username": "fin.hsu", "name": "Hsu Yi-chun", "department": "finance"},
                       {"username": "fin.kuo", "name": "Kuo Wen-hsiung", "department": "finance"}]
    with deployed.db.write() as s:
        s.get(User, "fin.cheng").active = False
    assert [p["username"] for p in deployed.candidates(crowd["C"], "ops.wang")] == ["fin.hsu", "fin.kuo"]
    heads = deployed.candidates(crowd["D"], "ops.wang")  # the CEO's own claim: every head but the CEO
    assert [p["username"] for p in heads] == ["it.chang", "wh.chiu", "proc.hsieh", "fin.kuo", "hr.liu",
                                              "ops.wang", "sales.yeh"]
    assert heads == sorted(heads, key=lambda p: p["name"])
    assert [p["username"] for p in deployed.candidates(crowd["C"], "fin.hsu")] == ["fin.hsu", "fin.kuo"]
    with pytest.raises(Forbidden, match="sales.yeh does not supervise expense"):
        deployed.candidates(crowd["D"], "sales.yeh")
    with pytest.raises(NotFound):
        deployed.candidates(crowd["C"], "wh.kao")


def test_people_are_active_users_by_name(deployed):
    people = deployed.people()
    assert len(people) == 22 and people[0] == {"username": "it.chang", "name": "Chang Wei-lun", "department": "it"}
    assert [p["name"] for p in people] == sorted(p["name"] for p in people)
    with deployed.db.write() as s:
        s.get(User, "it.chang").active = False
    assert "it.chang" not in [p["username"] for p in deployed.people()]


def test_task_actions_show_the_buttons_a_user_gets(deployed, crowd):
    dinner = crowd["D"]
    assert deployed.task_actions(dinner, "sales.yeh") == {"can_complete": True, "can_claim": True, "can_release": False,
                                                    "can_reassign": False}
    deployed.claim(dinner, "sales.yeh")
    assert deployed.task_actions(dinner, "sales.yeh") == {"can_complete": True, "can_claim": False, "can_release": True,
                                                    "can_reassign": False}
    assert deployed.task_actions(dinner, "ops.wang") == {
        "can_complete": False, "can_claim": False, "can_release": False, "can_reassign": True}
    assert deployed.task_actions(crowd["C"], "fin.hsu") == {"can_complete": True, "can_claim": True,
                                                      "can_release": False, "can_reassign": True}
    for stranger in ("hr.yang", "wh.kao"):
        with pytest.raises(NotFound):
            deployed.task_actions(dinner, stranger)


def test_priority_comes_from_the_manifest(deployed, crowd):
    with deployed.db.read() as s:
        levels = dict(s.execute(select(HumanTask.id, HumanTask.priority)).all())
    assert {name: levels[task_id] for name, task_id in crowd.items()} == {"A": 4, "B": 1, "C": 2, "D": 1}


@pytest.mark.parametrize("expression,level,failed", [
    ('"P2"', 2, 0), ('" p1 "', 1, 0), ("3.0", 3, 0), ("4", 4, 0), ('"P5"', 3, 1), ("0", 3, 1), ("True", 3, 1),
    ("None", 3, 1), ("amount / 0", 3, 1), ("payment_ref", 3, 1),
])
def test_a_priority_expression_gives_1_to_4_or_falls_back_to_normal(runtime, tmp_path, expression, level, failed):
    runtime.deploy([expense_copy(tmp_path, approve_priority=f"    priority: {{expression: '{expression}'}}\n")])
    case = runtime.start("expense", "sales.tseng", CLAIM)
    assert open_tasks(runtime, case)["approve"].priority == level
    events = [e for e in runtime.case(case)["history"] if e["kind"] == "priority_failed"]
    assert len(events) == failed
    if failed:
        assert events[0]["task_key"] == "approve" and events[0]["data"]["expression"] == expression


def test_tasks_without_a_priority_are_normal(runtime):
    runtime.deploy([PACKAGES / "expense"])
    case = runtime.start("expense", "sales.tseng", CLAIM)
    assert open_tasks(runtime, case)["approve"].priority == 3
    assert runtime.inbox("sales.yeh")["tasks"][0]["priority"] == 3


@pytest.mark.parametrize("entry,message", [
    ("    priority: 5\n", "is not a priority from 1 (urgent) to 4 (low)"),
    ("    priority: high\n", "is not a priority from 1 (urgent) to 4 (low)"),
    ("    priority: {expression: 'amount.__class__'}\n", "does not compile"),
    ("    priority: {formula: '1'}\n", "is not a priority"),
])
def test_bad_priorities_are_located_in_the_manifest(tmp_path, entry, message):
    with pytest.raises(PackageError) as info:
        load_package(expense_copy(tmp_path, approve_priority=entry))
    (problem,) = info.value.problems
    assert problem.file == "expense/process.yaml" and problem.element.startswith("tasks.approve.priority")
    assert message in problem.message


def test_the_two_triaging_procedures_carry_their_priority_to_every_task(runtime):
    runtime.deploy([PROCESSES / "incident-response"])
    case = runtime.start("incident-response", "sales.lu", {
        "incident_title": "Cold room compressor stopped", "incident_type": "safety", "impact": "high",
        "urgency": "medium", "description": "The compressor of cold room 2 stopped at 08:40.",
        "location": "Taoyuan warehouse", "affected_services": ["cold storage"]})
    assert {t.task_key: t.priority for t in open_tasks(runtime, case).values()} == {"acknowledge_incident": 2}


def test_an_existing_0001_database_upgrades_with_its_data(db_url):
    database = Database(db_url)
    migrate(database, "0001")
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO definitions (id, key, version, content_hash, process_id, manifest, "
                          "deployed_at) VALUES (1, 'expense', 1, 'h', 'expense', '{}', '2026-01-05 09:00:00+00:00')"))
        conn.execute(text("INSERT INTO instances (id, definition_id, process_key, status, starter, started_at, "
                          "updated_at, lock_version, serializer_version, search) VALUES (7, 1, 'expense', "
                          "'running', 'sales.tseng', '2026-01-05 09:00:00+00:00', '2026-01-05 09:00:00+00:00', 1, "
                          "'1.4', '{\"amount\": 420}')"))
        conn.execute(text("INSERT INTO human_tasks (id, instance_id, process_key, task_key, title_en, title_zh, "
                          "role, created_at) VALUES ('t-1', 7, 'expense', 'approve', 'Approve', '審核', "
                          "'department-head', '2026-01-05 09:00:00+00:00')"))
        conn.execute(text("INSERT INTO timers (instance_id, kind, task_id, human_task_id, due_at) VALUES "
                          "(7, 'sla', 't-1', 't-1', '2026-01-07 09:00:00+00:00')"))
    migrate(database)
    migrate(database)
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT id, priority, pool FROM human_tasks")).all() == [("t-1", 3, "role")]
        # The task's SLA timer survives: adding the column must not copy and drop human_tasks (FK cascade).
        assert conn.execute(text("SELECT human_task_id FROM timers")).all() == [("t-1",)]
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == newest_revision()
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert {"task_drafts", "attachments", "saved_filters", "task_people"} <= tables
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO task_drafts (task_id, username, data, saved_at) VALUES "
                          "('t-1', 'sales.yeh', '{}', '2026-01-05 09:00:00+00:00')"))
        conn.execute(text("DELETE FROM human_tasks WHERE id = 't-1'"))
        assert conn.execute(text("SELECT count(*) FROM task_drafts")).scalar() == 0
    database.dispose()


def test_inbox_benchmark_prints_figures():
    from engine.bench_inbox import run_inbox_bench

    lines = []
    run_inbox_bench(count=300, runs=3, echo=lines.append)
    rows = [line for line in lines if line.startswith("SQLite")]
    assert len(rows) == 3 and all(float(line.split()[-4]) > 0 for line in rows)
    assert [int(line.split()[-2]) for line in rows][0] == 300


def test_each_task_of_a_repeated_step_says_whose_it_is(runtime):
    runtime.deploy([PROCESSES / "risk-assessment"])
    case_id = runtime.start("risk-assessment", "ops.chen", {
        "trigger": "on-demand", "reason": "A new distributor contract in the south was signed last week.",
        "scope": "Southern distribution launch",
        "risks": [{"title": "Distributor pays late", "category": "financial", "owner": "fin.kuo",
                   "description": "60-day terms with a new partner without payment history."},
                  {"title": "Distributor takes share", "category": "market", "owner": "sales.yeh",
                   "description": "Overlapping customers between the distributor and our sales team."}]})
    titles = sorted(t["title_en"] for t in runtime.case(case_id)["tasks"])
    assert titles == ["Rate a risk: 1. Distributor pays late", "Rate a risk: 2. Distributor takes share"]
