"""The API tokens page: the signed-in user makes a token (its secret shown once), lists and revokes their own."""
import re
import shutil

from tests.web.conftest import sign_in
from tests.webapp import build_app

SECRET = re.compile(r'value="(opf_[A-Za-z0-9_-]+)"')


def test_a_new_tokens_secret_is_shown_once_and_the_list_never_shows_it(runtime, login):
    client = login("proc.lai")
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "You have no API tokens." in page.get_data(as_text=True)
    made = client.post("/account/tokens", data={"name": "report script", "expires_in_days": "30"})
    text = made.get_data(as_text=True)
    secret = SECRET.search(text).group(1)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert "it is shown only this once" in text and "report script" in text
    [token] = runtime.tokens("proc.lai")
    assert (token["expires_at"] - token["created_at"]).days == 30
    listed = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listed and token["prefix"] + "…" in listed and "report script" in listed
    assert ">never</td>" not in listed and ">not yet</td>" in listed
    assert runtime.user_for_token(secret) == "proc.lai"
    listed = client.get("/account/tokens").get_data(as_text=True)
    assert ">not yet</td>" not in listed and ">5 Jan 2026, 17:00</td>" in listed


def test_a_token_without_expiry_and_bad_input(runtime, login):
    client = login("proc.lai")
    assert client.post("/account/tokens", data={"name": "forever"}).status_code == 200
    assert runtime.tokens("proc.lai")[0]["expires_at"] is None
    assert ">never</td>" in client.get("/account/tokens").get_data(as_text=True)
    for data in ({"name": ""}, {"name": "x" * 101}, {"name": "ok", "expires_in_days": "0"},
                 {"name": "ok", "expires_in_days": "soon"}):
        response = client.post("/account/tokens", data=data)
        assert response.status_code == 422 and not SECRET.search(response.get_data(as_text=True)), data
    assert len(runtime.tokens("proc.lai")) == 1


def test_revoking_ones_own_token_and_nobody_elses(runtime, login):
    mine = runtime.create_token("proc.lai", "mine")
    theirs = runtime.create_token("sales.lu", "theirs")
    client = login("proc.lai")
    assert client.post(f"/account/tokens/{theirs['token']['id']}/revoke").status_code == 404
    assert runtime.user_for_token(theirs["secret"]) == "sales.lu"
    response = client.post(f"/account/tokens/{mine['token']['id']}/revoke")
    assert response.status_code == 302 and response.location.endswith("/account/tokens")
    assert runtime.user_for_token(mine["secret"]) is None and runtime.tokens("proc.lai") == []
    assert "The token is revoked." in client.get("/account/tokens").get_data(as_text=True)


def test_the_page_needs_a_session_and_its_forms_a_csrf_token(prepared_db, tmp_path):
    shutil.copy(prepared_db, tmp_path / "csrf.db")
    app = build_app(tmp_path / "csrf.db", tmp_path, WTF_CSRF_ENABLED=True)
    runtime = app.extensions["opsflow"]
    try:
        assert app.test_client().get("/account/tokens").status_code == 302
        client = sign_in(app.test_client(), "proc.lai")
        mine = runtime.create_token("proc.lai", "mine")
        assert client.post("/account/tokens", data={"name": "no csrf"}).status_code == 400
        assert client.post(f"/account/tokens/{mine['token']['id']}/revoke").status_code == 400
        assert [t["name"] for t in runtime.tokens("proc.lai")] == ["mine"]
        page = client.get("/account/tokens").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        revoked = client.post(f"/account/tokens/{mine['token']['id']}/revoke", data={"csrf_token": csrf})
        assert revoked.status_code == 302
        assert SECRET.search(client.post("/account/tokens", data={"name": "ok", "csrf_token": csrf})
                             .get_data(as_text=True))
    finally:
        runtime.db.dispose()


def test_the_page_reads_in_chinese(runtime, login):
    client = login("proc.lai")
    client.set_cookie("opsflow_lang", "zh_Hant")
    runtime.create_token("proc.lai", "腳本")
    text = client.get("/account/tokens").get_data(as_text=True)
    assert "API 權杖" in text and "腳本" in text and "撤銷" in text
