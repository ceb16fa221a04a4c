"""The task page: instructions, form round trips, drafts, rows without JavaScript, claim/release/reassign, stale."""
import re
from datetime import timedelta

import pytest

from tests.webapp import approved_purchase, start_purchase


def head_task(runtime, case_id):
    """The department head's approval task of a purchase request."""
    return runtime.case(case_id)["tasks"][0]["id"]


def test_task_page_shows_instructions_form_and_case(runtime, login):
    case_id = start_purchase(runtime)
    page = login("ops.wang").get(f"/tasks/{head_task(runtime, case_id)}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Approve purchase request (department head)" in body
    assert "<li>27-inch monitor: 2 pcs × 9,000 = 18,000 TWD</li>" in body  # instructions: case data, a list
    assert 'name="head_decision"' in body and 'name="head_comment"' in body
    assert "Lin Ya-ting started the case" in body  # history of the case around the task
    assert f'data-diagram-url="/cases/{case_id}/diagram.json"' in body


def test_instructions_are_escaped(runtime, login):
    case_id = start_purchase(runtime, title="<script>alert(1)</script> chairs")
    body = login("ops.wang").get(f"/tasks/{head_task(runtime, case_id)}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; chairs" in body


def test_errors_come_back_per_field_with_what_was_typed(runtime, login):
    case_id = start_purchase(runtime)
    task_id = head_task(runtime, case_id)
    response = login("ops.wang").post(f"/tasks/{task_id}", data={"action": "complete", "head_decision": "reject",
                                                                  "head_comment": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'href="#f-head_comment"' in body  # the summary links to the field
    assert re.search(r'id="f-head_comment"[^>]*aria-invalid="true"', body)
    assert re.search(r'value="reject"[^>]*checked|checked[^>]*value="reject"', body)
    assert runtime.case(case_id)["tasks"][0]["id"] == task_id  # nothing was completed


def test_a_wrong_number_is_reported_and_kept(runtime, login):
    case_id, task = approved_purchase(runtime)
    task_id = task["id"]
    client = login("proc.hsieh")
    runtime.complete(task_id, "proc.hsieh", {"suppliers_to_quote": [{"name": "Acme Displays"}]})
    quote = runtime.case(case_id)["tasks"][0]
    response = client.post(f"/tasks/{quote['id']}", data={"action": "complete", "quote_amount": "12,5x0",
                                                          "quote_delivery_days": "ten"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'value="12,5x0"' in body and 'value="ten"' in body


def test_draft_is_saved_restored_and_discarded(runtime, login):
    case_id = start_purchase(runtime)
    task_id = head_task(runtime, case_id)
    client = login("ops.wang")
    saved = client.post(f"/tasks/{task_id}", data={"action": "draft", "head_decision": "reject",
                                                   "head_comment": "Half of it, please"})
    assert saved.status_code == 302
    body = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Half of it, please" in body and "Draft saved" in body
    assert runtime.case(case_id)["tasks"][0]["id"] == task_id  # a draft sends nothing
    assert "Half of it" not in login("it.wu").get(f"/tasks/{task_id}").get_data(as_text=True)  # drafts are mine
    client.post(f"/tasks/{task_id}/draft/discard")
    assert "Half of it, please" not in client.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_rows_are_added_and_removed_without_javascript(runtime, login):
    task_id = approved_purchase(runtime)[1]["id"]
    client = login("proc.hsieh")
    grown = client.post(f"/tasks/{task_id}", data={"suppliers_to_quote/0/name": "Acme Displays",
                                                   "_add": "suppliers_to_quote"})
    body = grown.get_data(as_text=True)
    assert grown.status_code == 200
    assert 'value="Acme Displays"' in body and 'name="suppliers_to_quote/1/name"' in body
    shrunk = client.post(f"/tasks/{task_id}", data={"suppliers_to_quote/0/name": "Acme Displays",
                                                    "suppliers_to_quote/1/name": "Bright Screens",
                                                    "_remove": "suppliers_to_quote/0"})
    body = shrunk.get_data(as_text=True)
    assert 'value="Bright Screens"' in body and "Acme Displays" not in body


def test_completing_moves_the_case_on_and_says_so(runtime, login):
    case_id = start_purchase(runtime)
    client = login("ops.wang")
    done = client.post(f"/tasks/{head_task(runtime, case_id)}", data={"action": "complete", "head_decision": "approve"})
    assert done.status_code == 302 and done.location == "/inbox"
    assert "Done: Approve purchase request (department head)" in client.get("/inbox").get_data(as_text=True)
    assert runtime.case(case_id)["tasks"][0]["task_key"] == "list_suppliers"


def test_someone_else_completed_it_first(runtime, login):
    case_id = start_purchase(runtime)
    task_id = head_task(runtime, case_id)
    client = login("ops.wang")
    assert client.get(f"/tasks/{task_id}").status_code == 200
    runtime.complete(task_id, "ops.wang", {"head_decision": "approve"})
    stale = client.post(f"/tasks/{task_id}", data={"action": "complete", "head_decision": "reject",
                                                   "head_comment": "no"})
    assert stale.status_code == 409
    assert "This task was already completed by Wang Mei-ling at" in stale.get_data(as_text=True)
    assert [e["kind"] for e in runtime.case(case_id)["history"]].count("task_completed") == 1


def test_a_task_of_a_cancelled_case(runtime, login):
    case_id = start_purchase(runtime)
    task_id = head_task(runtime, case_id)
    client = login("ops.wang")
    runtime.cancel(case_id, "ops.lin", "bought elsewhere")
    for response in (client.get(f"/tasks/{task_id}"),
                     client.post(f"/tasks/{task_id}", data={"action": "complete", "head_decision": "approve"}),
                     client.post(f"/tasks/{task_id}", data={"action": "draft", "head_comment": "x"})):
        assert response.status_code == 409
        assert f"Case #{case_id} was cancelled, so this task can no longer be done" in response.get_data(as_text=True)


def test_claim_release_and_reassign(runtime, login):
    task_id = approved_purchase(runtime)[1]["id"]
    officer = login("proc.lai")
    page = officer.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'action="/tasks/{task_id}/claim"' in page
    assert officer.post(f"/tasks/{task_id}/claim").status_code == 302
    assert runtime.task(task_id, "proc.lai")["assignee"] == "proc.lai"
    assert f'action="/tasks/{task_id}/release"' in officer.get(f"/tasks/{task_id}").get_data(as_text=True)
    taken = login("proc.chou").post(f"/tasks/{task_id}/claim")
    assert taken.status_code == 409 and "Lai Po-wei has already claimed this task." in taken.get_data(as_text=True)
    assert officer.post(f"/tasks/{task_id}/release").status_code == 302
    assert runtime.task(task_id, "proc.lai")["assignee"] is None
    # ops.wang supervises procurement: may hand it over, only to a holder of the role.
    supervisor = login("ops.wang")
    page = supervisor.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="to_user"' in page and 'value="proc.chou"' in page and 'value="sales.lu"' not in page
    assert supervisor.post(f"/tasks/{task_id}/reassign", data={"to_user": "proc.chou"}).status_code == 302
    assert runtime.task(task_id, "proc.chou")["assignee"] == "proc.chou"
    # A department head works on their approval but does not supervise procurement.
    other = start_purchase(runtime, "sales.lu")
    head = login("sales.yeh")
    approval = head_task(runtime, other)
    assert 'name="to_user"' not in head.get(f"/tasks/{approval}").get_data(as_text=True)
    assert head.post(f"/tasks/{approval}/reassign", data={"to_user": "sales.tseng"}).status_code == 403


@pytest.mark.parametrize("hours, css", [(1, "task--soon"), (30, "task--overdue")])
def test_near_due_and_overdue_tasks_stand_out(runtime, login, clock, hours, css):
    approved_purchase(runtime)  # list_suppliers is due in one day
    clock.advance(timedelta(hours=24 - hours) if css == "task--soon" else timedelta(hours=hours))
    body = login("proc.hsieh").get("/inbox").get_data(as_text=True)
    assert f'class="task {css}"' in body


def test_reassigning_names_the_new_assignee_by_name(runtime, login):
    task_id = approved_purchase(runtime)[1]["id"]
    supervisor = login("ops.wang")
    body = supervisor.post(f"/tasks/{task_id}/reassign", data={"to_user": "proc.chou"},
                           follow_redirects=True).get_data(as_text=True)
    assert "The task is now assigned to Chou Hsin-yi." in body


@pytest.mark.parametrize(("language", "lane"), [("en", "Requester"), ("zh-Hant", "申請人")])
def test_for_names_the_persons_role_in_this_step(runtime, login, language, lane):
    case_id = start_purchase(runtime)
    head = runtime.case(case_id)["tasks"][0]
    runtime.complete(head["id"], head["assignee"], {"head_decision": "reject", "head_comment": "Too many monitors."})
    revise = runtime.case(case_id)["tasks"][0]
    body = login("ops.lin").get(f"/tasks/{revise['id']}", headers={"Accept-Language": language}).get_data(as_text=True)
    # the lane of the step, not the lane's role (Employee)
    assert f'Lin Ya-ting</span> <span class="muted">({lane})</span>' in body


@pytest.mark.parametrize(("language", "names"), [
    ("en", ['name="Approved?"', 'name="Requester"']),
    ("zh-Hant", ['name="核准？"', 'name="申請人"', 'name="核准採購申請（部門主管）"'])])
def test_the_diagram_names_steps_in_the_readers_language(runtime, login, language, names):
    case_id = start_purchase(runtime)
    shown = login("ops.lin").get(f"/cases/{case_id}/diagram.json", headers={"Accept-Language": language}).get_json()
    assert all(name in shown["xml"] for name in names), names
