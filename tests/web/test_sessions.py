"""Sessions end: sign-out and a password change end every earlier session of the user, on SQLite and PostgreSQL;
the current-password check is rate-limited like sign-in."""
import pytest

from tests.conftest import ORG_FILE
from tests.web.conftest import sign_in
from tests.webapp import build_app, demo_password

COOKIE = "opsflow_session"
NEW_PASSWORD = "a-new-passphrase"


@pytest.fixture
def any_db_app(db_url, tmp_path):
    """An app on each backend with the demo organisation loaded (no procedures: these pages need none)."""
    app = build_app(tmp_path / "unused.db", tmp_path, DATABASE_URL=db_url)
    runtime = app.extensions["opsflow"]
    runtime.init()
    runtime.load_org(ORG_FILE)
    yield app
    runtime.db.dispose()


def replay(app, cookie):
    """A new client presenting a copied session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, cookie)
    return client


def signed_in(client):
    """Whether the client's session still opens a signed-in page."""
    return client.get("/account/password").status_code == 200


def change_password(client, old, new=NEW_PASSWORD):
    """Post the password form."""
    return client.post("/account/password", data={"old_password": old, "new_password": new, "confirm": new})


def test_a_cookie_copied_before_sign_out_is_refused_after_it(any_db_app):
    client = sign_in(any_db_app.test_client(), "ops.lin")
    copied = client.get_cookie(COOKIE).value
    assert signed_in(replay(any_db_app, copied))
    assert client.post("/logout").location == "/login"
    replayed = replay(any_db_app, copied)
    assert replayed.get("/inbox").location.startswith("/login")
    assert not signed_in(replayed)
    assert signed_in(sign_in(any_db_app.test_client(), "ops.lin"))  # signing in again works


def test_signing_out_ends_the_users_sessions_elsewhere_and_nobody_elses(any_db_app):
    phone, laptop = (sign_in(any_db_app.test_client(), "ops.lin") for _ in range(2))
    colleague = sign_in(any_db_app.test_client(), "ops.chen")
    laptop.post("/logout")
    assert not signed_in(phone)
    assert signed_in(colleague)


def test_a_password_change_ends_other_sessions_and_keeps_this_one(any_db_app):
    changer, other = (sign_in(any_db_app.test_client(), "ops.lin") for _ in range(2))
    before = changer.get_cookie(COOKIE).value
    assert change_password(changer, demo_password("ops.lin")).status_code == 302
    assert signed_in(changer)
    assert not signed_in(other)
    assert not signed_in(replay(any_db_app, before))  # the changer's own earlier cookie ended too
    sign_in(other, "ops.lin", NEW_PASSWORD)
    assert signed_in(other) and signed_in(changer)


def test_a_wrong_current_password_changes_no_session(any_db_app):
    changer, other = (sign_in(any_db_app.test_client(), "ops.lin") for _ in range(2))
    assert change_password(changer, "not my password").status_code == 422
    assert signed_in(changer) and signed_in(other)


def test_the_current_password_check_is_rate_limited(prepared_db, tmp_path):
    import shutil

    shutil.copy(prepared_db, tmp_path / "limit.db")
    app = build_app(tmp_path / "limit.db", tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = sign_in(app.test_client(), "ops.lin", demo_password("ops.lin"))
    for _attempt in range(3):
        assert change_password(client, "a guess at it").status_code == 422
    blocked = change_password(client, demo_password("ops.lin"))
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # Another address does not reset the count of this account; another account has its own.
    moved = client.post("/account/password", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                        data={"old_password": "x", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert moved.status_code == 429
    colleague = sign_in(app.test_client(), "ops.chen")
    other_account = colleague.post("/account/password", environ_base={"REMOTE_ADDR": "10.0.0.10"},
                                   data={"old_password": "x", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert other_account.status_code == 422
    assert client.get("/account/password").status_code == 200  # reading the form is never limited
    app.extensions["opsflow"].db.dispose()
