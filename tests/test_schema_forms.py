"""JSON Schema forms: building fields, rendering them accessibly, and parsing a submission back."""
import io
from datetime import timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from flask import Flask, render_template_string
from flask_babel import Babel
from werkzeug.datastructures import FileStorage, MultiDict

from engine.errors import ValidationFailed
from engine.forms import validate_form
from webui.schema_forms import (
    apply_row_action,
    build_fields,
    format_value,
    merge_errors,
    needs_multipart,
    parse_submission,
    row_action,
    summarize_errors,
)

ROOT = Path(__file__).resolve().parent.parent
FORMS = sorted((ROOT / "processes").glob("*/forms/*.yaml"))
TAIPEI = timezone(timedelta(hours=8))
PEOPLE = [{"username": "ops.wang", "name": "Wang Mei-ling", "department": "operations"},
          {"username": "hr.liu", "name": "Liu Hsiu-ying", "department": "hr"}]
PAGE = """{% from "forms/fields.html" import render_fields, error_summary %}
{{ error_summary(fields.errors_list) }}<form method="post">{{ render_fields(fields) }}</form>"""


def label(en, zh=None):
    """An x-label in both languages."""
    return {"en": en, "zh-Hant": zh or f"{en}（中）"}


EVERY_WIDGET = {
    "type": "object",
    "required": ["title", "quantity", "decision", "ack"],
    "properties": {
        "title": {"type": "string", "maxLength": 80, "pattern": "^[A-Z][a-z]+$", "x-label": label("Title"),
                  "x-help": label("A short name")},
        "body": {"type": "string", "x-widget": "textarea", "maxLength": 2000, "x-label": label("Body")},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99, "x-label": label("Quantity")},
        "ratio": {"type": "number", "x-label": label("Ratio")},
        "amount": {"type": "number", "minimum": 0, "x-widget": "money", "x-label": label("Amount")},
        "due": {"type": "string", "format": "date", "x-label": label("Due")},
        "meeting": {"type": "string", "format": "date-time", "x-label": label("Meeting")},
        "contact": {"type": "string", "format": "email", "x-label": label("E-mail")},
        "urgent": {"type": "boolean", "default": False, "x-label": label("Urgent")},
        "ack": {"type": "boolean", "const": True, "x-label": label("I have read the policy")},
        "category": {"type": "string", "enum": ["it", "office"], "x-label": label("Category"),
                     "x-enum-labels": {"it": label("IT"), "office": label("Office")}},
        "decision": {"type": "string", "enum": ["approve", "reject"], "x-widget": "radio",
                     "x-label": label("Decision"),
                     "x-enum-labels": {"approve": label("Approve", "核准"), "reject": label("Reject", "退回")}},
        "score": {"type": "integer", "minimum": 1, "maximum": 5, "x-widget": "radio", "x-label": label("Score")},
        "systems": {"type": "array", "uniqueItems": True, "x-widget": "checkboxes", "x-label": label("Systems"),
                    "items": {"type": "string", "enum": ["vpn", "crm", "wms"],
                              "x-enum-labels": {"vpn": label("VPN"), "crm": label("CRM"), "wms": label("WMS")}}},
        "owner": {"type": "string", "x-widget": "user", "x-label": label("Owner")},
        "evidence": {"type": "string", "x-widget": "file", "x-accept": ".pdf,image/*", "x-label": label("Evidence")},
        "photos": {"type": "array", "x-widget": "file", "items": {"type": "string"}, "x-label": label("Photos")},
        "currency": {"type": "string", "const": "TWD", "default": "TWD", "x-label": label("Currency")},
        "items": {"type": "array", "minItems": 1, "maxItems": 3, "x-label": label("Line items", "明細"),
                  "items": {"type": "object", "required": ["description", "quantity"], "properties": {
                      "description": {"type": "string", "x-label": label("Description")},
                      "quantity": {"type": "integer", "minimum": 1, "x-label": label("Quantity")},
                      "unit_price": {"type": "number", "x-widget": "money", "x-label": label("Unit price")}}}},
        "suppliers": {"type": "array", "maxItems": 10, "x-label": label("Suppliers"),
                      "items": {"type": "string", "x-label": label("Supplier name")}},
    },
}


def purchase_request():
    """The procurement start form's schema."""
    return load_form(ROOT / "processes/procurement/forms/purchase-request.yaml")


def load_form(path):
    """A form file's schema."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["schema"]


@pytest.fixture(scope="module")
def app():
    """A bare Flask app over webui's templates with Flask-Babel, enough to render the macros."""
    app = Flask(__name__, template_folder=str(ROOT / "webui/templates"))
    Babel(app)
    return app


@pytest.fixture
def render(app):
    """render(fields) -> the HTML of the error summary and the form."""
    def _render(fields, source=PAGE):
        """Render `fields` through the macros."""
        with app.test_request_context():
            return render_template_string(source, fields=fields)
    return _render


@pytest.fixture
def parse(app):
    """parse(schema, pairs, **kwargs) -> Submission, inside a request context."""
    def _parse(schema, pairs, **kwargs):
        """Parse a form given as (name, value) pairs."""
        with app.test_request_context():
            return parse_submission(schema, MultiDict(pairs), **kwargs)
    return _parse


class Page(HTMLParser):
    """The elements of a rendered form (outside <template>), with their attributes and text."""

    VOID = {"input", "br", "img", "hr", "meta", "link"}

    def __init__(self, html):
        """Parse `html`."""
        super().__init__()
        self.elements, self.in_template, self.open = [], 0, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        """Record an element unless it sits inside a <template>."""
        if tag == "template":
            self.in_template += 1
        elif not self.in_template:
            element = {"tag": tag, "text": "", **{k: (v if v is not None else "") for k, v in attrs}}
            self.elements.append(element)
            if tag not in self.VOID:
                self.open.append(element)

    def handle_endtag(self, tag):
        """Close the innermost element of that tag."""
        if tag == "template":
            self.in_template -= 1
        elif not self.in_template:
            while self.open and self.open.pop()["tag"] != tag:
                pass

    def handle_data(self, data):
        """Add text to every open element."""
        if not self.in_template:
            for element in self.open:
                element["text"] += data

    def find(self, tag=None, **attrs):
        """Elements with `tag` whose attributes equal `attrs`."""
        return [e for e in self.elements if (tag is None or e["tag"] == tag)
                and all(e.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one(self, tag=None, **attrs):
        """The single element matching."""
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]

    def ids(self):
        """Every id on the page."""
        return [e["id"] for e in self.elements if "id" in e]

    def submitted(self):
        """What a browser would post without touching the form (hidden, text, checked and selected values)."""
        pairs, select = [], None
        for e in self.elements:
            if e["tag"] == "select":
                select = e
            elif e["tag"] == "option" and select is not None and "selected" in e:
                pairs.append((select["name"], e["value"]))
            elif e["tag"] == "input" and e.get("name") and e.get("type") not in ("file", "submit"):
                if e.get("type") not in ("checkbox", "radio") or "checked" in e:
                    pairs.append((e["name"], e.get("value", "")))
            elif e["tag"] == "textarea" and e.get("name"):
                pairs.append((e["name"], e["text"].removeprefix("\n")))
        return pairs


def by_path(fields):
    """{path: Field} over every field, rows included."""
    found = {}
    for f in fields:
        found[f.path] = f
        found.update(by_path(f.children))
        for row in f.rows:
            found.update(by_path(row.fields))
    return found


# ---- building ----------------------------------------------------------------------------------------------------

def test_every_property_gets_its_widget_in_schema_order():
    fields = build_fields(EVERY_WIDGET, "en", people=PEOPLE)
    assert [(f.path, f.widget) for f in fields] == [
        ("title", "text"), ("body", "textarea"), ("quantity", "integer"), ("ratio", "number"), ("amount", "money"),
        ("due", "date"), ("meeting", "datetime"), ("contact", "email"), ("urgent", "boolean"), ("ack", "boolean"),
        ("category", "select"), ("decision", "radio"), ("score", "radio"), ("systems", "checkboxes"),
        ("owner", "user"), ("evidence", "file"), ("photos", "file"), ("currency", "const"), ("items", "group"),
        ("suppliers", "group")]
    assert [f.input_type for f in fields[:8]] == ["text", "text", "text", "text", "text", "date",
                                                  "datetime-local", "email"]


def test_html_attributes_follow_the_schema():
    fields = by_path(build_fields(EVERY_WIDGET, "en"))
    assert fields["title"].attrs == {"maxlength": 80, "pattern": "^[A-Z][a-z]+$"}
    assert fields["quantity"].attrs == {"inputmode": "numeric", "autocomplete": "off"}
    assert fields["ratio"].attrs == {"inputmode": "decimal", "autocomplete": "off"}
    assert fields["amount"].attrs == {"inputmode": "decimal", "autocomplete": "off"}
    assert fields["amount"].affix == "TWD"
    assert fields["evidence"].attrs["accept"] == ".pdf,image/*"
    assert fields["photos"].multiple and fields["photos"].attrs["multiple"] == "multiple"


@pytest.mark.parametrize("pattern, copied", [
    ("^[a-z0-9]+(\\.[a-z0-9]+)*$", True),
    ("^PO-[0-9]{4}-[0-9]{3,6}$", True),
    ("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", True),
    ("^[A-Za-z0-9][A-Za-z0-9-]*$", False),   # a bare "-" ending a class is an error under HTML's v flag
    ("[a-z]+", False),                       # unanchored: JSON Schema searches, HTML would anchor
    ("^(?P<x>a)$", False),                   # Python-only syntax
])
def test_pattern_is_copied_to_html_only_when_the_browser_reads_it_the_same(pattern, copied):
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": pattern}}}
    assert ("pattern" in build_fields(schema, "en")[0].attrs) is copied


def test_labels_and_help_pick_the_language_with_english_fallback():
    schema = {"type": "object", "properties": {
        "a": {"type": "string", "x-label": {"en": "Name", "zh-Hant": "名稱"}, "x-help": {"en": "Only English"}},
        "plain_name": {"type": "string"}}}
    named, plain = build_fields(schema, "zh-Hant")
    assert (named.label, named.help, plain.label) == ("名稱", "Only English", "Plain name")
    decision = by_path(build_fields(EVERY_WIDGET, "zh-Hant"))["decision"]
    assert [c.label for c in decision.choices] == ["核准", "退回"]


def test_ids_and_names_come_from_the_path():
    fields = by_path(build_fields(EVERY_WIDGET, "en", values={"items": [{}, {}], "suppliers": ["a", "b", "c"]}))
    quantity = fields["items/1/quantity"]
    assert (quantity.name, quantity.id) == ("items/1/quantity", "f-items-1-quantity")
    assert fields["suppliers/2"].id == "f-suppliers-2"
    assert fields["suppliers/2"].label == "Supplier name"


def test_values_typed_or_as_submitted_render_by_str():
    typed = by_path(build_fields(EVERY_WIDGET, "en", values={
        "quantity": 12, "ratio": 0.5, "amount": 1234.5, "urgent": True, "decision": "reject", "score": 4,
        "systems": ["crm"], "items": [{"description": "Laptop", "quantity": 2, "unit_price": 32000.0}]}))
    assert (typed["quantity"].value, typed["ratio"].value, typed["amount"].value) == ("12", "0.5", "1,234.50")
    assert typed["items/0/unit_price"].value == "32,000"
    assert typed["urgent"].checked
    assert [c.value for c in typed["decision"].choices if c.selected] == ["reject"]
    assert [c.value for c in typed["score"].choices] == ["1", "2", "3", "4", "5"]
    assert [c.value for c in typed["score"].choices if c.selected] == ["4"]
    assert [c.value for c in typed["systems"].choices if c.selected] == ["crm"]
    raw = by_path(build_fields(EVERY_WIDGET, "en", values={"quantity": "12x", "amount": "1,234.5", "score": "4",
                                                          "urgent": False}))
    assert (raw["quantity"].value, raw["amount"].value) == ("12x", "1,234.5")
    assert [c.value for c in raw["score"].choices if c.selected] == ["4"]
    assert not raw["urgent"].checked


def test_defaults_fill_missing_values_and_const_is_forced():
    fields = by_path(build_fields(EVERY_WIDGET, "en", values={"currency": "USD"}))
    assert fields["currency"].value == "TWD"
    assert not fields["urgent"].checked
    schema = {"type": "object", "properties": {"mode": {"type": "string", "enum": ["a", "b"], "default": "b"}}}
    assert [c.value for c in build_fields(schema, "en")[0].choices if c.selected] == ["b"]


def test_repeating_groups_show_at_least_one_row_and_a_template():
    fields = by_path(build_fields(EVERY_WIDGET, "en"))
    items, suppliers = fields["items"], fields["suppliers"]
    assert len(items.rows) == 1 and len(suppliers.rows) == 1
    assert items.template.path == "items/__index__"
    assert [f.path for f in items.template.fields] == ["items/__index__/description", "items/__index__/quantity",
                                                       "items/__index__/unit_price"]
    assert (items.min_rows, items.max_rows, items.can_add, items.can_remove) == (1, 3, True, False)
    full = by_path(build_fields(EVERY_WIDGET, "en", values={"items": [{}, {}, {}]}))["items"]
    assert (full.can_add, full.can_remove) == (False, True)
    schema = {"type": "object", "properties": {"xs": {"type": "array", "minItems": 3, "items": {"type": "string"}}}}
    assert len(build_fields(schema, "en")[0].rows) == 3


def test_user_picker_lists_people_and_keeps_an_unknown_value():
    owner = by_path(build_fields(EVERY_WIDGET, "en", values={"owner": "gone.user"}, people=PEOPLE))["owner"]
    assert [(c.value, c.selected) for c in owner.choices] == [("gone.user", True), ("ops.wang", False),
                                                              ("hr.liu", False)]
    assert owner.choices[1].label == "Wang Mei-ling (ops.wang, operations)"
    assert by_path(build_fields(EVERY_WIDGET, "en"))["owner"].widget == "text"


def test_file_fields_name_the_files_already_uploaded():
    attachments = {"a1": {"filename": "quote.pdf", "size": 20480}, "a2": {"filename": "p.jpg", "size": 10}}
    fields = by_path(build_fields(EVERY_WIDGET, "en", values={"evidence": "a1", "photos": ["a2", "zz"]},
                                  attachments=attachments))
    assert [(c.value, c.label) for c in fields["evidence"].files] == [("a1", "quote.pdf (20 KB)")]
    assert [c.label for c in fields["photos"].files] == ["p.jpg (10 B)", "zz"]
    assert needs_multipart(list(fields.values()))
    assert not needs_multipart(build_fields(purchase_request(), "en"))


def test_errors_go_to_their_field_or_the_nearest_enclosing_one():
    errors = {"title": "too short", "items/0/quantity": "enter a whole number", "systems/1": "not allowed",
              "items": "at most 3", "": "the form is stale", "nowhere": "odd"}
    fields = build_fields(EVERY_WIDGET, "en", errors=errors)
    found = by_path(fields)
    assert (found["title"].error, found["items/0/quantity"].error) == ("too short", "enter a whole number")
    assert (found["systems"].error, found["items"].error) == ("not allowed", "at most 3")
    assert [(e.href, e.text) for e in fields.errors_list] == [
        ("", "the form is stale"), ("", "nowhere: odd"), ("#f-title", "Title: too short"),
        ("#f-systems", "Systems: not allowed"), ("#f-items", "Line items: at most 3"),
        ("#f-items-0-quantity", "Quantity (Line items 1): enter a whole number")]
    assert summarize_errors(fields, errors) == fields.errors_list


def test_date_times_show_in_the_given_zone_or_their_own_offset():
    values = {"meeting": "2026-03-01T01:30:00+00:00"}
    assert by_path(build_fields(EVERY_WIDGET, "en", values=values, tz=TAIPEI))["meeting"].value == "2026-03-01T09:30"
    assert by_path(build_fields(EVERY_WIDGET, "en", values=values))["meeting"].value == "2026-03-01T01:30"


# ---- rendering ---------------------------------------------------------------------------------------------------

def test_every_control_has_a_label_and_unique_id(render):
    page = Page(render(build_fields(EVERY_WIDGET, "en", people=PEOPLE)))
    ids = page.ids()
    assert len(ids) == len(set(ids))
    labelled = {e["for"] for e in page.find("label")}
    controls = [e for e in page.elements if e["tag"] in ("input", "select", "textarea")
                and e.get("type") not in ("hidden", "submit")]
    assert controls and all(c["id"] in labelled for c in controls)


def test_required_fields_are_marked_and_required(render):
    page = Page(render(build_fields(EVERY_WIDGET, "en", people=PEOPLE)))
    title = page.one("input", id="f-title")
    assert "required" in title and title["aria-required"] == "true"
    assert "*" in page.one("label", **{"for": "f-title"})["text"]
    assert len(page.find("fieldset", role="radiogroup", aria_required="true")) == 1
    assert all("required" in radio for radio in page.find("input", name="decision"))
    assert "required" in page.one("input", type="checkbox", name="ack")
    schema = {"type": "object", "required": ["flag"], "properties": {"flag": {"type": "boolean"}}}
    assert not build_fields(schema, "en")[0].required  # unticked is a valid answer
    assert "required" not in page.one("input", name="items/0/description")  # rows may be left blank
    assert page.one("input", name="items/0/description")["aria-required"] == "true"


def test_help_and_errors_are_linked_to_their_control(render):
    errors = {"title": "too short", "items/0/quantity": "enter a whole number", "decision": "this field is required"}
    page = Page(render(build_fields(EVERY_WIDGET, "en", errors=errors)))
    title = page.one("input", id="f-title")
    assert title["aria-invalid"] == "true"
    assert title["aria-describedby"] == "f-title-error f-title-help"
    assert page.one(id="f-title-error")["text"] == "too short"
    assert page.one(id="f-title-help")["text"] == "A short name"
    quantity = page.one("input", id="f-items-0-quantity")
    assert quantity["aria-invalid"] == "true" and quantity["value"] == ""
    assert page.find("fieldset", role="radiogroup")[0]["aria-describedby"] == "f-decision-error"
    assert all(r["aria-invalid"] == "true" for r in page.find("input", name="decision"))
    amount = page.one("input", id="f-amount")
    assert amount["aria-describedby"] == "f-amount-affix" and page.one(id="f-amount-affix")["text"] == "TWD"


def test_error_summary_is_an_alert_linking_to_each_bad_field(render):
    errors = {"": "stale form", "title": "too short", "items/0/quantity": "enter a whole number",
              "decision": "this field is required", "items": "at most 3"}
    page = Page(render(build_fields(EVERY_WIDGET, "en", errors=errors)))
    summary = page.one("div", role="alert")
    assert "There is a problem" in summary["text"] and "stale form" in summary["text"]
    links = [a["href"] for a in page.find("a")]
    assert links == ["#f-title", "#f-decision", "#f-items", "#f-items-0-quantity"]
    ids = set(page.ids())
    assert all(link[1:] in ids for link in links)
    assert page.one(id="f-decision")["type"] == "radio"  # the link lands on the first radio button
    assert Page(render(build_fields(EVERY_WIDGET, "en"))).find(role="alert") == []


def test_error_summary_also_takes_the_errors_and_the_fields(render):
    errors = {"title": "too short"}
    fields = build_fields(EVERY_WIDGET, "en", errors=errors)
    source = '{% from "forms/fields.html" import error_summary %}{{ error_summary(errors, fields) }}'
    with_fields = Page(render(fields, source.replace("errors,", "{'title': 'too short'},")))
    assert [a["href"] for a in with_fields.find("a")] == ["#f-title"]
    schemaless = Page(render([], '{% from "forms/fields.html" import error_summary %}'
                                 '{{ error_summary({"": "no such task"}, fields) }}'))
    assert "no such task" in schemaless.one(role="alert")["text"]


def test_groups_render_rows_buttons_and_a_template(render):
    html = render(build_fields(EVERY_WIDGET, "en", values={"items": [{"description": "A"}, {"description": "B"}]}))
    page = Page(html)
    group = page.one("fieldset", id="f-items")
    assert (group["data-group"], group["data-min"], group["data-max"]) == ("items", "1", "3")
    removes = page.find("button", name="_remove")
    assert [b["value"] for b in removes][:2] == ["items/0", "items/1"]
    assert all("formnovalidate" in b for b in removes)
    add = page.one("button", name="_add", value="items")
    assert add["type"] == "submit" and "disabled" not in add
    assert page.elements[1]["class"] == "form__default-submit"  # first submit button: Enter never removes a row
    assert 'name="items/__index__/description"' in html and 'id="f-items-__index__-quantity"' in html
    assert "<script" not in html and "style=" not in html


def test_boolean_has_a_hidden_false_companion(render):
    page = Page(render(build_fields(EVERY_WIDGET, "en", values={"urgent": True})))
    assert [(e["type"], e["value"]) for e in page.find("input", name="urgent")] == [("hidden", "false"),
                                                                                   ("checkbox", "true")]
    assert "checked" in page.one("input", type="checkbox", name="urgent")


def test_file_field_keeps_the_uploaded_id_in_a_hidden_input(render):
    attachments = {"a1": {"filename": "quote.pdf", "size": 2048}}
    page = Page(render(build_fields(EVERY_WIDGET, "en", values={"evidence": "a1", "photos": ["a1"]},
                                    attachments=attachments)))
    assert page.one("input", type="hidden", name="evidence")["value"] == "a1"
    assert "Current file: quote.pdf (2 KB)" in page.find("p", **{"class": "field__current"})[0]["text"]
    evidence = page.one("input", type="file", name="evidence")
    assert evidence["accept"] == ".pdf,image/*" and "required" not in evidence
    kept = page.one("input", type="checkbox", name="photos")
    assert kept["value"] == "a1" and "checked" in kept


def test_const_is_shown_read_only_and_not_posted(render):
    currency = Page(render(build_fields(EVERY_WIDGET, "en"))).one("input", id="f-currency")
    assert "readonly" in currency and "name" not in currency and currency["value"] == "TWD"


def test_rendering_escapes_values(render):
    page = render(build_fields(EVERY_WIDGET, "en", values={"title": '"><script>x</script>', "body": "</textarea>"}))
    assert "<script>x" not in page and "</textarea></textarea>" not in page


# ---- parsing -----------------------------------------------------------------------------------------------------

def test_parse_coerces_each_type(parse):
    sub = parse(EVERY_WIDGET, [
        ("title", "  Laptop  "), ("body", "line 1\r\nline 2\r\n"), ("quantity", "1,200"), ("ratio", "0.25"),
        ("amount", "1,234.5"), ("due", "2026-12-01"), ("contact", "a@example.com"),
        ("urgent", "false"), ("urgent", "true"), ("ack", "false"), ("ack", "true"), ("category", "it"),
        ("decision", "approve"), ("score", "4"), ("systems", "vpn"), ("systems", "wms"), ("owner", "ops.wang"),
        ("currency", "USD")])
    assert sub.errors == {}
    assert sub.data == {
        "title": "Laptop", "body": "line 1\nline 2\n", "quantity": 1200, "ratio": 0.25, "amount": 1234.5,
        "due": "2026-12-01", "contact": "a@example.com", "urgent": True, "ack": True, "category": "it",
        "decision": "approve", "score": 4, "systems": ["vpn", "wms"], "owner": "ops.wang", "currency": "TWD"}
    assert sub.raw["title"] == "  Laptop  " and sub.raw["quantity"] == "1,200"


def test_empty_inputs_are_left_out_so_the_validator_says_required(parse):
    sub = parse(EVERY_WIDGET, [("title", "   "), ("body", " \r\n"), ("quantity", ""), ("urgent", "false"),
                               ("ack", "false"), ("items/0/description", ""), ("items/0/quantity", "")])
    assert sub.data == {"urgent": False, "currency": "TWD"}
    assert sub.errors == {}
    with pytest.raises(ValidationFailed) as caught:
        validate_form(EVERY_WIDGET, sub.data)
    assert "title" in caught.value.errors  # the validator names the first missing field of an object


@pytest.mark.parametrize("name, text, message", [
    ("quantity", "12x", "enter a whole number"), ("quantity", "12.5", "enter a whole number"),
    ("quantity", "1,2,3", "enter a whole number"), ("ratio", "abc", "enter a number"),
    ("amount", "1.2.3", "enter a number"), ("amount", "nan", "enter a number"),
    ("meeting", "tomorrow", "enter a date and time"),
])
def test_coercion_errors_keep_what_was_typed(parse, render, name, text, message):
    sub = parse(EVERY_WIDGET, [(name, text)])
    assert sub.errors == {name: message}
    assert name not in sub.data and sub.raw[name] == text
    page = Page(render(build_fields(EVERY_WIDGET, "en", values=sub.raw, errors=sub.errors)))
    assert page.one(id=f"f-{name}")["value"] == text
    assert page.one(id=f"f-{name}")["aria-invalid"] == "true"


@pytest.mark.parametrize("text, value", [("12", 12), ("-3", -3), ("１２", 12), ("1,234,567", 1234567)])
def test_integers_accept_separators_and_full_width_digits(parse, text, value):
    assert parse(EVERY_WIDGET, [("quantity", text)]).data["quantity"] == value


@pytest.mark.parametrize("text, value", [("1,234.50", 1234.5), (".5", 0.5), ("7", 7), ("12.", 12.0)])
def test_numbers_accept_separators(parse, text, value):
    assert parse(EVERY_WIDGET, [("amount", text)]).data["amount"] == value


def test_date_time_gets_seconds_and_the_zone_offset(parse):
    assert parse(EVERY_WIDGET, [("meeting", "2026-03-01T09:30")]).data["meeting"] == "2026-03-01T09:30:00+00:00"
    taipei = parse(EVERY_WIDGET, [("meeting", "2026-03-01T09:30")], tz=TAIPEI)
    assert taipei.data["meeting"] == "2026-03-01T09:30:00+08:00"
    assert taipei.raw["meeting"] == "2026-03-01T09:30"
    shown = by_path(build_fields(EVERY_WIDGET, "en", values=taipei.data, tz=TAIPEI))["meeting"]
    assert shown.value == "2026-03-01T09:30"
    validate_form(EVERY_WIDGET | {"required": []}, taipei.data)


def test_unticked_boolean_is_false_and_an_unticked_acknowledgement_is_missing(parse):
    sub = parse(EVERY_WIDGET, [("urgent", "false"), ("ack", "false")])
    assert sub.data["urgent"] is False and "ack" not in sub.data
    assert "urgent" not in parse(EVERY_WIDGET, []).data


def test_undeclared_fields_are_ignored(parse):
    sub = parse(EVERY_WIDGET, [("title", "Ok"), ("is_admin", "true"), ("items/0/secret", "x"), ("csrf_token", "t")])
    assert "is_admin" not in sub.data and "is_admin" not in sub.raw
    assert "items" not in sub.data


def test_rows_with_gaps_are_compacted_and_blank_rows_dropped(parse):
    sub = parse(EVERY_WIDGET, [
        ("items/5/description", "Chair"), ("items/5/quantity", "2"),
        ("items/0/description", "Desk"), ("items/0/quantity", "1"),
        ("items/2/description", " "), ("items/2/quantity", ""), ("items/2/unit_price", ""),
        ("suppliers/3", "ACME"), ("suppliers/1", ""), ("suppliers/0", "Best Co")])
    assert sub.data["items"] == [{"description": "Desk", "quantity": 1}, {"description": "Chair", "quantity": 2}]
    assert sub.data["suppliers"] == ["Best Co", "ACME"]
    assert [row["description"] for row in sub.raw["items"]] == ["Desk", "Chair"]
    assert sub.raw["suppliers"] == ["Best Co", "ACME"]


def test_row_errors_use_the_rendered_row_index(parse):
    sub = parse(EVERY_WIDGET, [("items/0/description", ""), ("items/3/description", "Desk"),
                               ("items/3/quantity", "two")])
    assert sub.errors == {"items/0/quantity": "enter a whole number"}
    assert sub.raw["items"] == [{"description": "Desk", "quantity": "two", "unit_price": ""}]


def test_validator_paths_line_up_with_the_raw_rows(parse, render):
    sub = parse(EVERY_WIDGET, [("items/0/description", ""), ("items/1/description", "Desk")])
    with pytest.raises(ValidationFailed) as caught:
        validate_form(EVERY_WIDGET, sub.data)
    errors = merge_errors(sub.errors, caught.value.errors)
    assert errors["items/0/quantity"] == "this field is required"
    page = Page(render(build_fields(EVERY_WIDGET, "en", values=sub.raw, errors=errors)))
    assert page.one(id="f-items-0-description")["value"] == "Desk"
    assert page.one(id="f-items-0-quantity")["aria-invalid"] == "true"


def test_file_upload_is_stored_and_replaces_the_kept_id(parse):
    stored = []

    def store_file(path, upload):
        """Remember the call; give a new id."""
        stored.append((path, upload.filename, upload.read()))
        return f"new{len(stored)}"

    upload = FileStorage(io.BytesIO(b"%PDF"), filename="quote.pdf", name="evidence")
    sub = parse(EVERY_WIDGET, [("evidence", "old1")], files=MultiDict([("evidence", upload)]), store_file=store_file)
    assert stored == [("evidence", "quote.pdf", b"%PDF")]
    assert sub.data["evidence"] == "new1" and sub.raw["evidence"] == "new1"
    kept = parse(EVERY_WIDGET, [("evidence", "old1")], files=MultiDict([("evidence", FileStorage(filename=""))]),
                 store_file=store_file)
    assert kept.data["evidence"] == "old1" and len(stored) == 1


def test_refused_upload_is_an_error_on_its_field_and_keeps_the_old_id(parse):
    def store_file(path, upload):
        """Refuse every file."""
        raise ValidationFailed({"file": "files of this type are not accepted"})

    upload = FileStorage(io.BytesIO(b"MZ"), filename="virus.exe", name="evidence")
    sub = parse(EVERY_WIDGET, [("evidence", "old1")], files=MultiDict([("evidence", upload)]), store_file=store_file)
    assert sub.errors == {"evidence": "files of this type are not accepted"}
    assert sub.raw["evidence"] == "old1"
    nowhere = parse(EVERY_WIDGET, [], files=MultiDict([("evidence", upload)]))
    assert nowhere.errors == {"evidence": "files cannot be uploaded here"}


def test_file_lists_keep_ticked_ids_and_add_uploads(parse):
    uploads = MultiDict([("photos", FileStorage(io.BytesIO(b"1"), filename="a.jpg")),
                         ("photos", FileStorage(io.BytesIO(b"2"), filename="b.jpg"))])
    sub = parse(EVERY_WIDGET, [("photos", "old1")], files=uploads, store_file=lambda path, f: f"id-{f.filename}")
    assert sub.data["photos"] == ["old1", "id-a.jpg", "id-b.jpg"]


def test_files_in_rows_are_stored_under_the_row_path(parse):
    schema = {"type": "object", "properties": {"docs": {"type": "array", "items": {"type": "object", "properties": {
        "note": {"type": "string"}, "scan": {"type": "string", "x-widget": "file"}}}}}}
    paths = []
    files = MultiDict([("docs/4/scan", FileStorage(io.BytesIO(b"x"), filename="s.png"))])
    sub = parse(schema, [("docs/4/note", "")], files=files, store_file=lambda path, f: paths.append(path) or "id1")
    assert paths == ["docs/0/scan"] and sub.data == {"docs": [{"scan": "id1"}]}


# ---- rows without JavaScript -------------------------------------------------------------------------------------

def test_row_action_reads_the_pressed_button():
    assert row_action(MultiDict([("_add", "items")])) == ("add", "items")
    assert row_action(MultiDict([("_remove", "items/1")])) == ("remove", "items/1")
    assert row_action(MultiDict([("title", "x")])) is None


def test_add_row_without_javascript_keeps_every_value(parse, render):
    posted = [("title", "Chairs"), ("quantity", "12x"), ("items/0/description", "Chair"), ("items/0/quantity", "4"),
              ("items/1/description", ""), ("items/1/quantity", ""), ("_add", "items")]
    sub = parse(EVERY_WIDGET, posted)
    raw = apply_row_action(sub.raw, *row_action(MultiDict(posted)))
    page = Page(render(build_fields(EVERY_WIDGET, "en", values=raw, errors=sub.errors)))
    assert [e["value"] for e in page.find("input", type="text") if e.get("name", "").endswith("/description")] == [
        "Chair", "", ""]
    assert page.one(id="f-title")["value"] == "Chairs" and page.one(id="f-quantity")["value"] == "12x"
    assert page.one(id="f-items-2-quantity")


def test_remove_row_without_javascript_keeps_the_others(parse, render):
    posted = [("items/0/description", "A"), ("items/1/description", ""), ("items/2/description", "C"),
              ("suppliers/0", "X"), ("_remove", "items/1")]
    sub = parse(EVERY_WIDGET, posted)
    raw = apply_row_action(sub.raw, "_remove", "items/1")
    assert [row["description"] for row in raw["items"]] == ["A", "C"]
    assert raw["suppliers"] == ["X"]
    fields = by_path(build_fields(EVERY_WIDGET, "en", values=apply_row_action(sub.raw, "remove", "items/0")))
    assert (fields["items/0/description"].value, fields["items/1/description"].value) == ("", "C")


def test_row_actions_ignore_unknown_targets_and_create_missing_groups():
    raw = {"items": [{"description": "A"}]}
    assert apply_row_action(raw, "remove", "items/7") == raw
    assert apply_row_action(raw, "remove", "nope/0") == raw
    assert apply_row_action(raw, "explode", "items") == raw
    assert apply_row_action({}, "add", "suppliers") == {"suppliers": [None]}
    assert apply_row_action(raw, "add", "items") == {"items": [{"description": "A"}, None]}
    assert raw == {"items": [{"description": "A"}]}


# ---- helpers -----------------------------------------------------------------------------------------------------

def test_merge_errors_keeps_the_first_message_per_path():
    assert merge_errors({"a": "enter a number"}, None, {"a": "required", "b": "too long"}) == {
        "a": "enter a number", "b": "too long"}


def test_format_value_for_the_case_summary(app):
    props = EVERY_WIDGET["properties"]
    attachments = {"a1": {"filename": "quote.pdf", "size": 2048}}
    with app.test_request_context():
        assert format_value("approve", props["decision"], "zh-Hant") == "核准"
        assert format_value(1234567.5, props["amount"], "en") == "1,234,567.50"
        assert format_value(32000, props["amount"], "en") == "32,000"
        assert format_value(True, props["urgent"], "en") == "Yes"
        assert format_value(False, props["urgent"], "en") == "No"
        assert format_value(["vpn", "crm"], props["systems"], "en") == "VPN, CRM"
        assert format_value("a1", props["evidence"], "en", attachments) == "quote.pdf (2 KB)"
        assert format_value("ops.wang", props["owner"], "en", people=PEOPLE) == "Wang Mei-ling (ops.wang)"
        assert format_value("2026-03-01T01:30:00+00:00", props["meeting"], "en", tz=TAIPEI) == "2026-03-01 09:30"
        assert format_value(2026, props["quantity"], "en") == "2026"
        assert format_value(None, props["title"], "en") == ""
        rows = [{"description": "Desk", "quantity": 2}, {"description": "Chair", "quantity": 4, "unit_price": 1500}]
        assert format_value(rows, props["items"], "en") == (
            "Description: Desk; Quantity: 2\nDescription: Chair; Quantity: 4; Unit price: 1,500")


# ---- every form of every process package -------------------------------------------------------------------------

@pytest.mark.parametrize("path", FORMS, ids=[f"{p.parent.parent.name}/{p.stem}" for p in FORMS])
def test_every_package_form_renders_and_parses(path, render, parse):
    schema = load_form(path)
    for language in ("en", "zh-Hant"):
        fields = build_fields(schema, language, people=PEOPLE)
        page = Page(render(fields))
        ids = page.ids()
        assert len(ids) == len(set(ids)), path
        assert {c["id"] for c in page.elements if c["tag"] in ("input", "select", "textarea")
                and c.get("type") not in ("hidden", "submit")} <= {e["for"] for e in page.find("label")}
    empty = parse(schema, [])
    assert empty.errors == {} and set(empty.data) <= set(schema["properties"])
    untouched = parse(schema, page.submitted())
    assert untouched.errors == {}, path
    with pytest.raises(ValidationFailed) as caught:
        validate_form(schema, untouched.data)
    errors = merge_errors(untouched.errors, caught.value.errors)
    again = build_fields(schema, "en", values=untouched.raw, errors=errors, people=PEOPLE)
    assert [e.href for e in again.errors_list if e.href]  # every required field is reported and linked


def test_a_filled_purchase_request_validates(parse):
    schema = purchase_request()
    sub = parse(schema, [
        ("title", "New laptops"), ("justification", "Two new hires start in March."), ("category", "it"),
        ("needed_by", "2026-03-01"), ("items/0/description", "Laptop 14in"), ("items/0/quantity", "2"),
        ("items/0/unit", "pcs"), ("items/0/unit_price", "32,000"), ("items/1/description", ""),
        ("items/1/quantity", ""), ("items/1/unit", ""), ("items/1/unit_price", ""), ("suggested_suppliers/0", "")])
    assert sub.errors == {}
    data = validate_form(schema, sub.data)
    assert data["items"] == [{"description": "Laptop 14in", "quantity": 2, "unit": "pcs", "unit_price": 32000}]
    assert data["currency"] == "TWD" and "suggested_suppliers" not in data


def test_drafts_of_raw_values_render_again(parse):
    sub = parse(EVERY_WIDGET, [("urgent", "false"), ("urgent", "true"), ("systems", "crm"), ("score", "2")])
    fields = by_path(build_fields(EVERY_WIDGET, "en", values=sub.raw))
    assert fields["urgent"].checked
    assert [c.value for c in fields["systems"].choices if c.selected] == ["crm"]
    assert [c.value for c in fields["score"].choices if c.selected] == ["2"]
