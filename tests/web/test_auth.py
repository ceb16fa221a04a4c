"""Sign-in, sign-out, password change, CSRF, rate limits, cookies and security headers."""
import re

import pytest

from tests.web.conftest import sign_in
from tests.webapp import build_app, demo_password


def test_pages_need_sign_in_and_come_back_after_it(client):
    response = client.get("/inbox?scope=mine")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    page = client.get(response.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/inbox?scope=mine"' in page
    signed_in = client.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin"),
                                            "next": "/inbox?scope=mine"})
    assert signed_in.status_code == 302
    assert signed_in.location == "/inbox?scope=mine"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, target):
    response = client.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin"),
                                           "next": target})
    assert response.location == "/inbox"


@pytest.mark.parametrize(("username", "password"), [("ops.lin", "wrong-password"), ("nobody", "demo-nobody"),
                                                    ("ops.lin", "")])
def test_wrong_credentials_say_so_without_telling_which(client, username, password):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert ("Wrong username or password." in page) if password else ("Fill this in." in page)
    assert f'value="{username}"' in page  # the username typed is kept
    assert client.get("/inbox").status_code == 302


def test_inactive_user_cannot_sign_in(app, runtime):
    with runtime.db.write() as session:
        from engine.store.models import User

        session.get(User, "sales.lu").active = False
    response = app.test_client().post("/login", data={"username": "sales.lu", "password": demo_password("sales.lu")})
    assert response.status_code == 401


def test_deactivated_user_is_signed_out_on_the_next_request(app, runtime, login):
    client = login("sales.lu")
    assert client.get("/inbox").status_code == 200
    with runtime.db.write() as session:
        from engine.store.models import User

        session.get(User, "sales.lu").active = False
    assert client.get("/inbox").status_code == 302


def test_sign_out_ends_the_session(login):
    client = login("ops.lin")
    response = client.post("/logout")
    assert response.location == "/login"
    assert client.get("/inbox").status_code == 302


def test_change_password_checks_the_old_one_and_the_new_one(login, app):
    client = login("ops.lin")
    wrong = client.post("/account/password", data={"old_password": "nope", "new_password": "a-new-passphrase",
                                                  "confirm": "a-new-passphrase"})
    assert wrong.status_code == 422
    assert "is not your current password" in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"old_password": demo_password("ops.lin"), "new_password": "short",
                                                   "confirm": "short"})
    assert short.status_code == 422
    differ = client.post("/account/password", data={"old_password": demo_password("ops.lin"),
                                                    "new_password": "a-new-passphrase", "confirm": "another-one!!"})
    assert "The two new passwords differ." in differ.get_data(as_text=True)
    done = client.post("/account/password", data={"old_password": demo_password("ops.lin"),
                                                  "new_password": "a-new-passphrase", "confirm": "a-new-passphrase"})
    assert done.status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin")}).status_code == 401
    sign_in(fresh, "ops.lin", "a-new-passphrase")


def test_every_form_needs_a_csrf_token(prepared_db, tmp_path):
    import shutil

    shutil.copy(prepared_db, tmp_path / "csrf.db")
    app = build_app(tmp_path / "csrf.db", tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin")})
    assert refused.status_code == 400
    assert "This form has expired" in refused.get_data(as_text=True)
    sign_in(client, "ops.lin")
    page = client.get("/inbox").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 3
    assert client.post("/logout").status_code == 400
    assert client.post("/start/procurement", data={"title": "x"}).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    app.extensions["opsflow"].db.dispose()


def test_sign_in_is_rate_limited_per_username(prepared_db, tmp_path):
    import shutil

    shutil.copy(prepared_db, tmp_path / "limit.db")
    app = build_app(tmp_path / "limit.db", tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for _attempt in range(3):
        assert client.post("/login", data={"username": "ops.lin", "password": "guess"}).status_code == 401
    blocked = client.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin")},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    other = client.post("/login", data={"username": "ops.chen", "password": demo_password("ops.chen")},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302
    assert app.test_client().get("/login").status_code == 200  # reading the form is never limited
    app.extensions["opsflow"].db.dispose()


def test_session_cookie_is_httponly_lax_and_secure_over_https(app):
    client = app.test_client()
    plain = client.post("/login", data={"username": "ops.lin", "password": demo_password("ops.lin")})
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client().post("/login", base_url="https://localhost",
                                    data={"username": "ops.lin", "password": demo_password("ops.lin")})
    assert "Secure" in secure.headers["Set-Cookie"]
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_proxy_the_forwarded_scheme_counts(prepared_db, tmp_path):
    import shutil

    shutil.copy(prepared_db, tmp_path / "proxy.db")
    app = build_app(tmp_path / "proxy.db", tmp_path, PROXY_COUNT=1)
    response = app.test_client().post("/login", headers={"X-Forwarded-Proto": "https"},
                                      data={"username": "ops.lin", "password": demo_password("ops.lin")})
    assert "Secure" in response.headers["Set-Cookie"]
    app.extensions["opsflow"].db.dispose()


def test_security_headers_on_pages(login):
    response = login("ops.lin").get("/inbox")
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script(login):
    page = login("ops.lin").get("/start/procurement").get_data(as_text=True)
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert " onclick=" not in page and " style=" not in page
