"""Every route, walked as every demo user: what the engine lets a user see answers, anything else is 404.

The engine is the oracle: for each task, case and attachment the expected status comes from
asking the runtime whether this user may see it, so the web UI can neither show more than the
engine allows nor hide what it allows. A route added without a line here fails the test.
"""
import io

import pytest
import yaml

from engine.errors import Forbidden, NotFound
from tests.conftest import ORG_FILE
from tests.web.conftest import sign_in
from tests.webapp import start_purchase

USERS = [u["username"] for u in yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))["users"]]
UNKNOWN_TASK = "00000000-0000-4000-8000-000000000000"
UNKNOWN_FILE = "0" * 32
UNKNOWN_INCIDENT = 999999
# Text of each case that a page answering 404 must never show.
SECRETS = ("Two monitors", "Printer paper", "2026 H1 review")


def build_world(runtime):
    """Cases whose pages differ by who asks: assigned, role, confidential, finished; files and a filter."""
    mine = start_purchase(runtime, "ops.lin")                     # head approval assigned to ops.wang
    other = start_purchase(runtime, "sales.lu", title="Printer paper")
    approval = runtime.inbox("sales.yeh")["tasks"][0]["id"]
    runtime.complete(approval, "sales.yeh", {"head_decision": "approve"})  # now a procurement role task
    review = runtime.start("performance-review", "hr.yang", {
        "cycle_name": "2026 H1 review", "period_start": "2026-01-01", "period_end": "2026-06-30",
        "employees": [{"username": "sales.tseng"}, {"username": "wh.kao"}]})
    runtime.add_comment(review, "hr.yang", "Calibration meeting on 15 July.")
    case_file = runtime.add_attachment("ops.lin", "quote.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 quote"),
                                  case_id=mine)["id"]
    pending = runtime.add_attachment("sales.lu", "draft.txt", "text/plain", io.BytesIO(b"not sent yet"))["id"]
    saved = runtime.save_filter("ops.lin", "Overdue", "due=overdue")
    token = runtime.create_token("ops.lin", "script")["token"]["id"]
    tasks = [t["id"] for case in (mine, other, review) for t in runtime.case(case)["tasks"]]
    return {"cases": [mine, other, review], "tasks": tasks, "files": [case_file, pending], "filter": saved,
            "token": token}


def sees(check, *args):
    """True unless the engine answers NotFound."""
    try:
        check(*args)
    except NotFound:
        return False
    return True


def refusal(command, *args):
    """The status of the engine's refusal of a command that must be refused: 404 (not found) or 403."""
    try:
        command(*args)
    except NotFound:
        return 404
    except Forbidden:
        return 403
    raise AssertionError(f"{command.__name__}{args} was not refused")


class Walk:
    """Requests as one user, collecting every answer that differs from the expected status."""

    def __init__(self, app, client, user):
        self.client, self.user, self.wrong, self.endpoints = client, user, [], set()
        self.routes = app.url_map.bind("localhost")

    def expect(self, method, url, allowed, data=None, **request):
        """`allowed` is a status or a set of statuses; a 404 must not show any case's text; `request`: more of
        the test client's arguments (environ_base, headers)."""
        response = self.client.open(url, method=method, data=data or {}, **request)
        allowed = {allowed} if isinstance(allowed, int) else set(allowed)
        self.endpoints.add(self.routes.match(url.split("?")[0], method=method)[0])
        if response.status_code not in allowed:
            self.wrong.append(f"{method} {url}: {response.status_code}, expected {sorted(allowed)}")
        if response.status_code == 404:
            body = response.get_data(as_text=True)
            # The page says "not found, or you may not see it" and nothing of the engine's reason.
            leaked = [s for s in SECRETS if s in body] + (["engine detail"] if "errorpage__detail" in body else [])
            if leaked:
                self.wrong.append(f"{method} {url}: 404 page shows {leaked}")
        return response


def routes_of(app):
    """Every endpoint of the app but static files."""
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


@pytest.mark.parametrize("user", USERS)
def test_every_route_as_every_demo_user(app, runtime, user):
    world = build_world(runtime)
    client = sign_in(app.test_client(), user)
    walk = Walk(app, client, user)
    for url in ("/", "/inbox", "/inbox?scope=mine&due=overdue&sort=-created", "/inbox?process=procurement&s.title=x",
                "/start", "/requests", "/requests?status=running", "/account/password", "/account/tokens"):
        walk.expect("GET", url, {200, 302})
    walk.expect("GET", "/healthz", 503)  # open to all; 503 because no timer worker runs here
    walk.expect("GET", "/metrics", 200)  # operators' figures: the test client is a loopback client
    walk.expect("GET", "/metrics", 404, environ_base={"REMOTE_ADDR": "10.0.0.5"})  # nobody else, signed in or not
    walk.expect("GET", "/login", 302)  # signed in already: back to the inbox
    listed = {t["id"] for t in walk.expect("GET", "/api/v1/tasks", 200).get_json()["tasks"]}
    assert all(sees(runtime.task, task_id, user) for task_id in listed), "the API lists a task the engine hides"

    startable = {p["key"] for p in runtime.startable(user)}
    for key in [d["key"] for d in runtime.definitions()] + ["no-such-procedure"]:
        walk.expect("GET", f"/start/{key}", 200 if key in startable else 404)
        walk.expect("POST", f"/start/{key}", 422 if key in startable else 404, {"action": "start"})
        # The SOP: for whoever may start the procedure, supervise it or own it (the engine's read decides).
        readable = sees(runtime.sop, key, user)
        walk.expect("GET", f"/procedures/{key}/sop", 200 if readable else 404)
        walk.expect("GET", f"/procedures/{key}/sop/diagram.json", 200 if readable else 404)

    for task_id in world["tasks"] + [UNKNOWN_TASK]:
        visible = sees(runtime.task, task_id, user)
        actions = runtime.task_actions(task_id, user) if visible else {}
        walk.expect("GET", f"/tasks/{task_id}", 200 if visible else 404)
        walk.expect("POST", f"/tasks/{task_id}", (422 if actions["can_complete"] else 403) if visible else 404,
                    {"action": "complete"})
        walk.expect("POST", f"/tasks/{task_id}/reassign", 302 if visible else 404, {"to_user": ""})
        eligible = {p["username"] for p in runtime.candidates(task_id, user)} if actions.get("can_reassign") else set()
        outsider = next(u for u in USERS if u not in eligible)  # nobody outside the step's eligible set
        walk.expect("POST", f"/tasks/{task_id}/reassign", 403 if visible else 404, {"to_user": outsider})
        walk.expect("POST", f"/tasks/{task_id}/repair", 302 if visible else 404, {"to_user": ""})
        # Only a task nobody may take is repaired: a supervisor hears that this one may be taken (409).
        walk.expect("POST", f"/tasks/{task_id}/repair",
                    (409 if actions.get("can_reassign") else 403) if visible else 404, {"to_user": outsider})
        walk.expect("POST", f"/tasks/{task_id}/draft/discard", 302 if visible else 404)
        walk.expect("POST", f"/tasks/{task_id}/release",
                    (302 if actions["can_release"] else {403, 409}) if visible else 404)

    for case_id in world["cases"] + [99999]:
        visible = sees(runtime.case, case_id, user, "en")
        for page in ("", "/diagram.json", "/started", "/cancel"):
            walk.expect("GET", f"/cases/{case_id}{page}", 200 if visible else 404)
        walk.expect("POST", f"/cases/{case_id}/comments", 422 if visible else 404, {"text": "  "})
        walk.expect("POST", f"/cases/{case_id}/attachments", 302 if visible else 404)
        # No incident has this id: a supervisor hears so (404), anyone else who sees the case is refused first.
        walk.expect("POST", f"/cases/{case_id}/incidents/{UNKNOWN_INCIDENT}/retry",
                    refusal(runtime.retry_incident, case_id, UNKNOWN_INCIDENT, user))

    for file_id in world["files"] + [UNKNOWN_FILE]:
        walk.expect("GET", f"/attachments/{file_id}", 200 if sees(runtime.attachment, file_id, user) else 404)

    # Commands that change things come last, each checked against what the engine allows.
    role_task = runtime.case(world["cases"][1])["tasks"][0]["id"]
    if sees(runtime.task, role_task, user):
        claimable = runtime.task_actions(role_task, user)["can_claim"]
        walk.expect("POST", f"/tasks/{role_task}/claim", 302 if claimable else 403)
    else:
        walk.expect("POST", f"/tasks/{role_task}/claim", 404)
    walk.expect("POST", "/inbox/claim", 302, {"task": [UNKNOWN_TASK]})
    walk.expect("POST", f"/inbox/filters/{world['filter']}/delete", 302 if user == "ops.lin" else 404)
    walk.expect("POST", "/inbox/filters", 302, {"name": "Mine", "query": "scope=mine"})
    walk.expect("POST", f"/account/tokens/{world['token']}/revoke", 302 if user == "ops.lin" else 404)
    walk.expect("POST", "/account/tokens", 422, {"name": ""})
    for case_id in world["cases"]:
        case = runtime.case(case_id, user, "en") if sees(runtime.case, case_id, user, "en") else None
        walk.expect("POST", f"/cases/{case_id}/cancel",
                    404 if case is None else (302 if case["can_cancel"] else 403), {"reason": "test"})
    walk.expect("POST", "/language", 302, {"lang": "zh_Hant", "next": "/inbox"})
    walk.expect("POST", "/logout", 302)

    assert walk.wrong == [], "\n".join(walk.wrong)
    assert routes_of(app) - walk.endpoints == set(), "routes the walk does not cover"


def test_confidential_case_shows_only_to_its_people(app, runtime):
    world = build_world(runtime)
    review = world["cases"][2]
    allowed = {u for u in USERS if sees(runtime.case, review, u, "en")}
    assert {"hr.yang", "hr.liu"} <= allowed
    assert "sales.tseng" not in allowed and "ops.wang" not in allowed and "it.wu" not in allowed
    own = [t for t in runtime.case(review)["tasks"] if t["assignee"] == "sales.tseng"]
    client = sign_in(app.test_client(), "sales.tseng")
    page = client.get(f"/tasks/{own[0]['id']}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "wh.kao" not in body and "Where the case is" not in body  # their task, not the cycle
    assert client.get(f"/cases/{review}").status_code == 404
