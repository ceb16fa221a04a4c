"""Screenshots to look at, in both languages: the inbox filters with a procedure chosen, a case diagram at
1366 px and on a phone, and instructions with lists. Written to tests/artifacts/screenshots/."""
import pytest

from tests.browser.support import MOBILE, diagram_ready, expect, no_horizontal_scroll
from tests.webapp import approved_purchase, start_purchase

pytestmark = pytest.mark.browser

LANGUAGES = [("en", "en-US"), ("zh", "zh-TW")]
WIDE = {"width": 1366, "height": 900}


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_inbox_filters_with_a_procedure_chosen(live_server, page_as, screenshot, language, locale):
    approved_purchase(live_server.runtime, "ops.lin", title="Chairs for the service desk", category="office")
    page = page_as("proc.hsieh", viewport=WIDE, locale=locale)
    page.locator("select[name=process]").select_option("procurement")
    expect(page.locator("#inbox-search fieldset")).to_be_visible()
    page.mouse.move(0, 0)
    screenshot(page, f"inbox-filters-{language}")


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
@pytest.mark.parametrize("device", ["1366", "phone"])
def test_case_diagram(live_server, page_as, screenshot, language, locale, device):
    case_id = approved_purchase(live_server.runtime, "ops.lin", title="Label printers")[0]
    options = {"viewport": WIDE} if device == "1366" else MOBILE
    page = page_as("ops.lin", locale=locale, **options)
    page.goto(f"/cases/{case_id}")
    diagram = diagram_ready(page)
    diagram.scroll_into_view_if_needed()
    if device == "phone":
        assert no_horizontal_scroll(page)
    screenshot(page, f"diagram-{device}-{language}", full_page=False)


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_instructions_with_lists(live_server, page_as, screenshot, language, locale):
    page = page_as("ops.lin", viewport=WIDE, locale=locale)
    page.goto("/start/procurement")
    expect(page.locator(".instructions ul li")).to_have_count(3)
    screenshot(page, f"instructions-start-{language}", full_page=False)
    case_id = start_purchase(live_server.runtime, "ops.lin", title="Monitors for the support desk")
    head = page_as("ops.wang", viewport=WIDE, locale=locale)
    head.goto(f"/tasks/{live_server.runtime.case(case_id)['tasks'][0]['id']}")
    expect(head.locator(".instructions li").first).to_be_visible()
    screenshot(head, f"instructions-task-{language}", full_page=False)


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_sop_page_on_screen_and_printed(page_as, screenshot, language, locale):
    """The procurement SOP with its diagram drawn, then as printed (no navigation, diagram across the page)."""
    page = page_as("sales.lu", viewport=WIDE, locale=locale)
    page.goto("/procedures/procurement/sop")
    diagram_ready(page)
    screenshot(page, f"sop-{language}", full_page=False)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    page.wait_for_timeout(300)  # the viewer refits to the printed width
    screenshot(page, f"sop-print-{language}")


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
@pytest.mark.parametrize("device", ["1366", "phone"])
def test_api_tokens_page(live_server, page_as, screenshot, language, locale, device):
    runtime = live_server.runtime
    for token in runtime.tokens("ops.lin"):  # the server lives for the module: start each page from one token
        runtime.revoke_token("ops.lin", token["id"])
    runtime.create_token("ops.lin", "Monthly report script")
    options = {"viewport": WIDE} if device == "1366" else MOBILE
    page = page_as("ops.lin", locale=locale, **options)
    page.goto("/account/tokens")
    page.locator("#name").fill("Build server")
    page.locator("#expires_in_days").fill("90")
    page.locator("button.button--primary").click()
    secret = page.locator("#new-token")
    expect(secret).to_be_visible()
    assert secret.input_value().startswith("opf_")
    expect(page.locator("table.tokens tbody tr")).to_have_count(2)
    if device == "phone":
        assert no_horizontal_scroll(page)
    screenshot(page, f"api-tokens-{device}-{language}")
