"""The watch every browser test relies on does catch CSP violations and script errors."""
import pytest

from tests.browser.live import PageWatch
from tests.browser.support import expect

pytestmark = pytest.mark.browser

INLINE_SCRIPT = """() => { const s = document.createElement('script');
                           s.textContent = 'window.inlineRan = true'; document.body.appendChild(s); }"""


def test_the_page_watch_reports_csp_violations_and_script_errors(browser, live_server):
    watch = PageWatch(live_server)
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        watch.watch(page, "tester")
        page.goto("/login")
        expect(page.locator("main button[type=submit]")).to_be_visible()
        watch.check()  # a clean page passes
        # The Content-Security-Policy refuses an inline script, and the refusal is logged.
        with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
            page.evaluate(INLINE_SCRIPT)
        assert page.evaluate("window.inlineRan === undefined")
        with page.expect_event("pageerror"):
            page.evaluate("() => { setTimeout(() => { throw new Error('boom from a test'); }, 0); }")
    finally:
        context.close()
    with pytest.raises(AssertionError) as reported:
        watch.check()
    assert "Content Security Policy" in str(reported.value)
    assert "boom from a test" in str(reported.value)
