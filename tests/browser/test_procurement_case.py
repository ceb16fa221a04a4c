"""A whole purchase request, from the requester's start form to payment, by five people, only through the UI."""
import re
from datetime import datetime

import pytest

from tests.browser.support import case_id_from_confirmation, diagram_ready, expect, open_task, path_is

pytestmark = pytest.mark.browser

# A one-page PDF: what a scanned invoice upload looks like to the server.
INVOICE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
               b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")

TITLE = "Label printers for the dispatch desk"
SUPPLIERS = [("Hsin Hua Office Equipment", "Ms. Tu 02-2555-0143", "21,800"),
             ("Taipei Label Systems", "sales@tls.example", "23,400")]


def complete(page):
    """Press 'Complete task' and expect the inbox with the confirmation."""
    page.get_by_role("button", name="Complete task").click()
    expect(page).to_have_url(path_is("/inbox"))
    expect(page.locator(".flash--success")).to_contain_text("Done:")


def move_to(clock, day):
    """Move the server's clock to 10:00 Taipei on `day`: a date that records what happened cannot lie ahead."""
    clock.advance(datetime.fromisoformat(f"{day}T10:00:00+08:00") - clock.now())


def request_purchase(page, screenshot):
    """ops.lin fills the start form with two line items (the second added by 'Add row') and submits."""
    page.locator("nav.mainnav").get_by_role("link", name="Start").click()
    page.get_by_role("link", name="Purchase request to payment").first.click()
    expect(page.locator("h1")).to_have_text("Purchase request")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Justification").fill("The dispatch desk prints 300 labels a day on one old printer.")
    page.get_by_label("Category").select_option("it")
    page.get_by_label("Needed by").fill("2026-02-27")
    page.locator("#f-items-0-description").fill("Thermal label printer 4-inch")
    page.locator("#f-items-0-quantity").fill("2")
    page.locator("#f-items-0-unit").fill("pcs")
    page.locator("#f-items-0-unit_price").fill("9,500")
    items = page.locator("fieldset[data-group=items]")
    posted = []

    def record_post(request):
        if request.method == "POST":
            posted.append(request.url)

    page.on("request", record_post)
    items.get_by_role("button", name="Add row").click()
    # forms.js adds the row in place (no round trip to the server) and moves the focus into it.
    expect(items.locator(".group__row")).to_have_count(2)
    expect(page.locator("#f-items-1-description")).to_be_focused()
    page.remove_listener("request", record_post)
    assert posted == [], f"'Add row' posted the form instead of adding the row in place: {posted}"
    page.locator("#f-items-1-description").fill("Label roll 100 x 150 mm")
    page.locator("#f-items-1-quantity").fill("20")
    page.locator("#f-items-1-unit").fill("roll")
    page.locator("#f-items-1-unit_price").fill("180")
    screenshot(page, "01-start-form")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("h1")).to_contain_text("Submitted: case #")
    expect(page.locator(".confirmation")).to_contain_text("Approve purchase request (department head)")
    expect(page.locator(".confirmation")).to_contain_text("Wang Mei-ling")
    screenshot(page, "02-submitted")
    return case_id_from_confirmation(page)


def test_purchase_request_from_start_to_payment_by_five_people(live_server, page_as, screenshot):
    requester = page_as("ops.lin")
    case_id = request_purchase(requester, screenshot)

    # The department head of operations (org.yaml: ops.wang) approves from the inbox.
    head = page_as("ops.wang")
    open_task(head, "Approve purchase request (department head)", case_id)
    expect(head.locator(".instructions")).to_contain_text("Total: 22,600 TWD")
    diagram_ready(head)
    screenshot(head, "03-head-task")
    head.get_by_label("Approve", exact=True).check()
    head.get_by_label("Comment (required when rejecting)").fill("Fits the dispatch budget.")
    complete(head)

    # Procurement claims the role task, lists two suppliers, records both quotes, selects one, issues the PO.
    buyer = page_as("proc.hsieh")
    open_task(buyer, "List suppliers to ask for quotes", case_id)
    buyer.get_by_role("button", name="Claim").click()
    expect(buyer.locator(".flash--success")).to_have_text("The task is yours now.")
    expect(buyer.locator(".taskfacts")).to_contain_text("Hsieh Li-hua")
    suppliers = buyer.locator("fieldset[data-group=suppliers_to_quote]")
    buyer.locator("#f-suppliers_to_quote-0-name").fill(SUPPLIERS[0][0])
    buyer.locator("#f-suppliers_to_quote-0-contact").fill(SUPPLIERS[0][1])
    suppliers.get_by_role("button", name="Add row").click()
    buyer.locator("#f-suppliers_to_quote-1-name").fill(SUPPLIERS[1][0])
    buyer.locator("#f-suppliers_to_quote-1-contact").fill(SUPPLIERS[1][1])
    screenshot(buyer, "04-list-suppliers")
    complete(buyer)

    # Multi-instance: one quote task per supplier, both in the inbox, each saying whose it is.
    for name, _contact, amount in SUPPLIERS:
        open_task(buyer, f"Record supplier quote: {name}", case_id)
        expect(buyer.locator(".instructions")).to_contain_text(f"Ask {name}")
        buyer.get_by_label("Quoted total (TWD, tax included)").fill(amount)
        buyer.get_by_label("Delivery time (days)").fill("5")
        buyer.get_by_label("Quote valid until").fill("2026-02-15")
        complete(buyer)

    open_task(buyer, "Select supplier", case_id)
    expect(buyer.locator(".instructions ol li").first).to_contain_text("Hsin Hua Office Equipment: 21,800 TWD")
    buyer.get_by_role("combobox", name="Selected supplier").select_option(SUPPLIERS[0][0])  # only suppliers that quoted
    complete(buyer)

    move_to(live_server.clock, "2026-01-06")
    open_task(buyer, "Issue purchase order", case_id)
    buyer.get_by_label("PO number (PO-2026-0001)").fill("PO-2026-0001")
    buyer.get_by_label("Ordered amount (TWD, tax included)").fill("21,800")
    buyer.get_by_label("Issued on").fill("2026-01-06")
    buyer.get_by_label("Agreed delivery date").fill("2026-01-13")
    complete(buyer)

    # The warehouse counts both order lines.
    move_to(live_server.clock, "2026-01-13")
    warehouse = page_as("wh.chiu")
    open_task(warehouse, "Receive goods", case_id)
    expect(warehouse.locator(".instructions")).to_contain_text("PO-2026-0001 from Hsin Hua Office Equipment")
    warehouse.locator("#f-received_items-0-line").fill("1")
    warehouse.locator("#f-received_items-0-quantity_received").fill("2")
    warehouse.locator("fieldset[data-group=received_items]").get_by_role("button", name="Add row").click()
    warehouse.locator("#f-received_items-1-line").fill("2")
    warehouse.locator("#f-received_items-1-quantity_received").fill("20")
    warehouse.get_by_label("Received on").fill("2026-01-13")
    warehouse.get_by_label("Delivery note number").fill("HH-0113-02")
    screenshot(warehouse, "05-receive-goods")
    complete(warehouse)

    # Finance records the invoice with its scan, then pays.
    move_to(live_server.clock, "2026-01-14")
    finance = page_as("fin.kuo")
    open_task(finance, "Record and match invoice", case_id)
    finance.get_by_label("Invoice number").fill("KT48201937")
    finance.get_by_label("PO number printed on the invoice").fill("PO-2026-0001")
    finance.get_by_label("Invoice amount (TWD, tax included)").fill("21800")
    finance.get_by_label("Invoice date").fill("2026-01-14")
    finance.get_by_label("Invoice scan (PDF or image)").set_input_files(
        {"name": "invoice-KT48201937.pdf", "mimeType": "application/pdf", "buffer": INVOICE_PDF})
    screenshot(finance, "06-match-invoice")
    complete(finance)

    move_to(live_server.clock, "2026-01-20")
    open_task(finance, "Pay supplier", case_id)
    expect(finance.get_by_label("Bank transfer")).to_be_checked()
    finance.get_by_label("Payment reference").fill("TRF-20260120-0031")
    finance.get_by_label("Paid on").fill("2026-01-20")
    complete(finance)

    # The requester sees the case completed, with its history and the diagram of the path taken.
    requester.locator("nav.mainnav").get_by_role("link", name="My requests").click()
    mine = requester.locator("li.request").filter(
        has=requester.get_by_role("link", name=re.compile(rf"#{case_id}$")))
    expect(mine.locator(".badge")).to_have_text("Completed")
    expect(mine).to_contain_text(TITLE)
    screenshot(requester, "07-my-requests")
    mine.get_by_role("link", name=re.compile(rf"#{case_id}$")).click()
    expect(requester.locator("h1")).to_contain_text(f"#{case_id}")
    expect(requester.locator("h1 .badge")).to_have_text("Completed")
    history = requester.locator("#history .timeline__item")
    expect(history.first).to_contain_text("Lin Ya-ting started the case")
    expect(history.last).to_contain_text("The case ended")
    sentences = requester.locator("#history .timeline__sentence")
    for done in ("Wang Mei-ling completed “Approve purchase request (department head)”",
                 "Hsieh Li-hua completed “Issue purchase order”",
                 "Chiu Kun-lin completed “Receive goods”",
                 "Kuo Wen-hsiung completed “Pay supplier”"):
        expect(sentences.filter(has_text=done)).to_have_count(1)
    expect(sentences.filter(has_text="completed “Record supplier quote”")).to_have_count(2)
    expect(requester.locator("#attachments")).to_contain_text("invoice-KT48201937.pdf")
    expect(requester.locator("#history")).to_contain_text("invoice-KT48201937.pdf")
    diagram = diagram_ready(requester)
    expect(diagram.locator("svg .djs-element").first).to_be_attached()
    expect(diagram.locator("svg .opsflow-done").first).to_be_attached()
    assert diagram.locator("svg .opsflow-done").count() >= 10
    screenshot(requester, "08-case-completed")
