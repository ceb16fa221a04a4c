"""A form's declared rules and `x-choices-from` choices: checked on submit, located, translated, validated."""
from datetime import UTC, datetime

import pytest

from engine.definitions import load_package
from engine.errors import PackageError, ScriptError, ValidationFailed
from engine.formrules import resolve_choices, today_in
from engine.forms import validate_form
from engine.scenarios import Mismatch, ScenarioRun
from tests.test_package_validation import altered

SCHEMA = {
    "type": "object",
    "required": ["supplier", "amount"],
    "properties": {
        "supplier": {"type": "string", "x-choices-from": "[q['supplier'] for q in quotes]"},
        "amount": {"type": "number", "minimum": 0},
        "delivery_on": {"type": "string", "format": "date"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"quantity": {"type": "integer"}}}},
    },
}
RULES = [
    {"field": "amount", "check": "amount <= approved",
     "message": {"en": "may not exceed the approved amount", "zh-Hant": "不得超過核准金額"}},
    {"field": "delivery_on", "check": "delivery_on is None or delivery_on >= today",
     "message": {"en": "may not be in the past", "zh-Hant": "不得早於今天"}},
    {"field": "lines/*/quantity", "check": "item['quantity'] <= 10",
     "message": {"en": "at most 10 per line", "zh-Hant": "每行最多 10"}},
]
CASE = {"quotes": [{"supplier": "Acme"}, {"supplier": "Bolt"}], "approved": 7500, "today": "2026-01-05"}


def errors_of(data, names=CASE):
    """The field -> message mapping validate_form refuses `data` with."""
    with pytest.raises(ValidationFailed) as caught:
        validate_form(SCHEMA, data, RULES, names)
    return caught.value.errors


def test_rules_that_hold_let_the_form_through():
    clean = validate_form(SCHEMA, {"supplier": "Acme", "amount": 7000, "delivery_on": "2026-02-01"}, RULES, CASE)
    assert clean == {"supplier": "Acme", "amount": 7000, "delivery_on": "2026-02-01"}


def test_an_amount_above_what_was_approved_is_refused_at_its_field():
    assert errors_of({"supplier": "Acme", "amount": 99_999_999}) == {"amount": "may not exceed the approved amount"}


def test_the_rule_message_carries_both_languages():
    message = errors_of({"supplier": "Acme", "amount": 8000})["amount"]
    assert message.translations == {"en": "may not exceed the approved amount", "zh-Hant": "不得超過核准金額"}


def test_a_date_before_today_is_refused_and_today_comes_from_the_names():
    data = {"supplier": "Acme", "amount": 1, "delivery_on": "2026-01-04"}
    assert errors_of(data) == {"delivery_on": "may not be in the past"}
    assert validate_form(SCHEMA, data, RULES, dict(CASE, today="2026-01-01"))["delivery_on"] == "2026-01-04"


def test_a_choice_outside_the_earlier_steps_data_is_refused_with_the_schema_errors_and_rule_errors():
    errors = errors_of({"supplier": "Nobody Ltd", "amount": 9000, "lines": [{"quantity": 1}, {"quantity": 11}]})
    assert errors == {"supplier": "choose one of the offered values", "amount": "may not exceed the approved amount",
                      "lines/1/quantity": "at most 10 per line"}


def test_a_field_with_a_schema_error_is_not_also_checked_by_its_rule():
    assert errors_of({"supplier": "Acme", "amount": "lots"}) == {"amount": "enter a number"}


def test_a_rule_that_cannot_be_evaluated_on_valid_data_names_the_form_rule_and_field():
    rules = [RULES[0], {"field": "amount", "check": "amount <= supplier", "message": {"en": "x", "zh-Hant": "x"}}]
    with pytest.raises(ScriptError, match=r"forms/order.yaml: rules\[1\] on amount \(amount <= supplier\)"):
        validate_form(SCHEMA, {"supplier": "Acme", "amount": 1}, rules, CASE, "forms/order.yaml")


@pytest.mark.parametrize("check", ["delivery_on >= today", "delivery_on >= approved_on",
                                   "item['quantity'] <= 10"])
def test_a_rule_reading_an_optional_field_left_empty_passes(check):
    field = "lines/*/quantity" if "item" in check else "delivery_on"
    rules = [{"field": field, "check": check, "message": {"en": "x", "zh-Hant": "x"}}]
    data = {"supplier": "Acme", "amount": 1, "lines": [{}]}
    assert validate_form(SCHEMA, data, rules, CASE) == data


def test_rules_see_the_organisation_look_ups(runtime):
    from engine.formrules import rule_names
    from engine.org import Directory
    rules = [{"field": "supplier", "check": "is_active_user(supplier) and has_role(supplier, 'sales')",
              "message": {"en": "not a salesperson", "zh-Hant": "非業務人員"}}]
    schema = {"type": "object", "properties": {"supplier": {"type": "string"}}}
    with runtime.db.read() as session:
        names = rule_names({}, "2026-01-05", Directory(session))
        assert validate_form(schema, {"supplier": "sales.lu"}, rules, names) == {"supplier": "sales.lu"}
        with pytest.raises(ValidationFailed) as caught:
            validate_form(schema, {"supplier": "nobody.here"}, rules, names)
    assert caught.value.errors == {"supplier": "not a salesperson"}


def test_a_rule_reading_a_name_nothing_sets_is_reported_by_validation(tmp_path):
    folder = altered(tmp_path, ("forms/request.yaml", "schema:", RULE.replace("1000", "ceiling") + "schema:"))
    with pytest.raises(PackageError) as caught:
        load_package(folder)
    assert [(p.element, p.message) for p in caught.value.problems] == [
        ("rules[0].check", "reads 'ceiling', which no form field, script or decision output sets")]


def test_the_web_form_gets_the_resolved_choices_and_the_package_schema_stays_untouched():
    labelled = dict(CASE, quotes=[{"supplier": "Acme"}])
    schema = dict(SCHEMA, properties=dict(SCHEMA["properties"], supplier={
        "type": "string", "x-choices-from": "[{'value': 'acme', 'label': {'en': 'Acme', 'zh-Hant': '艾克米'}}]"}))
    resolved = resolve_choices(schema, labelled)
    assert resolved["properties"]["supplier"]["enum"] == ["acme"]
    assert resolved["properties"]["supplier"]["x-enum-labels"] == {"acme": {"en": "Acme", "zh-Hant": "艾克米"}}
    assert "enum" not in schema["properties"]["supplier"]
    assert resolve_choices(RULES_FREE, CASE) is RULES_FREE


RULES_FREE = {"type": "object", "properties": {"note": {"type": "string"}}}


def test_today_is_the_date_in_the_organisations_zone():
    assert today_in(datetime(2026, 1, 4, 17, 0, tzinfo=UTC), "Asia/Taipei") == "2026-01-05"


RULE = """rules:
  - field: amount
    check: amount <= 1000
    message: {en: At most 1000, zh-Hant: 最多 1000}
"""


def test_a_package_with_valid_rules_loads(tmp_path):
    folder = altered(tmp_path, ("forms/request.yaml", "schema:", RULE + "schema:"))
    assert load_package(folder).forms["forms/request.yaml"]["rules"][0]["field"] == "amount"


@pytest.mark.parametrize(("old", "new", "where", "reason"), [
    ("field: amount", "field: amont", "rules[0].field", "'amont' is not a field"),
    ("check: amount <= 1000", "check: amount <=", "rules[0].check", "expression"),
    ("{en: At most 1000, zh-Hant: 最多 1000}", "{en: At most 1000}", "rules[0].message", "zh-Hant"),
])
def test_a_broken_rule_is_reported_at_its_place(tmp_path, old, new, where, reason):
    folder = altered(tmp_path, ("forms/request.yaml", "schema:", RULE.replace(old, new) + "schema:"))
    with pytest.raises(PackageError) as caught:
        load_package(folder)
    assert any(p.element == where and reason in p.message for p in caught.value.problems), caught.value.problems


def test_a_choice_hint_that_does_not_compile_is_reported(tmp_path):
    folder = altered(tmp_path, ("forms/request.yaml", "      x-widget: textarea",
                                "      x-widget: textarea\n      x-choices-from: '[q for q in'"))
    with pytest.raises(PackageError) as caught:
        load_package(folder)
    assert [p.element for p in caught.value.problems] == ["schema.properties.reason.x-choices-from"]


class _Refusing:
    """A runtime whose every start is refused on one field."""

    clock = None

    def start(self, *args):
        """Refuse, located at `amount`."""
        raise ValidationFailed({"amount": "may not exceed the approved amount"})


def refused_start(field):
    """A scenario whose start must be refused as invalid on `field`."""
    return {"process": "p", "start": {"as": "u", "expect_error": "invalid", "field": field}}


def test_a_scenario_passes_when_the_error_is_located_at_the_named_field():
    ScenarioRun(_Refusing(), refused_start("amount")).run()


def test_a_scenario_fails_when_the_error_is_located_elsewhere():
    with pytest.raises(Mismatch, match="expected an error on items/0/quantity"):
        ScenarioRun(_Refusing(), refused_start(["items/0/quantity"])).run()


def test_a_scenario_passes_when_the_located_error_says_the_expected_message():
    ScenarioRun(_Refusing(), {**refused_start("amount"), "start": {
        "as": "u", "expect_error": "invalid", "field": "amount", "message": "exceed the approved"}}).run()


def test_a_scenario_fails_when_another_rule_refused_the_field():
    scenario = {**refused_start("amount"), "start": {
        "as": "u", "expect_error": "invalid", "field": "amount", "message": "cannot be in the future"}}
    with pytest.raises(Mismatch, match="expected the error on amount to say 'cannot be in the future', "
                                       "it says 'may not exceed the approved amount'"):
        ScenarioRun(_Refusing(), scenario).run()


def test_the_start_form_offers_choices_resolved_for_the_starter(runtime, tmp_path):
    folder = altered(tmp_path, ("forms/request.yaml", "      x-widget: textarea",
                                "      x-widget: textarea\n      x-choices-from: '[starter, today]'"))
    runtime.deploy([folder])
    schema = runtime.start_form("minimal", "sales.lu")["schema"]
    assert schema["properties"]["reason"]["enum"] == ["sales.lu", "2026-01-05"]


def test_completing_with_a_supplier_that_did_not_quote_is_refused_at_the_field(procurement):
    from tests.webapp import approved_purchase

    case_id, listing = approved_purchase(procurement)
    procurement.complete(listing["id"], "proc.lai", {"suppliers_to_quote": [{"name": "Acme Displays"}]})
    quote = procurement.case(case_id)["tasks"][0]
    procurement.complete(quote["id"], "proc.lai", {"quote_amount": 17000, "quote_delivery_days": 3,
                                                   "quote_valid_until": "2026-02-01"})
    select = procurement.case(case_id)["tasks"][0]
    assert procurement.task(select["id"], "proc.lai")["schema"]["properties"]["selected_supplier"]["enum"] == [
        "Acme Displays"]
    with pytest.raises(ValidationFailed) as caught:
        procurement.complete(select["id"], "proc.lai",
                             {"supplier_decision": "order", "selected_supplier": "Nobody Ltd"})
    assert caught.value.errors == {"selected_supplier": "choose one of the offered values"}


UNIQUE = """unique:
  fields: [reason]
  message: {en: already asked, zh-Hant: 已申請}
"""
SEARCH_REASON = "searchable:\n  - field: reason\n    type: string\n    label: {en: Reason, zh-Hant: 原因}\n"


def test_a_second_live_case_with_the_same_unique_fields_is_refused_at_the_field(runtime, tmp_path):
    folder = altered(tmp_path, ("process.yaml", "start_form:", UNIQUE + "start_form:"),
                     ("process.yaml", "searchable:\n", SEARCH_REASON))
    runtime.deploy([folder])
    first = runtime.start("minimal", "sales.lu", {"amount": 90, "reason": "Chairs for the meeting room"})
    runtime.start("minimal", "sales.lu", {"amount": 80, "reason": "Desks for the meeting room"})
    with pytest.raises(ValidationFailed) as caught:
        runtime.start("minimal", "sales.tseng", {"amount": 90, "reason": "Chairs for the meeting room"})
    assert caught.value.errors == {"reason": f"already asked (#{first})"}
    assert caught.value.errors["reason"].translations["zh-Hant"] == f"已申請 (#{first})"
    runtime.cancel(first, "sales.lu")
    assert runtime.start("minimal", "sales.tseng", {"amount": 90, "reason": "Chairs for the meeting room"}) > first


@pytest.mark.parametrize(("unique", "reason"), [
    ("fields: [nothing]", "'nothing' is not a field of the start form"),
    ("fields: [reason]", "'reason' must also be searchable"),
])
def test_unique_fields_must_be_searchable_start_form_fields(tmp_path, unique, reason):
    declared = f"unique:\n  {unique}\n  message: {{en: x, zh-Hant: x}}\n"
    folder = altered(tmp_path, ("process.yaml", "start_form:", declared + "start_form:"))
    with pytest.raises(PackageError) as caught:
        load_package(folder)
    assert [p.message for p in caught.value.problems] == [f"field {reason}"]
