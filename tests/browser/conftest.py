"""Browser tests: Debian's Chromium, driven by Playwright, against a live opsflow server.

Each test module gets its own server (own SQLite database, own free port) so modules run in parallel
under `pytest -n auto`. The server runs the real app with CSRF protection on (the browser reads real
tokens) and rate limiting off, on a clock that moves only when a test says so. Every page a test opens
is watched: a JavaScript error, a CSP violation, a failed subresource or an exception inside the server
fails the test.

Without /usr/bin/chromium or the playwright package the tests are skipped, except in CI (CI=true),
where that fails instead (`apt-get install chromium fonts-noto-cjk`; .ci/run does it).
"""
import re

import pytest

from tests.browser.live import PageWatch, launch, missing, serving
from tests.browser.support import DESKTOP, sign_in
from tests.conftest import IN_CI, ROOT
from tests.webapp import prepare_database

SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_db(tmp_path_factory):
    """One prepared database per test process: schema, every package of processes/, the demo organisation."""
    return prepare_database(tmp_path_factory.mktemp("browserdb"))


@pytest.fixture(scope="module")
def live_server(browser_db, tmp_path_factory):
    """The app on a fresh copy of the prepared database, served on 127.0.0.1 and a free port."""
    with serving(browser_db, tmp_path_factory.mktemp("live")) as live:
        yield live


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian; skipped without it, except in CI where that fails."""
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but browser tests cannot run: {reason}")
        pytest.skip(f"browser tests need Chromium and Playwright: {reason}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = launch(playwright)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page_watch(live_server):
    """The problems seen on this test's pages (checked after the test body by pytest_runtest_call)."""
    return PageWatch(live_server)


def _keep_evidence(item, watch):
    """After a failure: what the pages logged, and a screenshot of each page still open (<test>-FAILED-<who>.png)."""
    # A timeout is easier to read next to the script error or the server exception that caused it.
    problems = watch.report()
    if problems:
        item.add_report_section("call", "browser problems", "\n".join(problems))
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")
    for number, (who, page) in enumerate(watch.pages):
        if page.is_closed():
            continue
        path = SCREENSHOTS / f"{test}-FAILED-{number}-{who}.png"
        try:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
        except Exception as exc:  # noqa: BLE001 - evidence is best effort; the test's own failure matters
            item.add_report_section("call", "screenshot", f"{path.name}: {exc}")
        else:
            item.add_report_section("call", "screenshot", f"{path} ({page.url})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when its pages logged errors or the server raised."""
    watch = getattr(item, "funcargs", {}).get("page_watch")
    try:
        result = yield
    except BaseException:
        if watch is not None:
            _keep_evidence(item, watch)
        raise
    if watch is not None:
        watch.check()
    return result


@pytest.fixture
def new_page(browser, live_server, page_watch):
    """new_page(label, viewport=None, locale="en-US", **context_options) -> a signed-out, watched page."""
    contexts = []

    def open_page(label, viewport=None, locale="en-US", **options):
        if options.get("viewport") is None:
            options["viewport"] = viewport or DESKTOP
        context = browser.new_context(base_url=live_server.url, locale=locale, timezone_id="Asia/Taipei",
                                      **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page_watch.watch(page, label)
        context.on("page", lambda popup: page_watch.watch(popup, label))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page_as(new_page):
    """page_as(username, viewport=None, locale="en-US", **context_options) -> a page signed in as that user."""

    def open_as(username, viewport=None, locale="en-US", **options):
        return sign_in(new_page(username, viewport=viewport, locale=locale, **options), username)

    return open_as


@pytest.fixture
def screenshot(request):
    """screenshot(page, step, **options) -> tests/artifacts/screenshots/<test>-<step>.png (full page)."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def take(page, step, full_page=True, **options):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{test}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", **options)
        return path

    return take
