"""Form rules in the web UI: their errors in the user's language at the field, choices from the case data."""
from tests.webapp import PURCHASE, approved_purchase

START = {"title": PURCHASE["title"], "justification": PURCHASE["justification"], "category": "it",
         "needed_by": "2026-01-04", "items/0/description": "27-inch monitor", "items/0/quantity": "2",
         "items/0/unit": "pcs", "items/0/unit_price": "9000"}


def test_a_rule_error_shows_at_its_field_in_traditional_chinese(login):
    response = login("ops.lin").post("/start/procurement", data=START, headers={"Accept-Language": "zh-TW"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "需求日期不得早於今天" in body and 'href="#f-needed_by"' in body
    assert "cannot be in the past" not in body


def test_a_rule_error_shows_in_english_for_english_readers(login):
    body = login("ops.lin").post("/start/procurement", data=START, headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "cannot be in the past" in body


def quoted(runtime):
    """A purchase whose two quotes are recorded: the open select_supplier task's id."""
    case_id, listing = approved_purchase(runtime)
    runtime.complete(listing["id"], "proc.lai",
                     {"suppliers_to_quote": [{"name": "Acme Displays"}, {"name": "Bolt IT"}]})
    for task in runtime.case(case_id)["tasks"]:
        runtime.complete(task["id"], "proc.lai", {"quote_amount": 17000, "quote_delivery_days": 3,
                                             "quote_valid_until": "2026-02-01"})
    return runtime.case(case_id)["tasks"][0]["id"]


def test_the_supplier_to_select_is_a_choice_among_those_that_quoted(runtime, login):
    body = login("proc.lai").get(f"/tasks/{quoted(runtime)}").get_data(as_text=True)
    select = body[body.index('name="selected_supplier"'):]
    select = select[:select.index("</select>")]
    assert 'value="Acme Displays"' in select and 'value="Bolt IT"' in select
