"""The task page reads the engine once: one runtime call, in one read transaction.

Around it, a request reads only what every page needs once (the signed-in account, and the
organisation's and procedures' names, cached per request by webui/names.py). A web view that asks
the runtime for a second piece of the task page (its actions, its draft, the case) fails here.
"""
import contextlib

import pytest

from tests.webapp import start_purchase

# What any signed-in page reads once per request, whatever it shows.
REQUEST_WIDE = {"account", "users", "roles", "departments", "definitions"}
PUBLIC = ("task", "task_page", "case", "task_actions", "draft", "candidates", "assignment_repair", "attachment",
          "people", "complete", "start", "start_form", "save_draft", "case_incidents", "stuck_in_case",
          "field_choices", "inbox") + tuple(REQUEST_WIDE)


@pytest.fixture
def calls(runtime):
    """The names of the runtime methods called, in order (the methods still run)."""
    made = []
    for name in PUBLIC:
        method = getattr(runtime, name)
        setattr(runtime, name, _recording(made, name, method))
    return made


def _recording(made, name, method):
    """`method`, noting its name in `made` on each call."""
    def call(*args, **kwargs):
        made.append(name)
        return method(*args, **kwargs)
    return call


def _task_calls(made):
    """The calls a view made beyond the request-wide look-ups (each of those at most once per request)."""
    for name in REQUEST_WIDE:
        assert made.count(name) <= 1, f"{name} read {made.count(name)} times in one request"
    return [name for name in made if name not in REQUEST_WIDE]


@pytest.mark.parametrize("user", ["ops.wang", "proc.chou", "ops.lin", "ceo.lee"])
def test_the_task_page_calls_the_runtime_once(runtime, login, calls, user):
    """The assignee, a supervisor (who also gets candidates and repair facts) and the starter alike."""
    task_id = runtime.case(start_purchase(runtime))["tasks"][0]["id"]
    client = login(user)
    calls.clear()
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code in (200, 404)
    assert _task_calls(calls) == ["task_page"]


def test_a_refused_submission_is_one_complete_call_then_the_page(runtime, login, calls):
    """Letters in a number and a missing choice are reported together by the engine's one answer."""
    task_id = runtime.case(start_purchase(runtime))["tasks"][0]["id"]
    client = login("ops.wang")
    calls.clear()
    response = client.post(f"/tasks/{task_id}", data={"action": "complete", "head_comment": ""})
    assert response.status_code == 422
    assert _task_calls(calls) == ["task", "complete", "task_page"]


def test_the_task_page_is_one_read_transaction(runtime):
    """task_page opens exactly one unit of work, a read."""
    task_id = runtime.case(start_purchase(runtime))["tasks"][0]["id"]
    opened = []
    read, write, command = runtime.db.read, runtime.db.write, runtime.db.command

    def counted(kind, scope):
        @contextlib.contextmanager
        def unit(*args, **kwargs):
            opened.append(kind)
            with scope(*args, **kwargs) as session:
                yield session
        return unit

    db = runtime.db
    db.read, db.write, db.command = counted("read", read), counted("write", write), counted("command", command)
    try:
        page = runtime.task_page(task_id, "proc.chou", "en")
    finally:
        db.read, db.write, db.command = read, write, command
    assert opened == ["read"]
    assert page["case"]["id"] and page["actions"]["can_reassign"] is True and page["candidates"]
