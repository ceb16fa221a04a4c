"""The README's screenshots: the operations manager's inbox and a purchase approval task, 1280 pixels wide.

    .venv/bin/python -m tests.browser.make_screenshots [FOLDER]    (default docs/screenshots)

writes inbox.png and task.png. It builds a demo database, serves it on a free local port and drives Debian's
Chromium, on a clock it moves itself, so every run shows the same week. tests/browser/test_screenshots.py runs
it into tests/artifacts/ to keep it working.
"""
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.clock import ManualClock
from tests.browser.live import launch, serving
from tests.browser.support import DESKTOP, diagram_ready, expect, sign_in, task_rows
from tests.webapp import prepare_database

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FOLDER = ROOT / "docs" / "screenshots"
MAX_BYTES = 400 * 1024
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Taipei
MANAGER = "ops.wang"
TASK = "Approve purchase request (department head)"


def purchase(title, justification, category, needed_by, *items):
    """Start-form data of a purchase request; items are (description, quantity, unit, unit price)."""
    return {"title": title, "justification": justification, "category": category, "needed_by": needed_by,
            "items": [{"description": d, "quantity": q, "unit": u, "unit_price": p} for d, q, u, p in items]}


def first_task(runtime, case_id):
    """The case's first open task."""
    return runtime.case(case_id)["tasks"][0]


def build_week(live):
    """A working week of cases waiting for the operations manager; returns the case the task shot shows."""
    runtime, clock = live.runtime, live.clock
    # Monday: two purchase requests of the team, the first with two line items.
    runtime.start("procurement", "ops.lin", purchase(
        "Ergonomic chairs for the service desk", "Four service-desk seats are broken; staff use meeting-room chairs.",
        "office", "2026-03-16", ("Ergonomic office chair with lumbar support", 4, "pcs", 6500),
        ("Monitor arm, single screen", 4, "pcs", 1800)))
    clock.advance(timedelta(hours=26))
    runtime.start("procurement", "ops.tsai", purchase(
        "Night cleaning of the Taoyuan hub", "The cleaning contract ends this month; the hub needs night cleaning.",
        "services", "2026-03-31", ("Night cleaning, five nights a week", 3, "month", 15500)))
    # Tuesday: a warehouse clerk proposes an improvement.
    runtime.start("process-improvement", "wh.kao", {
        "title": "Batch picking for small orders", "affected_process": "Order picking (SOP-WH-004)",
        "problem": "Pickers walk the whole aisle layout for every single-line order; the afternoon wave is late.",
        "evidence": "Week 8 sample: 1,240 single-line orders, 6.8 minutes each, 31 late dispatches.",
        "proposal": "Group single-line orders into batches of eight by zone and pick them in one walk.",
        "expected_gain": "About 20 % less picking time per order and no late afternoon dispatches."})
    clock.advance(timedelta(days=2, hours=3))
    # Thursday afternoon: a services purchase of Sales passed its head, and a fresh request.
    services = runtime.start("procurement", "sales.lu", purchase(
        "Trade-show booth design", "Booth artwork and layout for the Taipei food-equipment show in April.",
        "services", "2026-03-20", ("Booth design and print-ready artwork", 1, "lot", 45000)))
    head = first_task(runtime, services)
    runtime.complete(head["id"], head["assignee"], {"head_decision": "approve"})
    shown = runtime.start("procurement", "ops.lin", purchase(
        "Label printers for the dispatch desk", "The dispatch desk prints 300 labels a day on one old printer.",
        "it", "2026-03-20", ("Thermal label printer, 4-inch", 2, "pcs", 9500),
        ("Label roll 100 x 150 mm", 20, "roll", 180)))
    clock.advance(timedelta(minutes=40))
    # ...and a P1 incident the on-call specialist acknowledged: the manager briefs management within the hour.
    incident = runtime.start("incident-response", "wh.hung", {
        "incident_title": "Warehouse management system down at the Taoyuan hub", "incident_type": "system",
        "impact": "high", "urgency": "high", "location": "Taoyuan distribution hub",
        "description": "Scanners and the WMS web console return errors since 14:10; no orders can be picked.",
        "affected_services": ["Order picking", "Outbound shipping"], "reporter_phone": "03-355-0101"})
    ack = first_task(runtime, incident)
    runtime.complete(ack["id"], "ops.chen", {"ack_assessment": "WMS database server unreachable; IT is on it.",
                                             "ack_reporter_contacted": True})
    clock.advance(timedelta(minutes=20))
    return shown


def shoot(page, path, height=None):
    """A PNG of the page, 1280 wide: the whole page, or its top `height` pixels."""
    options = {"full_page": True}
    if height:
        total = page.evaluate("document.documentElement.scrollHeight")
        options["clip"] = {"x": 0, "y": 0, "width": DESKTOP["width"], "height": min(height, total)}
    page.screenshot(path=str(path), animations="disabled", caret="hide", **options)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise AssertionError(f"{path} is {size // 1024} KB, more than {MAX_BYTES // 1024} KB")
    return path


def make_screenshots(browser, live, folder, watch=None):
    """Set up the week on `live`, then write inbox.png and task.png into `folder`; returns their paths.

    watch(page, label), when given, is called with the page before it loads anything.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    case_id = build_week(live)
    context = browser.new_context(base_url=live.url, viewport=DESKTOP, locale="en-US", timezone_id="Asia/Taipei")
    try:
        page = context.new_page()
        if watch:
            watch(page, MANAGER)
        sign_in(page, MANAGER)
        expect(page.locator("tr.task")).to_have_count(6)
        expect(page.locator("tr.task--overdue")).to_have_count(2)
        page.mouse.move(0, 0)
        inbox = shoot(page, folder / "inbox.png")

        row = task_rows(page, TASK, case_id)
        row.get_by_role("link", name=TASK).click()
        expect(page.locator("h1")).to_contain_text(TASK)
        page.get_by_label("Approve", exact=True).check()
        page.get_by_label("Comment (required when rejecting)").fill("Fits the dispatch budget; buy the rolls in bulk.")
        page.locator("h1").click()  # no focus ring on the comment box
        diagram_ready(page)
        diagram_bottom = page.evaluate(
            "Math.ceil(document.querySelector('.diagram-legend').getBoundingClientRect().bottom + window.scrollY)")
        task = shoot(page, folder / "task.png", height=diagram_bottom + 24)
    finally:
        context.close()
    return inbox, task


def main(argv=None):
    """Write the screenshots into the folder given (default docs/screenshots)."""
    from playwright.sync_api import sync_playwright

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        browser = launch(playwright)
        with serving(prepare_database(scratch), scratch, ManualClock(MONDAY)) as live:
            for path in make_screenshots(browser, live, folder):
                print(f"{path} ({path.stat().st_size // 1024} KB)")
        browser.close()


if __name__ == "__main__":
    main()
