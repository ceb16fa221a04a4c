"""The header's language switch, its persistence, and the browser's language as the default."""
import pytest

from tests.browser.support import expect, path_is

pytestmark = pytest.mark.browser


def menu(page):
    """The main menu's link texts."""
    return page.locator("nav.mainnav a")


def test_language_switch_reloads_in_chinese_persists_and_switches_back(page_as, screenshot):
    page = page_as("ops.lin")
    page.locator("nav.mainnav").get_by_role("link", name="Start").click()
    expect(page).to_have_url(path_is("/start"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Purchase request to payment")).to_be_visible()

    page.locator(".langswitch").get_by_role("button", name="繁體中文").click()
    # The same page again, now in Traditional Chinese: the UI's words and the package's names.
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page).to_have_url(path_is("/start"))
    expect(menu(page)).to_have_text(["待辦事項", "發起流程", "我的申請"])
    expect(page.get_by_role("link", name="採購申請")).to_be_visible()
    expect(page.get_by_role("link", name="事故應變")).to_be_visible()
    expect(page.get_by_role("link", name="Purchase request to payment")).to_have_count(0)
    expect(page.locator(".langswitch button[aria-pressed=true]")).to_have_text("繁體中文")
    screenshot(page, "01-start-zh")

    # The choice holds on the next pages, down to a package's form.
    menu(page).nth(0).click()
    expect(page).to_have_url(path_is("/inbox"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("h1")).to_have_text("待辦事項")
    page.goto("/start/procurement")
    expect(page.locator("h1")).to_have_text("採購申請")
    expect(page.get_by_label("採購主旨")).to_be_visible()
    screenshot(page, "02-form-zh")

    page.locator(".langswitch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(path_is("/start/procurement"))
    expect(page.locator("h1")).to_have_text("Purchase request")
    menu(page).nth(2).click()
    expect(menu(page)).to_have_text(["Inbox", "Start", "My requests"])
    expect(page.locator("h1")).to_have_text("My requests")


def test_a_chinese_browser_starts_in_chinese(new_page, page_as, screenshot):
    page = new_page("anonymous", locale="zh-TW")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("h1")).not_to_contain_text("Sign in")
    screenshot(page, "01-login-zh")

    page = page_as("ops.lin", locale="zh-TW")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(menu(page)).to_have_text(["待辦事項", "發起流程", "我的申請"])
    page.goto("/start")
    expect(page.get_by_role("link", name="採購申請")).to_be_visible()
    # An explicit choice beats the browser's language.
    page.locator(".langswitch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("link", name="Purchase request to payment")).to_be_visible()
