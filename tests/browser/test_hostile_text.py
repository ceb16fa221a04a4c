"""A refresh tag in case data that ends up in a failing instructions render stays text: the page does not move."""
import pytest

from tests.webapp import deploy_brittle_instructions

pytestmark = pytest.mark.browser

META = '<meta http-equiv="refresh" content="0;url=http://example.invalid/">'


def test_a_refresh_tag_in_an_instructions_error_does_not_navigate(live_server, page_as, screenshot, tmp_path):
    runtime = live_server.runtime
    deploy_brittle_instructions(runtime, tmp_path)
    case_id = runtime.start("minimal", "sales.tseng", {"amount": 100, "reason": META})
    task = runtime.case(case_id)["tasks"][0]
    page = page_as(task["assignee"])
    page.goto(f"/tasks/{task['id']}")
    page.wait_for_timeout(1500)  # a refresh of 0 seconds would have left by now
    assert page.url.endswith(f"/tasks/{task['id']}")
    assert page.locator("meta[http-equiv]").count() == 0
    assert META in page.locator("main").inner_text()
    screenshot(page, "hostile-instructions-error")
