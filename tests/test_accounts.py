"""Sign-in, the signed-in user's account and password changes."""
import pytest

from engine.errors import NotFound, ValidationFailed
from engine.runtime import accounts
from engine.store.models import User

TSENG = {"username": "sales.tseng", "name": "Tseng Kuan-ting", "email": "sales.tseng@example.com",
         "department": "sales", "roles": ["employee", "sales"], "language": None,
         "session_generation": 0}


def deactivate(runtime, username):
    """Mark a user inactive."""
    with runtime.db.write() as s:
        s.get(User, username).active = False


@pytest.fixture
def hashes(monkeypatch):
    """Count password verifications (each one is a full scrypt hash)."""
    calls = []
    real = accounts.verify_password

    def counting(password, stored):
        """Record the hash checked against, then check it."""
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return calls


def test_the_right_password_signs_in(runtime):
    assert runtime.authenticate("sales.tseng", "demo-sales-tseng") == TSENG
    assert runtime.authenticate("it.wu", "demo-it-wu")["roles"] == ["admin", "employee", "it"]


@pytest.mark.parametrize("username,password", [
    ("sales.tseng", "demo-sales-lu"), ("sales.tseng", ""), ("sales.tseng", None), ("nobody", "demo-sales-tseng"),
    ("", "x"), (None, "demo-sales-tseng"), ("SALES.TSENG", "demo-sales-tseng"),
])
def test_anything_else_gets_the_same_none_after_one_hash(runtime, hashes, username, password):
    assert runtime.authenticate(username, password) is None
    assert len(hashes) == 1 and hashes[0].startswith("scrypt$")


def test_inactive_users_neither_sign_in_nor_load(runtime, hashes):
    deactivate(runtime, "sales.tseng")
    assert runtime.authenticate("sales.tseng", "demo-sales-tseng") is None
    assert len(hashes) == 1
    assert runtime.account("sales.tseng") is None


def test_unknown_users_are_hashed_at_the_configured_cost(runtime, hashes):
    runtime.authenticate("nobody", "guess")
    runtime.authenticate("nobody-else", "guess")
    assert hashes[0] == hashes[1] and hashes[0].split("$")[1] == str(runtime.settings.password_hash_cost)


def test_account_loads_the_user_without_a_password(runtime):
    assert runtime.account("sales.tseng") == TSENG
    assert runtime.account("nobody") is None and runtime.account(None) is None


def test_changing_the_password(runtime):
    changed = runtime.change_password("sales.tseng", "demo-sales-tseng", "a much longer secret")
    assert changed == dict(TSENG, session_generation=1)  # every earlier session of the user ends
    assert runtime.authenticate("sales.tseng", "demo-sales-tseng") is None
    assert runtime.authenticate("sales.tseng", "a much longer secret") == changed
    with runtime.db.read() as s:
        assert s.get(User, "sales.tseng").password_hash.split("$")[1] == str(runtime.settings.password_hash_cost)


@pytest.mark.parametrize("old,new,errors", [
    ("wrong", "a much longer secret", {"old_password": "is not your current password"}),
    (None, "a much longer secret", {"old_password": "is not your current password"}),
    ("demo-sales-tseng", "short", {"new_password": "must be 10 to 200 characters"}),
    ("demo-sales-tseng", "x" * 201, {"new_password": "must be 10 to 200 characters"}),
    ("demo-sales-tseng", None, {"new_password": "must be 10 to 200 characters"}),
    ("demo-sales-tseng", "demo-sales-tseng", {"new_password": "must differ from your current password"}),
])
def test_password_changes_are_checked(runtime, old, new, errors):
    with pytest.raises(ValidationFailed) as info:
        runtime.change_password("sales.tseng", old, new)
    assert info.value.errors == errors
    assert runtime.authenticate("sales.tseng", "demo-sales-tseng") == TSENG


def test_unknown_and_inactive_users_cannot_change_a_password(runtime):
    with pytest.raises(NotFound):
        runtime.change_password("nobody", "x", "a much longer secret")
    deactivate(runtime, "sales.lu")
    with pytest.raises(NotFound):
        runtime.change_password("sales.lu", "demo-sales-lu", "a much longer secret")


def test_a_sign_in_rehashes_a_password_stored_at_another_cost(runtime):
    def stored():
        """The stored hash of sales.tseng."""
        with runtime.db.read() as s:
            return s.get(User, "sales.tseng").password_hash

    assert stored().split("$")[1] == "16"
    runtime.settings.password_hash_cost = 2**5
    assert runtime.authenticate("sales.tseng", "wrong password") is None
    assert stored().split("$")[1] == "16"  # only a right password is stored again
    assert runtime.authenticate("sales.tseng", "demo-sales-tseng") == TSENG
    assert stored().split("$")[1] == "32"
    assert runtime.authenticate("sales.tseng", "demo-sales-tseng") == TSENG


def generation(runtime, username):
    """The user's session generation as the web's user loader reads it."""
    return runtime.account(username)["session_generation"]


def test_ending_sessions_raises_only_that_users_generation(runtime):
    runtime.end_sessions("sales.tseng")
    runtime.end_sessions("sales.tseng")
    assert generation(runtime, "sales.tseng") == 2 and generation(runtime, "sales.lu") == 0


def test_reloading_the_organisation_keeps_generations_unless_it_replaces_a_password(runtime):
    from tests.conftest import ORG_FILE

    runtime.end_sessions("sales.tseng")
    runtime.change_password("sales.lu", "demo-sales-lu", "a much longer secret")
    runtime.load_org(ORG_FILE)
    # sales.tseng's earlier sessions stay ended; sales.lu's password went back to the file's, so sessions end.
    assert generation(runtime, "sales.tseng") == 1 and generation(runtime, "sales.lu") == 2
    assert generation(runtime, "ops.lin") == 0
