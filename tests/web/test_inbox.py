"""The inbox: counts, scopes, filters, sorting, paging, saved filters, bulk claim, htmx partial."""
from datetime import timedelta

import pytest

from tests.webapp import approved_purchase


def procurement_tasks(rt, titles, starter="ops.lin"):
    """Purchase requests approved by the head, so each waits unclaimed for Procurement; return the task ids."""
    return [approved_purchase(rt, starter, title=title)[1]["id"] for title in titles]


def listed(body, ids):
    """The ids among `ids` that a page links to, in page order."""
    positions = {i: body.find(f"/tasks/{i}") for i in ids}
    return [i for i, at in sorted(positions.items(), key=lambda p: p[1]) if at >= 0]


def test_counts_and_scopes(rt, login):
    first, second = procurement_tasks(rt, ["Laptop stand", "Desk lamps"])
    rt.claim(first, "proc.lai")
    client = login("proc.lai")
    body = client.get("/inbox").get_data(as_text=True)
    assert "2 open · 1 mine · 1 to claim" in body
    assert listed(client.get("/inbox?scope=mine").get_data(as_text=True), [first, second]) == [first]
    assert listed(client.get("/inbox?scope=unclaimed").get_data(as_text=True), [first, second]) == [second]
    assert listed(login("proc.chou").get("/inbox").get_data(as_text=True), [first, second]) == [second]
    assert listed(login("sales.lu").get("/inbox").get_data(as_text=True), [first, second]) == []


def test_filters_by_procedure_search_field_due_and_priority(rt, login, clock):
    lamps, chairs = procurement_tasks(rt, ["Desk lamps", "Office chairs"])
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


def test_sorting_and_paging(rt, login, clock, monkeypatch):
    import webui.work.inbox

    ids = []
    for title in ["Alpha", "Bravo", "Charlie"]:
        ids += procurement_tasks(rt, [title])
        clock.advance(timedelta(hours=1))
    client = login("proc.hsieh")
    assert listed(client.get("/inbox?sort=created").get_data(as_text=True), ids) == ids
    assert listed(client.get("/inbox?sort=-created").get_data(as_text=True), ids) == ids[::-1]
    monkeypatch.setattr(webui.work.inbox, "PER_PAGE", 2)
    first = client.get("/inbox?sort=created").get_data(as_text=True)
    assert listed(first, ids) == ids[:2] and "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/inbox?sort=created&page=2").get_data(as_text=True)
    assert listed(second, ids) == ids[2:] and 'href="?sort=created&amp;page=1"' in second


def test_htmx_gets_only_the_results(rt, login):
    procurement_tasks(rt, ["Desk lamps"])
    partial = login("proc.hsieh").get("/inbox?process=procurement",
                                      headers={"HX-Request": "true", "HX-Target": "inbox-results"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200
    assert body.lstrip().startswith('<div id="inbox-results">') and "<html" not in body


def test_saved_filters(rt, login):
    client = login("proc.hsieh")
    assert client.post("/inbox/filters", data={"name": "Lamps", "query": "process=procurement&s.title=lamp"}
                       ).status_code == 302
    body = client.get("/inbox").get_data(as_text=True)
    assert 'href="/inbox?process=procurement&amp;s.title=lamp">Lamps</a>' in body
    refused = client.post("/inbox/filters", data={"name": " ", "query": "x"}, follow_redirects=True)
    assert "The filter was not saved" in refused.get_data(as_text=True)
    saved = rt.saved_filters("proc.hsieh")
    assert [f["name"] for f in saved] == ["Lamps"]
    assert login("proc.lai").post(f"/inbox/filters/{saved[0]['id']}/delete").status_code == 404
    assert client.post(f"/inbox/filters/{saved[0]['id']}/delete").status_code == 302
    assert rt.saved_filters("proc.hsieh") == []


def test_bulk_claim_claims_what_it_can_and_names_the_rest(rt, login):
    first, second, third = procurement_tasks(rt, ["One", "Two", "Three"])
    rt.claim(third, "proc.chou")
    client = login("proc.lai")
    response = client.post("/inbox/claim", data={"task": [first, second, third], "next": "/inbox?scope=mine"})
    assert response.location == "/inbox?scope=mine"
    body = client.get("/inbox?scope=mine").get_data(as_text=True)
    assert "Claimed 2 task(s)." in body and "Not claimed: Chou Hsin-yi has already claimed this task." in body
    assert {rt.task(i, "proc.lai")["assignee"] for i in (first, second)} == {"proc.lai"}
    nothing = client.post("/inbox/claim", data={}, follow_redirects=True)
    assert "Tick the tasks to claim first." in nothing.get_data(as_text=True)


@pytest.mark.parametrize("user", ["proc.hsieh", "ops.lin"])
def test_the_page_has_the_inbox_landmarks(login, user):
    body = login(user).get("/inbox").get_data(as_text=True)
    assert 'href="#content"' in body and '<main id="content"' in body
    assert 'role="search"' in body and 'aria-label="Filter tasks"' in body
