"""The inbox: counts, scopes, filters, sorting, paging, saved filters, bulk claim, htmx partial."""
from datetime import timedelta

import pytest

from tests.conftest import PACKAGES
from tests.webapp import approved_purchase


def procurement_tasks(runtime, titles, starter="ops.lin"):
    """Purchase requests approved by the head, so each waits unclaimed for Procurement; return the task ids."""
    return [approved_purchase(runtime, starter, title=title)[1]["id"] for title in titles]


def listed(body, ids):
    """The ids among `ids` that a page links to, in page order."""
    positions = {i: body.find(f"/tasks/{i}") for i in ids}
    return [i for i, at in sorted(positions.items(), key=lambda p: p[1]) if at >= 0]


def test_counts_and_scopes(runtime, login):
    first, second = procurement_tasks(runtime, ["Laptop stand", "Desk lamps"])
    runtime.claim(first, "proc.lai")
    client = login("proc.lai")
    body = client.get("/inbox").get_data(as_text=True)
    assert "2 open · 1 mine · 1 to claim" in body
    assert listed(client.get("/inbox?scope=mine").get_data(as_text=True), [first, second]) == [first]
    assert listed(client.get("/inbox?scope=unclaimed").get_data(as_text=True), [first, second]) == [second]
    assert listed(login("proc.chou").get("/inbox").get_data(as_text=True), [first, second]) == [second]
    assert listed(login("sales.lu").get("/inbox").get_data(as_text=True), [first, second]) == []


def test_filters_by_procedure_search_field_due_and_priority(runtime, login, clock):
    lamps, chairs = procurement_tasks(runtime, ["Desk lamps", "Office chairs"])
    client = login("proc.hsieh")
    body = client.get("/inbox?process=procurement&s.title=lamp").get_data(as_text=True)
    assert listed(body, [lamps, chairs]) == [lamps]
    assert 'name="s.total_amount.min"' in body  # the procedure's searchable fields appear once it is chosen
    assert listed(client.get("/inbox?process=procurement&s.total_amount.min=20000").get_data(as_text=True),
                  [lamps, chairs]) == []
    assert listed(client.get("/inbox?process=complaint-handling").get_data(as_text=True), [lamps, chairs]) == []
    assert listed(client.get("/inbox?due=overdue").get_data(as_text=True), [lamps, chairs]) == []
    clock.advance(timedelta(days=2))
    assert set(listed(client.get("/inbox?due=overdue").get_data(as_text=True), [lamps, chairs])) == {lamps, chairs}
    assert listed(client.get("/inbox?priority=1").get_data(as_text=True), [lamps, chairs]) == []
    assert set(listed(client.get("/inbox?priority=3").get_data(as_text=True), [lamps, chairs])) == {lamps, chairs}
    # Nonsense in the URL falls back to defaults instead of failing.
    assert client.get("/inbox?process=nope&priority=x&due=soon&sort=up&page=-3").status_code == 200


def test_sorting_and_paging(runtime, login, clock, monkeypatch):
    import webui.work.inbox

    ids = []
    for title in ["Alpha", "Bravo", "Charlie"]:
        ids += procurement_tasks(runtime, [title])
        clock.advance(timedelta(hours=1))
    client = login("proc.hsieh")
    assert listed(client.get("/inbox?sort=created").get_data(as_text=True), ids) == ids
    assert listed(client.get("/inbox?sort=-created").get_data(as_text=True), ids) == ids[::-1]
    monkeypatch.setattr(webui.work.inbox, "PER_PAGE", 2)
    first = client.get("/inbox?sort=created").get_data(as_text=True)
    assert listed(first, ids) == ids[:2] and "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/inbox?sort=created&page=2").get_data(as_text=True)
    assert listed(second, ids) == ids[2:] and 'href="?sort=created&amp;page=1"' in second


def test_htmx_gets_the_results_and_the_chosen_procedures_search_fields(runtime, login):
    procurement_tasks(runtime, ["Desk lamps"])
    partial = login("proc.hsieh").get("/inbox?process=procurement",
                                      headers={"HX-Request": "true", "HX-Target": "inbox-results"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body
    assert '<div id="inbox-results">' in body
    search = body[body.index('<div id="inbox-search">'):body.index('<div id="inbox-results">')]
    assert 'name="s.title"' in search and 'name="s.total_amount.min"' in search


def test_a_choice_field_is_searched_by_its_label_in_the_users_language(runtime, login):
    it, office = (approved_purchase(runtime, title=t, category=c)[1]["id"]
                  for t, c in (("Laptops", "it"), ("Chairs", "office")))
    client = login("proc.hsieh")
    english = client.get("/inbox?process=procurement&s.category=furniture").get_data(as_text=True)
    assert listed(english, [it, office]) == [office]
    chinese = client.get("/inbox?process=procurement&s.category=資訊",
                         headers={"Accept-Language": "zh-Hant"}).get_data(as_text=True)
    assert listed(chinese, [it, office]) == [it]
    by_code = client.get("/inbox?process=procurement&s.category=it").get_data(as_text=True)
    assert listed(by_code, [it, office]) == [it]  # the menu sends the code itself: exactly that one
    assert '<option value="office" >Office supplies and furniture</option>' in english


@pytest.mark.parametrize("key", ["incident-response", "complaint-handling"])
def test_a_procedure_whose_steps_carry_its_priority_offers_one_priority_filter(login, key):
    body = login("ops.wang").get(f"/inbox?process={key}").get_data(as_text=True)
    search = body[body.index('<div id="inbox-search">'):body.index('<div class="filters__actions">')]
    assert "Search in" in search and "Priority" not in search
    assert 'name="s.priority"' not in body and 'name="priority"' in body


def test_saved_filters(runtime, login):
    client = login("proc.hsieh")
    assert client.post("/inbox/filters", data={"name": "Lamps", "query": "process=procurement&s.title=lamp"}
                       ).status_code == 302
    body = client.get("/inbox").get_data(as_text=True)
    assert 'href="/inbox?process=procurement&amp;s.title=lamp">Lamps</a>' in body
    refused = client.post("/inbox/filters", data={"name": " ", "query": "x"}, follow_redirects=True)
    assert "The filter was not saved" in refused.get_data(as_text=True)
    saved = runtime.saved_filters("proc.hsieh")
    assert [f["name"] for f in saved] == ["Lamps"]
    assert login("proc.lai").post(f"/inbox/filters/{saved[0]['id']}/delete").status_code == 404
    assert client.post(f"/inbox/filters/{saved[0]['id']}/delete").status_code == 302
    assert runtime.saved_filters("proc.hsieh") == []


def test_bulk_claim_claims_what_it_can_and_names_the_rest(runtime, login):
    first, second, third = procurement_tasks(runtime, ["One", "Two", "Three"])
    runtime.claim(third, "proc.chou")
    client = login("proc.lai")
    response = client.post("/inbox/claim", data={"task": [first, second, third], "next": "/inbox?scope=mine"})
    assert response.location == "/inbox?scope=mine"
    body = client.get("/inbox?scope=mine").get_data(as_text=True)
    assert "Claimed 2 tasks." in body and "Not claimed: Chou Hsin-yi has already claimed this task." in body
    assert {runtime.task(i, "proc.lai")["assignee"] for i in (first, second)} == {"proc.lai"}
    nothing = client.post("/inbox/claim", data={}, follow_redirects=True)
    assert "Tick the tasks to claim first." in nothing.get_data(as_text=True)


@pytest.mark.parametrize("user", ["proc.hsieh", "ops.lin"])
def test_the_page_has_the_inbox_landmarks(login, user):
    body = login(user).get("/inbox").get_data(as_text=True)
    assert 'href="#content"' in body and '<main id="content"' in body
    assert 'role="search"' in body and 'aria-label="Filter tasks"' in body


@pytest.mark.parametrize(("language", "said"), [("en", "Claimed 1 task."), ("zh-Hant", "已認領 1 件任務。")])
def test_claiming_one_task_says_one_task_in_each_language(runtime, login, language, said):
    (only,) = procurement_tasks(runtime, ["Desk lamps"])
    client = login("proc.lai")
    body = client.post("/inbox/claim", data={"task": [only], "next": "/inbox"}, follow_redirects=True,
                       headers={"Accept-Language": language}).get_data(as_text=True)
    assert said in body


def test_the_inbox_shows_requester_and_waiting_since_and_sorts_by_them(runtime, login, clock):
    by_lu = procurement_tasks(runtime, ["Chairs"], starter="sales.lu")
    clock.advance(timedelta(hours=2))
    by_lin = procurement_tasks(runtime, ["Desk lamps"], starter="ops.lin")
    client = login("proc.hsieh")
    body = client.get("/inbox").get_data(as_text=True)
    assert 'data-label="Requested by">Lin Ya-ting</td>' in body and 'data-label="Waiting since"' in body
    assert ">just now</time>" in body and ">2 hours ago</time>" in body
    assert listed(client.get("/inbox?sort=requester").get_data(as_text=True), by_lu + by_lin) == by_lin + by_lu
    assert listed(client.get("/inbox?sort=-requester").get_data(as_text=True), by_lu + by_lin) == by_lu + by_lin
    assert listed(client.get("/inbox?sort=created").get_data(as_text=True), by_lu + by_lin) == by_lu + by_lin
    assert 'href="?sort=-requester"' in client.get("/inbox?sort=requester").get_data(as_text=True)


def test_a_task_for_named_people_says_who_may_take_it_not_the_role(runtime, login):
    runtime.deploy([PACKAGES / "expense"])
    # ceo.lee has no manager: the approval waits for the other seven department heads by name.
    case_id = runtime.start("expense", "ceo.lee", {"purpose": "Taxi", "amount": 300, "spent_on": "2026-01-02"})
    task_id = runtime.case(case_id)["tasks"][0]["id"]
    for page in ("/inbox", f"/tasks/{task_id}"):
        body = login("fin.kuo").get(page).get_data(as_text=True)
        assert '<span class="people">Chang Wei-lun, Chiu Kun-lin, Hsieh Li-hua and 4 more</span>' in body
