"""The JSON API with a personal API token: `Authorization: Bearer SECRET` is the caller, on /api/v1 only."""
from datetime import timedelta

import pytest

from engine.store.models import User
from tests.web.test_api import PROBLEM, purchases_for_procurement


def bearer(secret):
    """The Authorization header presenting `secret`."""
    return {"Authorization": f"Bearer {secret}"}


def assert_invalid_token(response):
    """A 401 problem with a Bearer challenge saying the token is invalid, and no cookie handed out."""
    assert (response.status_code, response.mimetype, response.location) == (401, PROBLEM, None)
    assert response.headers["WWW-Authenticate"] == "Bearer error=invalid_token"
    assert response.get_json(force=True)["code"] == "unauthenticated"
    assert "Set-Cookie" not in response.headers


def test_a_token_is_its_users_identity_on_the_api(runtime, client):
    [task] = purchases_for_procurement(runtime, ["Laptop stand"])
    secret = runtime.create_token("proc.lai", "script")["secret"]
    response = client.get("/api/v1/tasks", headers=bearer(secret))
    assert response.status_code == 200 and [t["id"] for t in response.get_json()["tasks"]] == [task]
    assert "Set-Cookie" not in response.headers
    # The token did not become a session: the next call without it is a stranger's.
    assert client.get("/api/v1/tasks").status_code == 401
    other = runtime.create_token("sales.lu", "script")["secret"]
    assert client.get("/api/v1/tasks", headers=bearer(other)).get_json()["tasks"] == []
    assert runtime.tokens("proc.lai")[0]["last_used_at"] == runtime.clock.now()


def test_without_any_caller_the_401_challenges_for_a_bearer_token(client):
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer opf_wrong", "Bearer ", "Basic cHJvYzpsYWk=", "opf_x", "Bearer"])
def test_a_wrong_token_is_401(runtime, client, header):
    runtime.create_token("proc.lai", "script")
    assert_invalid_token(client.get("/api/v1/tasks", headers={"Authorization": header}))


def test_an_expired_a_revoked_and_an_inactive_users_token_are_401(runtime, client, clock):
    expiring = runtime.create_token("proc.lai", "short", expires_at=clock.now() + timedelta(hours=1))["secret"]
    revoked = runtime.create_token("proc.lai", "revoked")
    inactive = runtime.create_token("sales.lu", "left")["secret"]
    runtime.revoke_token("proc.lai", revoked["token"]["id"])
    with runtime.db.write() as s:
        s.get(User, "sales.lu").active = False
    assert client.get("/api/v1/tasks", headers=bearer(expiring)).status_code == 200
    clock.advance(timedelta(hours=1))
    for secret in (expiring, revoked["secret"], inactive):
        assert_invalid_token(client.get("/api/v1/tasks", headers=bearer(secret)))


def test_a_bad_token_beside_a_valid_session_is_still_401(runtime, login):
    client = login("proc.lai")
    assert client.get("/api/v1/tasks").status_code == 200
    assert_invalid_token(client.get("/api/v1/tasks", headers=bearer("opf_wrong")))


def test_a_token_never_opens_an_html_page(runtime, client):
    secret = runtime.create_token("proc.lai", "script")["secret"]
    for path in ("/", "/inbox", "/requests", "/account/password", "/account/tokens"):
        response = client.get(path, headers=bearer(secret))
        assert response.status_code in (302, 404) and "/login" in (response.location or "/login"), path
    assert client.post("/account/tokens", headers=bearer(secret), data={"name": "x"}).status_code in (302, 400)
    assert runtime.tokens("proc.lai")[0]["last_used_at"] is None


def test_the_api_stays_get_only(runtime, client):
    secret = runtime.create_token("proc.lai", "script")["secret"]
    assert client.post("/api/v1/tasks", headers=bearer(secret)).status_code == 405
