"""Personal API tokens: made, listed and revoked by their owner; a presented secret maps to its active user."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import NotFound, ValidationFailed
from engine.runtime.tokens import token_hash
from engine.store.models import ApiToken, User
from tests.conftest import ORG_FILE


def stored(runtime):
    """Every api_tokens row, oldest first."""
    with runtime.db.read() as s:
        return s.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def test_a_token_is_shown_once_and_stored_only_as_its_hash(runtime):
    made = runtime.create_token("sales.tseng", "  build server  ")
    secret, token = made["secret"], made["token"]
    assert secret.startswith("opf_") and len(secret) >= 4 + 43
    assert token["name"] == "build server" and token["prefix"] == secret[:12] and not token["expired"]
    [row] = stored(runtime)
    assert row.token_hash == token_hash(secret) != secret
    assert secret not in repr(vars(row)) and secret not in str(runtime.tokens("sales.tseng"))
    assert runtime.user_for_token(secret) == "sales.tseng"
    assert runtime.create_token("sales.tseng", "other")["secret"] != secret


def test_the_list_is_the_owners_unrevoked_tokens_newest_first(runtime):
    first = runtime.create_token("sales.tseng", "one")["token"]
    second = runtime.create_token("sales.tseng", "two")["token"]
    runtime.create_token("sales.lu", "someone else's")
    assert [t["id"] for t in runtime.tokens("sales.tseng")] == [second["id"], first["id"]]
    assert set(runtime.tokens("sales.tseng")[0]) == {"id", "name", "prefix", "created_at", "expires_at",
                                                      "last_used_at", "expired"}
    runtime.revoke_token("sales.tseng", first["id"])
    assert [t["id"] for t in runtime.tokens("sales.tseng")] == [second["id"]]


@pytest.mark.parametrize("name", ["", "   ", None, 7, "x" * 101])
def test_a_token_needs_a_name_of_at_most_100_characters(runtime, name):
    with pytest.raises(ValidationFailed) as caught:
        runtime.create_token("sales.tseng", name)
    assert caught.value.errors["name"].code == "name_length" and not stored(runtime)


def test_an_expiry_must_be_in_the_future(runtime, clock):
    for moment in (clock.now(), clock.now() - timedelta(days=1)):
        with pytest.raises(ValidationFailed) as caught:
            runtime.create_token("sales.tseng", "ci", expires_at=moment)
        assert caught.value.errors["expires_at"].code == "expiry_not_future"
    assert not stored(runtime)


def test_only_an_active_user_gets_a_token(runtime):
    with pytest.raises(NotFound):
        runtime.create_token("nobody", "ci")
    with runtime.db.write() as s:
        s.get(User, "sales.lu").active = False
    with pytest.raises(NotFound):
        runtime.create_token("sales.lu", "ci")


def test_an_expired_token_opens_nothing(runtime, clock):
    secret = runtime.create_token("sales.tseng", "ci", expires_at=clock.now() + timedelta(days=1))["secret"]
    assert runtime.user_for_token(secret) == "sales.tseng"
    clock.advance(timedelta(days=1))
    assert runtime.user_for_token(secret) is None
    assert runtime.tokens("sales.tseng")[0]["expired"]


def test_a_revoked_token_opens_nothing_and_only_its_owner_revokes_it(runtime):
    made = runtime.create_token("sales.tseng", "ci")
    for user, token_id in (("sales.lu", made["token"]["id"]), ("sales.tseng", 999), ("sales.tseng", "x"),
                           ("sales.tseng", 2**40)):
        with pytest.raises(NotFound) as caught:
            runtime.revoke_token(user, token_id)
        assert caught.value.code == "no_api_token"
    assert runtime.user_for_token(made["secret"]) == "sales.tseng"
    runtime.revoke_token("sales.tseng", str(made["token"]["id"]))
    assert runtime.user_for_token(made["secret"]) is None
    with pytest.raises(NotFound):
        runtime.revoke_token("sales.tseng", made["token"]["id"])


@pytest.mark.parametrize("presented", [None, "", "opf_", "opf_wrong", "Bearer x", "opf_" + "a" * 200, 42])
def test_anything_but_a_known_secret_is_nobody(runtime, presented):
    runtime.create_token("sales.tseng", "ci")
    assert runtime.user_for_token(presented) is None


def test_a_deactivated_users_token_opens_nothing_and_an_org_reload_keeps_tokens(runtime):
    secret = runtime.create_token("sales.tseng", "ci")["secret"]
    runtime.load_org(ORG_FILE)
    assert runtime.user_for_token(secret) == "sales.tseng"
    with runtime.db.write() as s:
        s.get(User, "sales.tseng").active = False
    assert runtime.user_for_token(secret) is None


def test_the_last_use_is_written_at_most_once_a_minute(runtime, clock):
    secret = runtime.create_token("sales.tseng", "ci")["secret"]
    assert runtime.tokens("sales.tseng")[0]["last_used_at"] is None
    first = clock.now()
    runtime.user_for_token(secret)
    clock.advance(timedelta(seconds=59))
    runtime.user_for_token(secret)
    assert runtime.tokens("sales.tseng")[0]["last_used_at"] == first
    clock.advance(timedelta(seconds=1))
    runtime.user_for_token(secret)
    assert runtime.tokens("sales.tseng")[0]["last_used_at"] == first + timedelta(seconds=60)
