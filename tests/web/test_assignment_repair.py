"""A task whose assignment failed, on the web: listed in its supervisors' inbox, explained on the task and case
pages, and given by a supervisor to someone who may do the step."""
from tests.webapp import stuck_expense
from webui.i18n import COOKIE


def test_a_supervisors_inbox_lists_the_tasks_that_went_to_nobody(runtime, login, tmp_path):
    case_id, task_id = stuck_expense(runtime, tmp_path)
    body = login("ops.wang").get("/inbox").get_data(as_text=True)
    assert "1 task could not be given to anyone" in body
    assert f'href="/tasks/{task_id}"' in body and f"#{case_id}" in body
    other = login("sales.lu").get("/inbox").get_data(as_text=True)
    assert "could not be given to anyone" not in other


def test_the_task_page_says_why_and_offers_only_people_who_may_do_the_step(runtime, login, tmp_path):
    case_id, task_id = stuck_expense(runtime, tmp_path)
    body = login("ops.wang").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Nobody can take this task: its assignment failed" in body
    assert "The procedure&#39;s assignee expression names nobody." in body
    assert "<code>manager_of(starter)</code>" in body
    offered = body.split('id="repair_to"')[1].split("</select>")[0]
    assert 'value="fin.kuo"' in offered and 'value="sales.yeh"' in offered
    assert 'value="ceo.lee"' not in offered and 'value="sales.lu"' not in offered  # the starter; not a head
    assert 'id="to_user"' not in body  # no second, empty reassign form
    case_page = login("ceo.lee").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "nobody can take it: its assignment failed" in case_page


def test_a_supervisor_assigns_the_task_and_the_history_says_so(runtime, login, tmp_path):
    case_id, task_id = stuck_expense(runtime, tmp_path)
    client = login("ops.wang")
    response = client.post(f"/tasks/{task_id}/repair", data={"to_user": "fin.kuo"})
    assert response.status_code == 302
    assert runtime.case(case_id)["tasks"][0]["assignee"] == "fin.kuo"
    body = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Nobody can take this task" not in body
    assert "Wang Mei-ling assigned “Approve expense claim”, which nobody could take, to Kuo" in body
    assert "could not be given to anyone" not in client.get("/inbox").get_data(as_text=True)
    assert login("fin.kuo").get(f"/tasks/{task_id}").status_code == 200


def test_outsiders_cannot_repair_and_strangers_learn_nothing(runtime, login, tmp_path):
    case_id, task_id = stuck_expense(runtime, tmp_path)
    assert login("ops.wang").post(f"/tasks/{task_id}/repair", data={"to_user": "sales.lu"}).status_code == 403
    assert login("sales.yeh").post(f"/tasks/{task_id}/repair", data={"to_user": "fin.kuo"}).status_code == 404
    assert login("sales.yeh").post(f"/tasks/{task_id}/repair", data={}).status_code == 404
    assert runtime.case(case_id)["tasks"][0]["assignee"] is None


def test_the_repair_reads_in_chinese(runtime, login, tmp_path):
    _case_id, task_id = stuck_expense(runtime, tmp_path)
    client = login("ops.wang")
    client.set_cookie(COOKIE, "zh_Hant")
    inbox = client.get("/inbox").get_data(as_text=True)
    task = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "could not be given" not in inbox and "Nobody can take" not in task
    assert "無法指派" in inbox and "無法指派" in task
