"""The JSON API under /api/v1: the signed-in user's inbox, and every refusal as problem+json with its code."""
from datetime import UTC, datetime

import pytest
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from engine.error_codes import CODES
from engine.errors import Busy, Conflict, FieldError, Forbidden, NotFound, NotReady, ValidationFailed
from engine.formrules import Translated
from tests.webapp import approved_purchase
from webui.api import problems

PROBLEM = "application/problem+json"


def purchases_for_procurement(runtime, titles):
    """Purchase requests their head approved, each waiting unclaimed for Procurement; their task ids."""
    return [approved_purchase(runtime, "ops.lin", title=title)[1]["id"] for title in titles]


def test_a_stranger_gets_401_as_a_problem_never_the_sign_in_page(client):
    response = client.get("/api/v1/tasks")
    assert (response.status_code, response.mimetype, response.location) == (401, PROBLEM, None)
    body = response.get_json(force=True)
    assert (body["status"], body["code"]) == (401, "unauthenticated")
    assert body["type"] == "urn:opsflow:problem:unauthenticated"
    assert body["instance"] == "/api/v1/tasks" and body["params"] == {}


def test_the_inbox_as_json(runtime, login):
    first, second = purchases_for_procurement(runtime, ["Laptop stand", "Desk lamps"])
    runtime.claim(first, "proc.lai")
    client = login("proc.lai")
    response = client.get("/api/v1/tasks")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_json()
    assert {t["id"] for t in page["tasks"]} == {first, second}
    assert page["counts"] == {"all": 2, "mine": 1, "unclaimed": 1, "due_soon": 2, "overdue": 0}
    assert (page["total"], page["page"], page["pages"], page["per_page"]) == (2, 1, 1, 50)
    mine = next(t for t in page["tasks"] if t["id"] == first)
    assert (mine["assignee"], mine["starter"], mine["process_key"], mine["role"]) == (
        "proc.lai", "ops.lin", "procurement", "procurement")
    assert set(mine["title"]) == {"en", "zh-Hant"} and mine["fields"]["title"] == "Laptop stand"
    assert mine["created_at"] == runtime.clock.now().isoformat()
    assert [t["id"] for t in client.get("/api/v1/tasks?scope=unclaimed").get_json()["tasks"]] == [second]
    assert login("sales.lu").get("/api/v1/tasks").get_json()["tasks"] == []


def test_a_bad_query_is_422_with_the_fields_in_error(login):
    response = login("proc.lai").get("/api/v1/tasks?sort=sideways")
    assert (response.status_code, response.mimetype) == (422, PROBLEM)
    body = response.get_json(force=True)
    assert (body["kind"], body["code"]) == ("invalid", "form_invalid")
    assert [e["field"] for e in body["errors"]] == ["sort"] and "is not one of" in body["errors"][0]["message"]
    assert body["errors"][0]["code"] == "not_one_of" and set(body["errors"][0]["params"]) == {"choices"}


def test_a_busy_database_is_503_with_retry_after(runtime, login, monkeypatch):
    client = login("proc.lai")

    def busy(*args, **kwargs):
        raise Busy("database_busy", seconds=10.0)

    monkeypatch.setattr(runtime, "inbox", busy)
    response = client.get("/api/v1/tasks")
    assert (response.status_code, response.mimetype, response.headers["Retry-After"]) == (503, PROBLEM, "5")
    assert response.get_json(force=True)["code"] == "database_busy"


def test_unknown_api_urls_and_methods_are_problems_but_pages_stay_pages(client, login):
    missing = client.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.mimetype, missing.get_json(force=True)["code"]) == (404, PROBLEM, "not_found")
    wrong = login("proc.lai").post("/api/v1/tasks")
    assert (wrong.status_code, wrong.mimetype, wrong.get_json(force=True)["code"]) == (
        405, PROBLEM, "method_not_allowed")
    assert "GET" in wrong.headers["Allow"]
    page = client.get("/no-such-page")
    assert (page.status_code, page.mimetype) == (404, "text/html")


@pytest.mark.parametrize(("error", "status", "kind"), [
    (NotFound("no_task", task="t-1"), 404, "not_found"),
    (Forbidden("not_supervisor", user="sales.lu", procedure="procurement"), 403, "forbidden"),
    (Conflict("task_changed", task="t-1"), 409, "conflict"),
    (NotReady("case_cancelled", case=3, task="t-1"), 409, "not_ready"),
    (ValidationFailed({"amount": FieldError("minimum", n=0)}), 422, "invalid"),
    (Busy("database_busy", seconds=10.0), 503, "database_busy"),
])
def test_each_engine_refusal_has_its_status_and_code(app, error, status, kind):
    with app.test_request_context("/api/v1/tasks"):
        response = problems.engine_problem(error)
    body = response.get_json(force=True)
    assert (response.status_code, response.mimetype, body["status"]) == (status, PROBLEM, status)
    if status == 404:  # a 404 says nothing about what exists: it reads as the HTTP one
        assert (body["code"], body["params"], "kind" in body, "detail" in body) == ("not_found", {}, False, False)
    else:
        assert (body["kind"], body["code"], body["params"]) == (kind, error.code, error.params)
        assert body["type"] == "urn:opsflow:problem:" + error.code and body["detail"]


def test_a_refusal_s_params_and_field_list_reach_the_client(app):
    done = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    rule = Translated({"en": "too late", "zh-Hant": "太晚了"})
    with app.test_request_context("/api/v1/tasks"):
        conflict = problems.engine_problem(Conflict("task_done", task="t-1", user="proc.lai", at=done))
        invalid = problems.engine_problem(ValidationFailed({"amount": FieldError("minimum", n=0), "": rule}))
    assert conflict.get_json(force=True)["params"] == {"task": "t-1", "user": "proc.lai", "at": done.isoformat()}
    assert invalid.get_json(force=True)["errors"] == [
        {"field": "amount", "code": "minimum", "params": {"n": 0}, "message": "must be at least 0"},
        {"field": "", "code": "form_rule", "params": {"message": "too late"}, "message": "too late",
         "translations": {"en": "too late", "zh-Hant": "太晚了"}}]


def test_a_refusal_reads_in_the_caller_s_language_and_keeps_its_code(app):
    with app.test_request_context("/api/v1/tasks", headers={"Accept-Language": "zh-TW"}):
        body = problems.engine_problem(Forbidden("task_not_claimed", user="ops.wang", task="t-1")).get_json(force=True)
    assert (body["code"], body["detail"]) == ("task_not_claimed", "您尚未認領此任務。")


def test_no_engine_code_is_named_like_an_http_problem():
    assert (set(problems.HTTP_CODES.values()) | {"csrf"}).isdisjoint(CODES)


@pytest.mark.parametrize(("error", "status", "code"), [
    (RequestEntityTooLarge(), 413, "too_large"), (TooManyRequests(retry_after=30), 429, "too_many_requests")])
def test_http_errors_keep_their_status_and_headers(app, error, status, code):
    with app.test_request_context("/api/v1/tasks"):
        response = problems.http_problem(error)
    assert (response.status_code, response.mimetype, response.get_json(force=True)["code"]) == (status, PROBLEM, code)
    if status == 429:
        assert response.headers["Retry-After"] == "30"


def test_a_problem_s_title_is_in_the_caller_s_language(client):
    body = client.get("/api/v1/tasks", headers={"Accept-Language": "zh-TW"}).get_json(force=True)
    assert (body["title"], body["code"]) == ("請先登入", "unauthenticated")
