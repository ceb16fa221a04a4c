"""A phone: no sideways scrolling on the inbox, the start form and a task; the menu works; a task gets done."""
import pytest

from tests.browser.support import (
    MOBILE,
    case_id_from_confirmation,
    diagram_ready,
    expect,
    no_horizontal_scroll,
    path_is,
    task_rows,
)

pytestmark = pytest.mark.browser

WIDTH = MOBILE["viewport"]["width"]


def inside_viewport(locator):
    """The element's box lies within the phone's width."""
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 1


def test_phone_start_inbox_task_without_sideways_scrolling(page_as, screenshot):
    requester = page_as("ops.huang", **MOBILE)
    requester.locator("nav.mainnav").get_by_role("link", name="Start").tap()
    requester.get_by_role("link", name="Purchase request to payment").first.tap()
    expect(requester.locator("h1")).to_have_text("Purchase request")
    assert no_horizontal_scroll(requester), "the start form scrolls sideways on a phone"
    requester.get_by_label("Title").fill("Headsets for the hotline")
    requester.get_by_label("Justification").fill("Two headsets crackle during customer calls.")
    requester.get_by_label("Category").select_option("office")
    requester.get_by_label("Needed by").fill("2026-02-10")
    requester.locator("#f-items-0-description").fill("USB headset with noise cancelling")
    requester.locator("#f-items-0-quantity").fill("2")
    requester.locator("#f-items-0-unit").fill("pcs")
    requester.locator("#f-items-0-unit_price").fill("2,400")
    requester.locator("fieldset[data-group=items]").get_by_role("button", name="Add row").tap()
    expect(requester.locator("#f-items-1-description")).to_be_visible()
    assert no_horizontal_scroll(requester), "a second line item makes the form scroll sideways"
    requester.locator("#f-items-1-description").fill("Spare ear cushions")
    requester.locator("#f-items-1-quantity").fill("4")
    requester.locator("#f-items-1-unit").fill("pair")
    requester.locator("#f-items-1-unit_price").fill("150")
    screenshot(requester, "01-start-form")
    requester.get_by_role("button", name="Submit").tap()
    case_id = case_id_from_confirmation(requester)
    assert no_horizontal_scroll(requester)

    head = page_as("ops.wang", **MOBILE)
    expect(head.locator("h1")).to_have_text("Inbox")
    rows = task_rows(head, "Approve purchase request (department head)", case_id)
    expect(rows).to_have_count(1)
    assert no_horizontal_scroll(head), "the inbox scrolls sideways on a phone"
    screenshot(head, "02-inbox")

    # The menu: every entry on screen and working by touch, the user menu opens inside the screen.
    links = head.locator("nav.mainnav a")
    expect(links).to_have_count(3)
    for index in range(3):
        expect(links.nth(index)).to_be_in_viewport()
        assert inside_viewport(links.nth(index)), links.nth(index).inner_text()
    links.nth(2).tap()
    expect(head).to_have_url(path_is("/requests"))
    head.locator(".usermenu summary").tap()
    panel = head.locator(".usermenu__panel")
    expect(panel).to_be_visible()
    assert inside_viewport(panel), "the user menu opens off screen"
    expect(panel.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(head, "03-user-menu", full_page=False)
    head.locator(".usermenu summary").tap()
    head.locator("nav.mainnav a").nth(0).tap()
    expect(head).to_have_url(path_is("/inbox"))

    rows.first.get_by_role("link", name="Approve purchase request (department head)").tap()
    expect(head.locator("h1")).to_contain_text("Approve purchase request (department head)")
    diagram_ready(head)
    assert no_horizontal_scroll(head), "the task page scrolls sideways on a phone"
    screenshot(head, "04-task")
    head.get_by_label("Approve", exact=True).tap()
    expect(head.get_by_label("Approve", exact=True)).to_be_checked()
    head.get_by_role("button", name="Complete task").tap()
    expect(head).to_have_url(path_is("/inbox"))
    expect(head.locator(".flash--success")).to_contain_text(f"case #{case_id}")
    expect(task_rows(head, "Approve purchase request (department head)", case_id)).to_have_count(0)
    assert no_horizontal_scroll(head)
    screenshot(head, "05-done")
