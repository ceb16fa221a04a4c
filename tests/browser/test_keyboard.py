"""Keyboard only: the skip link, signing in, finding a task in the inbox and completing it."""
import pytest

from tests.browser.support import expect, path_is, task_rows
from tests.webapp import demo_password, start_purchase

pytestmark = pytest.mark.browser

TASK = "Approve purchase request (department head)"


def focused(page, selector):
    """Whether the focused element matches `selector`."""
    return page.evaluate("(selector) => document.activeElement.matches(selector)", selector)


def tab_to(page, selector, limit=80):
    """Press Tab until the focus is on `selector` (an error after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def test_sign_in_and_complete_a_task_with_the_keyboard_only(new_page, live_server, screenshot):
    case_id = start_purchase(live_server.runtime, "ops.tsai", title="Keyboard trays for the NOC")
    page = new_page("ops.wang")
    page.goto("/login")
    # The username box has the focus on arrival.
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("ops.wang")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(demo_password("ops.wang"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is("/inbox"))

    # The first Tab reaches the skip link, visible once focused; Enter jumps over the header.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    screenshot(page, "01-skip-link", full_page=False)
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is("/inbox"))
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), \
        "after the skip link, Tab should stay in the main content, not go back to the header"

    # Tab to the task's link, Enter opens it.
    row = task_rows(page, TASK, case_id)
    expect(row).to_have_count(1)
    link = row.get_by_role("link", name=TASK)
    link_href = link.get_attribute("href")
    tab_to(page, f"a[href='{link_href}']")
    screenshot(page, "02-task-link-focused", full_page=False)
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is(link_href))

    # Space picks the radio button, typing fills the comment, Enter on the button completes the task.
    tab_to(page, "input[type=radio][name=head_decision]")
    expect(page.get_by_label("Approve", exact=True)).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label("Approve", exact=True)).to_be_checked()
    tab_to(page, "textarea[name=head_comment]")
    page.keyboard.type("Approved from the keyboard.")
    tab_to(page, "button[value=complete]")
    screenshot(page, "03-complete-focused", full_page=False)
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is("/inbox"))
    expect(page.locator(".flash--success")).to_contain_text(f"case #{case_id}")
    expect(task_rows(page, TASK, case_id)).to_have_count(0)
    completed = [e for e in live_server.runtime.case(case_id)["history"] if e["kind"] == "task_completed"]
    assert [(e["actor"], e["data"]["form"]) for e in completed] == [
        ("ops.wang", {"head_decision": "approve", "head_comment": "Approved from the keyboard."})]
