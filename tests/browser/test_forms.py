"""Start form errors come back per field with everything the user typed still there; forms.js edits rows."""
import pytest

from tests.browser.support import expect, path_is
from tests.conftest import ROOT
from tests.test_schema_forms import EVERY_WIDGET, app, parse, render  # noqa: F401 - its form fixtures, by import
from webui.schema_forms import build_fields

pytestmark = pytest.mark.browser


def test_start_form_errors_keep_every_typed_value(page_as, screenshot):
    page = page_as("ops.chen")
    page.goto("/start/procurement")
    page.get_by_label("Title").fill("PC")  # minLength 3
    page.get_by_label("Justification").fill("Replacement for the broken laptop of the night shift.")
    page.get_by_label("Category").select_option("it")
    page.get_by_label("Needed by").fill("2026-03-31")
    page.locator("#f-items-0-description").fill("Laptop 14-inch")
    page.locator("#f-items-0-quantity").fill("2x")  # not a whole number
    page.locator("#f-items-0-unit").fill("pcs")
    page.locator("#f-items-0-unit_price").fill("32,000")
    page.locator("fieldset[data-group=items]").get_by_role("button", name="Add row").click()
    page.locator("#f-items-1-description").fill("Docking station")
    page.locator("#f-items-1-quantity").fill("1")
    page.locator("#f-items-1-unit").fill("pcs")
    page.locator("#f-items-1-unit_price").fill("abc")  # not a number
    page.locator("fieldset[data-group=suggested_suppliers]").locator("input").first.fill("Sunrise Computers")
    page.get_by_role("button", name="Submit").click()

    # The same form again, answered 422, with a summary whose links lead to the fields.
    expect(page).to_have_url(path_is("/start/procurement"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_count(3)
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#f-title", "#f-items-0-quantity", "#f-items-1-unit_price"], hrefs
    screenshot(page, "01-errors")

    for control in ("#f-title", "#f-items-0-quantity", "#f-items-1-unit_price"):
        field = page.locator(control)
        expect(field).to_have_attribute("aria-invalid", "true")
        error_id = field.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{token}.field__error").count() for token in error_id), (control, error_id)
    for valid in ("#f-justification", "#f-items-0-description", "#f-items-1-quantity"):
        expect(page.locator(valid)).not_to_have_attribute("aria-invalid", "true")

    # Every value is where the user typed it, the wrong ones included; both rows are still there.
    typed = {"#f-title": "PC", "#f-justification": "Replacement for the broken laptop of the night shift.",
             "#f-category": "it", "#f-needed_by": "2026-03-31",
             "#f-items-0-description": "Laptop 14-inch", "#f-items-0-quantity": "2x", "#f-items-0-unit": "pcs",
             "#f-items-0-unit_price": "32,000", "#f-items-1-description": "Docking station",
             "#f-items-1-quantity": "1", "#f-items-1-unit": "pcs", "#f-items-1-unit_price": "abc",
             "#f-suggested_suppliers-0": "Sunrise Computers"}
    for control, value in typed.items():
        expect(page.locator(control)).to_have_value(value)
    expect(page.locator("fieldset[data-group=items] .group__row")).to_have_count(2)

    # A link of the summary moves the focus to its field.
    links.nth(1).click()
    expect(page.locator("#f-items-0-quantity")).to_be_focused()

    # Corrected, the request goes through.
    page.locator("#f-title").fill("Laptop for the night shift")
    page.locator("#f-items-0-quantity").fill("2")
    page.locator("#f-items-1-unit_price").fill("4,500")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("h1")).to_contain_text("Submitted: case #")
    screenshot(page, "02-submitted")


def test_after_a_failed_submit_the_focus_is_on_the_error_summary(page_as):
    page = page_as("ops.chen")
    page.goto("/start/procurement")
    page.get_by_label("Title").fill("PC")  # too short
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(path_is("/start/procurement"))
    expect(page.locator(".error-summary")).to_be_focused()


BROWSER_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>form</title></head><body>
{% from "forms/fields.html" import render_fields %}<form>{{ render_fields(fields) }}</form>
<script src="{{ script }}"></script></body></html>"""


def posted_pairs(page):
    """What the form would post now, as (name, value) pairs."""
    return page.evaluate("Array.from(new FormData(document.forms[0]).entries()).filter(e => typeof e[1] === 'string')")


@pytest.mark.slow
def test_forms_js_adds_removes_and_renumbers_rows(browser, render, parse, tmp_path):  # noqa: F811
    html = render(build_fields(EVERY_WIDGET, "en", values={"items": [{"description": "A"}, {"description": "B"}]}),
                  BROWSER_PAGE.replace("{{ script }}", (ROOT / "webui/static/js/forms.js").as_uri()))
    (tmp_path / "form.html").write_text(html, encoding="utf-8")
    # The session's one Playwright: a second sync_playwright() in this process fails while the first one runs.
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto((tmp_path / "form.html").as_uri())
    page.click("button[name=_add][value=items]")
    assert page.evaluate("document.activeElement.id") == "f-items-2-description"
    assert page.is_disabled("button[name=_add][value=items]")  # maxItems 3
    page.fill("#f-items-2-description", "C")
    page.click("button[name=_remove][value='items/0']")
    assert page.evaluate("document.activeElement.id") == "f-items-0-description"
    names = [n for n, _v in posted_pairs(page) if n.startswith("items/")]
    assert names == ["items/0/description", "items/0/quantity", "items/0/unit_price",
                     "items/1/description", "items/1/quantity", "items/1/unit_price"]
    assert page.input_value("#f-items-1-description") == "C"
    assert page.get_attribute("label[for=f-items-1-description]", "for") == "f-items-1-description"
    assert page.inner_text("#f-items-1--row legend") == "Line items 2"
    assert page.get_attribute("#f-items-1-unit_price", "aria-describedby") == "f-items-1-unit_price-affix"
    assert page.is_enabled("button[name=_add][value=items]")
    page.click("button[name=_remove][value='items/1']")
    assert page.is_disabled("button[name=_remove][value='items/0']")  # minItems 1 (at least one row)
    page.click("button[name=_add][value=suppliers]")
    page.fill("#f-suppliers-1", "ACME")
    sub = parse(EVERY_WIDGET, posted_pairs(page))
    assert sub.data["items"] == [{"description": "B"}] and sub.data["suppliers"] == ["ACME"]
    assert problems == []
    page.close()
