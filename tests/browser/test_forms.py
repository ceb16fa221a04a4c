"""Start form errors come back per field with everything the user typed still there."""
import pytest

from tests.browser.support import expect, path_is

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
