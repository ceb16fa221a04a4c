"""Hostile text from users stays text on every page: instructions (and their error path), comments, file names,
case fields, saved filters; and sign-in's `next` never leads off the site."""
import io

import pytest

from tests.web.conftest import sign_in
from tests.webapp import demo_password, deploy_brittle_instructions, start_purchase

META = '<meta http-equiv="refresh" content="0;url=http://example.invalid/">'
LINK = "[sign in again](http://example.invalid/)"
SCRIPT = "<img src=x onerror=alert(1)><script>alert(1)</script>"


def no_markup_from(body, *hostile):
    """None of the hostile strings arrived as markup, and nothing links or refreshes to the attacker's site."""
    for text in hostile:
        assert "<" not in text or text not in body
    assert "<meta http-equiv" not in body and "<img src=x" not in body and "<script>alert" not in body
    assert 'href="http://example.invalid' not in body


@pytest.fixture
def brittle_instructions(runtime, tmp_path):
    """The minimal package whose approval instructions fail on this case data, quoting the requester's reason."""
    deploy_brittle_instructions(runtime, tmp_path)
    return runtime


@pytest.mark.parametrize("reason", [META, LINK, f"{META} {LINK}"])
def test_a_failing_instructions_render_shows_its_error_as_text(brittle_instructions, login, reason):
    runtime = brittle_instructions
    case_id = runtime.start("minimal", "sales.tseng", {"amount": 100, "reason": reason})
    task = runtime.case(case_id)["tasks"][0]
    body = login(task["assignee"]).get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "instructions could not be shown" in body
    no_markup_from(body, reason)
    if META in reason:
        assert "&lt;meta http-equiv=&quot;refresh&quot; content=&quot;0;url=http://example.invalid/&quot;&gt;" in body
    if LINK in reason:
        assert "[sign in again](http://example.invalid/)" in body  # shown as the characters typed


def test_case_data_in_instructions_never_becomes_a_link(runtime, login):
    case_id = start_purchase(runtime, title=f"Chairs {LINK}")
    task = runtime.case(case_id)["tasks"][0]
    body = login(task["assignee"]).get(f"/tasks/{task['id']}").get_data(as_text=True)
    no_markup_from(body, LINK)
    assert f"Chairs {LINK}" in body


def test_comments_are_shown_as_text(runtime, login):
    case_id = start_purchase(runtime)
    client = login("ops.lin")
    assert client.post(f"/cases/{case_id}/comments", data={"text": f"{SCRIPT} {META}"}).status_code == 302
    for reader in (client, login("ops.wang")):
        body = reader.get(f"/cases/{case_id}").get_data(as_text=True)
        no_markup_from(body, SCRIPT, META)
        assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_hostile_file_name_is_shown_as_text(runtime, login):
    case_id = start_purchase(runtime)
    client = login("ops.lin")
    name = "<svg onload=alert(1)>.txt"
    uploaded = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(b"quote"), name)},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert runtime.case(case_id, "ops.lin", "en")["attachments"][0]["filename"] == name
    assert "<svg onload" not in body and "&lt;svg onload=alert(1)&gt;.txt" in body


@pytest.mark.parametrize(("reader", "path"), [("assignee", "/inbox"), ("assignee", "/tasks/{task_id}"),
                                              ("ops.lin", "/requests"), ("ops.lin", "/cases/{case_id}")])
def test_case_fields_are_shown_as_text_on_every_page(runtime, login, reader, path):
    case_id = start_purchase(runtime, title=f"Chairs {SCRIPT}", justification=META)
    task = runtime.case(case_id)["tasks"][0]
    user = task["assignee"] if reader == "assignee" else reader
    body = login(user).get(path.format(case_id=case_id, task_id=task["id"])).get_data(as_text=True)
    no_markup_from(body, SCRIPT, META)
    assert "Chairs &lt;img src=x onerror=alert(1)&gt;" in body


def test_a_saved_filter_name_is_shown_as_text(login):
    client = login("ops.lin")
    assert client.post("/inbox/filters", data={"name": SCRIPT[:40], "query": "scope=mine"}).status_code == 302
    body = client.get("/inbox").get_data(as_text=True)
    no_markup_from(body, SCRIPT[:40])


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\\/evil.example/", "/\t/evil.example/", "\\\\evil.example",
                                    " //evil.example/", "https:evil.example", "/login?next=//evil.example"])
def test_next_with_browser_quirks_stays_on_the_site(client, target):
    response = client.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin"),
                                           "next": target})
    assert response.status_code == 302
    assert response.location.startswith("/") and not response.location.startswith("//")
    assert "\\" not in response.location and "\t" not in response.location
    again = client.get("/login", query_string={"next": target})  # already signed in: straight on
    assert again.location.startswith("/") and not again.location.startswith("//") and "\\" not in again.location


def test_a_signed_in_user_visiting_login_with_a_foreign_next_goes_to_the_inbox(client):
    sign_in(client, "ops.lin")
    assert client.get("/login?next=https://evil.example/").location == "/inbox"
