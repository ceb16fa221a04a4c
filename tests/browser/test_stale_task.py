"""Two people open the same role task; the second to submit is told it is done, not shown an error 500."""
import pytest

from tests.browser.support import expect, open_task, path_is, task_rows
from tests.webapp import approved_purchase

pytestmark = pytest.mark.browser

TASK = "List suppliers to ask for quotes"


def fill_supplier(page, name):
    page.locator("#f-suppliers_to_quote-0-name").fill(name)


def test_second_submit_of_a_role_task_says_it_is_already_completed(page_as, live_server, screenshot):
    case_id, task = approved_purchase(live_server.runtime, "sales.tseng", title="Demo kits for the trade fair")
    assert task["assignee"] is None and task["role"] == "procurement"

    first = page_as("proc.lai")
    second = page_as("proc.chou")
    for page in (first, second):
        open_task(page, TASK, case_id)
        expect(page.get_by_role("button", name="Complete task")).to_be_visible()

    fill_supplier(first, "Formosa Trade Supplies")
    first.get_by_role("button", name="Complete task").click()
    expect(first).to_have_url(path_is("/inbox"))
    expect(first.locator(".flash--success")).to_contain_text(f"case #{case_id}")

    # The second page was opened before; its submit must explain, with a way back.
    fill_supplier(second, "Keelung Event Rentals")
    second.get_by_role("button", name="Complete task").click()
    alert = second.locator(".errorpage")
    expect(alert).to_be_visible()
    expect(alert.locator("h1")).to_have_text("Someone got there first")
    expect(alert).to_contain_text("already completed")
    screenshot(second, "01-already-completed")
    alert.get_by_role("link", name="Back to my inbox").click()
    expect(second).to_have_url(path_is("/inbox"))
    expect(task_rows(second, TASK, case_id)).to_have_count(0)

    # Only the first answer counts.
    completed = [e for e in live_server.runtime.case(case_id)["history"] if e["kind"] == "task_completed"]
    assert [e["actor"] for e in completed] == ["sales.yeh", "proc.lai"]  # the head of sales, then the first
    assert completed[-1]["data"]["form"]["suppliers_to_quote"] == [{"name": "Formosa Trade Supplies"}]
