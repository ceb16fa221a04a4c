"""Starting procedures, my requests, the case page, comments, attachments, cancelling, file fields."""
import io
import re
import shutil

import pytest

from tests.conftest import PACKAGES
from tests.webapp import PURCHASE, approved_purchase, start_purchase

START = {"title": "Two monitors", "justification": "The old screens flicker badly.", "category": "it",
         "needed_by": "2026-12-20", "items/0/description": "27-inch monitor", "items/0/quantity": "2",
         "items/0/unit": "pcs", "items/0/unit_price": "9,000", "action": "start"}


def test_catalogue_lists_only_what_my_roles_may_start(login):
    employee = login("ops.lin").get("/start").get_data(as_text=True)
    assert "Purchase request to payment" in employee and 'href="/start/performance-review"' not in employee
    hr = login("hr.yang").get("/start").get_data(as_text=True)
    assert 'href="/start/performance-review"' in hr
    assert login("ops.lin").get("/start/performance-review").status_code == 404


def test_start_form_then_confirmation_with_the_case_number(runtime, login):
    client = login("ops.lin")
    form = client.get("/start/procurement").get_data(as_text=True)
    assert 'name="items/0/description"' in form and "under 50,000 TWD" in form
    response = client.post("/start/procurement", data=START)
    assert response.status_code == 302
    case_id = int(re.search(r"/cases/(\d+)/started", response.location).group(1))
    confirmation = client.get(response.location).get_data(as_text=True)
    assert f"Submitted: case #{case_id}" in confirmation
    assert "Approve purchase request (department head)" in confirmation and "Wang Mei-ling" in confirmation
    case = runtime.case(case_id)
    assert case["starter"] == "ops.lin" and case["data"]["total_amount"] == 18000
    assert case["data"]["items"] == [{"description": "27-inch monitor", "quantity": 2, "unit": "pcs",
                                      "unit_price": 9000}]


def test_start_form_errors_keep_every_typed_value(runtime, login):
    bad = dict(START, title="TV", needed_by="next week", **{"items/0/quantity": "2x", "items/1/description": "Cable",
                                                             "items/1/quantity": "3"})
    response = login("ops.lin").post("/start/procurement", data=bad)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for typed in ('value="TV"', 'value="next week"', 'value="2x"', 'value="Cable"', 'value="3"',
                  "The old screens flicker badly."):
        assert typed in body
    assert 'href="#f-items-0-quantity"' in body
    assert runtime.requests("ops.lin")["total"] == 0


def test_my_requests_show_where_each_case_waits(runtime, login, clock):
    first = start_purchase(runtime, "ops.lin")
    second = start_purchase(runtime, "ops.lin", title="Printer paper")
    runtime.cancel(second, "ops.lin", "found some in the store room")
    client = login("ops.lin")
    body = client.get("/requests").get_data(as_text=True)
    assert f"#{first}" in body and f"#{second}" in body
    assert "Waiting for Approve purchase request (department head)" in body
    running = client.get("/requests?status=running").get_data(as_text=True)
    assert f"/cases/{first}" in running and f"/cases/{second}\"" not in running
    assert f'href="/cases/{first}/cancel"' in running
    assert "Printer paper" not in login("sales.lu").get("/requests").get_data(as_text=True)


def test_case_page_history_comments_and_diagram(runtime, login):
    case_id = start_purchase(runtime)
    client = login("ops.lin")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Lin Ya-ting started the case" in page and "IT equipment and software" in page
    refused = client.post(f"/cases/{case_id}/comments", data={"text": "x" * 4001})
    assert refused.status_code == 422 and "x" * 4001 in refused.get_data(as_text=True)  # kept for another try
    assert client.post(f"/cases/{case_id}/comments", data={"text": "Needed before the audit"}).status_code == 302
    assert "Needed before the audit" in login("ops.wang").get(f"/cases/{case_id}").get_data(as_text=True)
    diagram = client.get(f"/cases/{case_id}/diagram.json").get_json()
    assert diagram["xml"].startswith("<?xml") and "approve_department_head" in diagram["current"]
    assert diagram["done"] and set(diagram["labels"]) == {"done", "current", "waiting"}


def test_attachments_are_downloadable_only_by_who_sees_the_case(runtime, login):
    case_id = start_purchase(runtime)
    client = login("ops.lin")
    uploaded = client.post(f"/cases/{case_id}/attachments",
                           data={"file": (io.BytesIO(b"<html><script>alert(1)</script>"), "quote.html", "text/html")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302
    file_id = runtime.case(case_id, "ops.lin", "en")["attachments"][0]["id"]
    download = client.get(f"/attachments/{file_id}")
    assert download.status_code == 200
    assert download.mimetype == "application/octet-stream"  # never rendered as a page
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert login("ops.wang").get(f"/attachments/{file_id}").status_code == 200  # the approver sees the case
    assert login("sales.lu").get(f"/attachments/{file_id}").status_code == 404
    pdf = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(b"%PDF-1.4"), "q.pdf")},
                      content_type="multipart/form-data")
    assert pdf.status_code == 302
    shown = [a for a in runtime.case(case_id, "ops.lin", "en")["attachments"] if a["filename"] == "q.pdf"][0]
    assert client.get(f"/attachments/{shown['id']}").headers["Content-Disposition"].startswith("inline")


def test_too_large_files_are_refused_with_a_message(prepared_db, tmp_path):
    from tests.web.conftest import sign_in
    from tests.webapp import build_app

    shutil.copy(prepared_db, tmp_path / "small.db")
    app = build_app(tmp_path / "small.db", tmp_path, MAX_ATTACHMENT_BYTES=1000)
    runtime = app.extensions["opsflow"]
    case_id = start_purchase(runtime)
    client = sign_in(app.test_client(), "ops.lin")
    response = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(b"x" * 5000), "big.bin")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "The file was not attached: is larger than" in response.get_data(as_text=True)
    huge = client.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"x" * (2 * 2**20)), "huge.bin")})
    assert huge.status_code == 413 and "The upload is too large" in huge.get_data(as_text=True)
    assert runtime.case(case_id, "ops.lin", "en")["attachments"] == []
    runtime.db.dispose()


def test_cancel_asks_first_then_cancels(runtime, login):
    case_id = start_purchase(runtime)
    client = login("ops.lin")
    assert "Cancelling ends every open step" in client.get(f"/cases/{case_id}/cancel").get_data(as_text=True)
    other = start_purchase(runtime, "sales.lu")
    head = login("sales.yeh")  # sees the case through their approval, may not cancel it
    assert "Only the person who started" in head.get(f"/cases/{other}/cancel").get_data(as_text=True)
    assert head.post(f"/cases/{other}/cancel", data={"reason": "no"}).status_code == 403
    assert client.post(f"/cases/{case_id}/cancel", data={"reason": "Bought elsewhere"}).status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Cancelled" in page and "Bought elsewhere" in page
    again = client.post(f"/cases/{case_id}/cancel", data={"reason": "twice"})
    assert again.status_code == 409 and "already cancelled" in again.get_data(as_text=True)


@pytest.fixture
def expense(runtime, tmp_path):
    """The test expense package with a file field on its start form."""
    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    form = package / "forms" / "claim.yaml"
    form.write_text(form.read_text(encoding="utf-8") +
                    "    receipt: {type: string, x-widget: file, x-label: {en: Receipt, zh-Hant: 收據}}\n",
                    encoding="utf-8")
    runtime.deploy([package])
    return runtime


def test_a_file_field_keeps_its_upload_across_an_error_and_links_it(expense, login):
    client = login("ops.lin")
    first = client.post("/start/expense", content_type="multipart/form-data",
                        data={"purpose": "Taxi", "amount": "", "receipt": (io.BytesIO(b"%PDF receipt"), "taxi.pdf")})
    assert first.status_code == 422
    body = first.get_data(as_text=True)
    kept = re.search(r'name="receipt" value="([0-9a-f]{32})"', body).group(1)
    assert "taxi.pdf" in body
    second = client.post("/start/expense", content_type="multipart/form-data",
                         data={"purpose": "Taxi", "amount": "420", "receipt": kept})
    assert second.status_code == 302
    case_id = int(re.search(r"/cases/(\d+)/", second.location).group(1))
    case = expense.case(case_id, "ops.lin", "en")
    assert case["data"]["receipt"] == kept and [a["id"] for a in case["attachments"]] == [kept]
    assert "taxi.pdf" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    stolen = login("sales.lu").post("/start/expense", data={"purpose": "Taxi", "amount": "10", "receipt": kept})
    assert stolen.status_code == 422 and "unknown attachment" in stolen.get_data(as_text=True)


def test_purchase_data_appears_in_the_history_with_labels(runtime, login):
    case_id = runtime.start("procurement", "ops.lin", PURCHASE)
    page = login("ops.lin").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Needed by" in page and "2026-12-20" in page


def test_ids_too_large_for_the_database_are_simply_not_found(login):
    client = login("ops.lin")
    huge = "9" * 20
    for url in (f"/cases/{huge}", f"/cases/{huge}/diagram.json", f"/cases/{2**31}"):
        assert client.get(url).status_code == 404
    assert client.post(f"/cases/{huge}/comments", data={"text": "hello"}).status_code == 404
    assert client.post(f"/inbox/filters/{huge}/delete").status_code == 404


def test_a_cancelled_case_keeps_its_summary(runtime, login):
    case_id = approved_purchase(runtime)[0]
    runtime.cancel(case_id, "ops.lin", "bought elsewhere")
    body = login("ops.lin").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Two monitors for the support desk" in body and "<dt>Total amount (TWD)</dt>" in body


RISKS = {"trigger": "on-demand", "reason": "A new distributor contract in the south was signed last week.",
         "scope": "Southern distribution launch",
         "risks": [{"title": "Distributor takes share from direct sales", "category": "market", "owner": "sales.yeh",
                    "description": "Overlapping customers between the distributor and our sales team."},
                   {"title": "Distributor pays late", "category": "financial", "owner": "fin.kuo",
                    "description": "60-day terms with a new partner without payment history."}]}


@pytest.mark.parametrize(("language", "label", "status"), [("en", "On demand", "Assessing"),
                                                            ("zh-Hant", "臨時發起", "評估中")])
def test_a_case_shows_choices_and_worked_out_codes_by_label(runtime, login, language, label, status):
    case_id = runtime.start("risk-assessment", "ops.chen", RISKS)
    body = login("ops.chen").get(f"/cases/{case_id}", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<p class="pagehead__sub">{label}</p>' in body and ">on-demand<" not in body
    assert f"<dd>{status}</dd>" in body and ">assessing<" not in body  # a status a script stores
