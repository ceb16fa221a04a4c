"""What browser tests import: Playwright's expect (None without Playwright) and small page helpers.

The `browser` fixture (tests/browser/conftest.py) skips, or fails in CI, before any test gets to use them.
"""
import re

from tests.webapp import demo_password

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture reports it
    expect = None

if expect is not None:
    # A loaded CI machine running the suite in parallel answers slower than a laptop.
    expect.set_options(timeout=15_000)

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
          "has_touch": True}


def path_is(path):
    """A URL pattern for expect(page).to_have_url(...): exactly this path, any query or fragment."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(?:[?#].*)?$")


def sign_in(page, username, password=None):
    """Sign in through the form (the header's language buttons are submit buttons too)."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password or demo_password(username))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(path_is("/inbox"))
    page.wait_for_load_state("load")  # the URL changes before htmx (a deferred script) has wired the page
    return page


def task_rows(page, title, case_id):
    """The inbox rows of task `title` of case #case_id on the page shown."""
    case_number = page.locator(".task__caseno", has_text=re.compile(rf"^#{case_id}$"))
    return (page.locator("tr.task").filter(has=case_number)
            .filter(has=page.get_by_role("link", name=title, exact=True)))


def open_task(page, title, case_id, count=1):
    """Go to the inbox and click the link of task `title` of case #case_id (`count` such rows expected)."""
    page.locator("nav.mainnav a[href='/inbox']").click()
    expect(page).to_have_url(path_is("/inbox"))
    rows = task_rows(page, title, case_id)
    expect(rows).to_have_count(count)
    rows.first.get_by_role("link", name=title, exact=True).click()
    expect(page.locator("h1")).to_contain_text(title)
    return page


def case_id_from_confirmation(page):
    """The case number the 'Submitted: case #N' page shows."""
    expect(page.locator(".confirmation__number strong")).to_have_text(re.compile(r"^#\d+$"))
    return int(page.locator(".confirmation__number strong").inner_text().lstrip("#"))


def diagram_ready(page):
    """Wait until bpmn-js has drawn the case diagram (or failed to: that fails the wait)."""
    diagram = page.locator(".diagram")
    expect(diagram).to_have_attribute("data-diagram-state", "ready")
    return diagram


def no_horizontal_scroll(page):
    """True when the page is no wider than the viewport (one pixel of rounding allowed)."""
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
