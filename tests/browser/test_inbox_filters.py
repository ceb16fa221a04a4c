"""The inbox's filter panel with JavaScript: choosing a procedure brings its search fields, in place."""
import re

import pytest

from tests.browser.support import expect, sign_in
from tests.webapp import approved_purchase

pytestmark = pytest.mark.browser


def test_choosing_a_procedure_brings_its_search_fields_and_a_choice_menu_filters(live_server, page_as, screenshot):
    runtime = live_server.runtime
    laptops = approved_purchase(runtime, "ops.lin", title="Laptops for the night shift", category="it")[0]
    chairs = approved_purchase(runtime, "ops.lin", title="Chairs for the service desk", category="office")[0]
    page = page_as("proc.hsieh")
    expect(page.locator("#inbox-search fieldset")).to_have_count(0)
    page.locator("select[name=process]").select_option("procurement")
    search = page.locator("#inbox-search fieldset")
    expect(search).to_be_visible()
    expect(search.locator("input[name=\"s.title\"]")).to_be_visible()
    category = search.locator("select[name=\"s.category\"]")
    expect(category.locator("option", has_text="Office supplies and furniture")).to_have_count(1)
    category.select_option(label="Office supplies and furniture")
    expect(page).to_have_url(re.compile(r"[?&]s\.category=office"))
    rows = page.locator("tr.task")
    expect(rows.filter(has_text=f"#{chairs}")).to_have_count(1)
    expect(rows.filter(has_text=f"#{laptops}")).to_have_count(0)
    screenshot(page, "procedure-chosen")


def test_without_javascript_apply_brings_the_search_fields(live_server, new_page):
    page = sign_in(new_page("proc.hsieh", java_script_enabled=False), "proc.hsieh")
    page.locator("select[name=process]").select_option("procurement")
    expect(page.locator("#inbox-search fieldset")).to_have_count(0)  # nothing happens until Apply
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]process=procurement"))
    expect(page.locator("#inbox-search select[name='s.category']")).to_be_visible()


def test_the_filter_count_follows_the_filters_htmx_applies(live_server, page_as):
    page = page_as("proc.hsieh")
    badge = page.locator("details.filterbox summary #inbox-filter-count")
    expect(badge).to_be_hidden()
    page.locator("select[name=process]").select_option("procurement")
    expect(page).to_have_url(re.compile(r"[?&]process=procurement"))
    expect(badge).to_have_text("1")
    page.locator("select[name=priority]").select_option("1")
    expect(badge).to_have_text("2")
    page.locator("select[name=process]").select_option("")
    page.locator("select[name=priority]").select_option("")
    expect(badge).to_be_hidden()
