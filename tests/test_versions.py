"""Choosing the version new cases start on: deploy activates new content, `activate` rolls back or forward."""
import pytest
from sqlalchemy import select, text

from engine.errors import NotFound
from engine.store import Database, migrate
from engine.store.models import Activation
from tests.conftest import PACKAGES, edition
from tests.test_cli import cli as cli_fixture
from tests.test_cli import ok
from tests.test_runtime import CLAIM, approve

cli = cli_fixture  # `opsflow` in a subprocess on a fresh SQLite file


@pytest.fixture
def two_versions(runtime, tmp_path):
    """The expense procedure deployed twice (versions 1 and 2) by ops.wang; version 2 is active."""
    runtime.deploy([PACKAGES / "expense"], actor="ops.wang")
    runtime.deploy([edition(PACKAGES / "expense", tmp_path / "expense2", 2)], actor="ops.wang")
    return runtime


def _version_of(runtime, case):
    """The version number a case runs on."""
    return runtime.case(case)["version"]


def test_new_content_becomes_the_version_new_cases_start_on(two_versions):
    case = two_versions.start("expense", "sales.tseng", CLAIM)
    assert _version_of(two_versions, case) == 2
    assert [(v["version"], v["active"]) for v in two_versions.versions("expense")] == [(2, True), (1, False)]


def test_activating_an_older_version_starts_new_cases_on_it_and_keeps_running_ones(two_versions):
    running = two_versions.start("expense", "sales.tseng", CLAIM)
    result = two_versions.activate("expense", 1, actor="ops.wang")
    assert result == {"key": "expense", "version": 1, "was": 2, "changed": True}
    rolled_back = two_versions.start("expense", "sales.tseng", CLAIM)
    assert _version_of(two_versions, rolled_back) == 1
    approve(two_versions, running)
    assert _version_of(two_versions, running) == 2 and "approve" in two_versions.case(running)["path"]
    assert [d["version"] for d in two_versions.definitions() if d["key"] == "expense"] == [1]
    assert [(v["version"], v["active"]) for v in two_versions.versions("expense")] == [(2, False), (1, True)]


def test_each_activation_is_recorded_with_who_and_when(two_versions):
    two_versions.activate("expense", 1, actor="ops.wang")
    two_versions.activate("expense", 1, actor="ops.chen")
    with two_versions.db.read() as session:
        rows = session.execute(select(Activation.activated_by, Activation.activated_at)
                               .where(Activation.process_key == "expense").order_by(Activation.id)).all()
    assert [who for who, _ in rows] == ["ops.wang", "ops.wang", "ops.wang"]
    assert all(at == two_versions.clock.now() for _, at in rows)


def test_redeploying_an_older_versions_content_names_it_and_changes_nothing(two_versions):
    [result] = two_versions.deploy([PACKAGES / "expense"])
    assert (result["version"], result["created"], result["active"], result["active_version"]) == (1, False, False, 2)
    assert _version_of(two_versions, two_versions.start("expense", "sales.tseng", CLAIM)) == 2


def test_activating_a_version_that_does_not_exist_is_refused(two_versions):
    with pytest.raises(NotFound, match="has no version 3; `opsflow versions expense` lists them"):
        two_versions.activate("expense", 3)
    with pytest.raises(NotFound, match="no procedure 'nothing'"):
        two_versions.versions("nothing")


def test_a_scheduled_start_follows_the_activated_version(runtime, tmp_path):
    runtime.deploy([PACKAGES / "quarterly"])
    runtime.deploy([edition(PACKAGES / "quarterly", tmp_path / "quarterly2", 2)])
    runtime.activate("quarterly", 1)
    with runtime.db.read() as session:
        pending = session.execute(text("SELECT count(*) FROM timers WHERE kind = 'start' AND fired_at IS NULL"))
        assert pending.scalar() == 1
    runtime.clock.advance(runtime.next_timer_due() - runtime.clock.now())
    assert runtime.fire_due_timers() == 1
    with runtime.db.read() as session:
        case = session.execute(text("SELECT id FROM cases")).scalar()
    assert _version_of(runtime, case) == 1


def test_an_existing_database_keeps_starting_cases_on_each_procedures_newest_version(db_url):
    database = Database(db_url)
    migrate(database, "0004")
    with database.engine.begin() as conn:
        for number, key in ((1, "expense"), (2, "expense"), (1, "minimal")):
            conn.execute(text("INSERT INTO definitions (key, version, content_hash, process_id, manifest, deployed_at, "
                              "deployed_by) VALUES (:key, :number, :hash, :key, '{}', '2026-01-05 09:00:00+00:00', "
                              "'ops.wang')"), {"key": key, "number": number, "hash": f"{key}{number}"})
    migrate(database)
    with database.engine.connect() as conn:
        active = conn.execute(text("SELECT a.process_key, d.version, a.activated_by FROM activations a JOIN "
                                   "definitions d ON d.id = a.definition_id ORDER BY a.process_key")).all()
    assert active == [("expense", 2, "ops.wang"), ("minimal", 1, "ops.wang")]
    database.dispose()


def test_the_cli_rolls_back_lists_versions_and_says_how_to_activate_old_content(cli, tmp_path):
    ok(cli("init"))
    ok(cli("org", "load", PACKAGES.parent.parent / "processes" / "org.yaml"))
    ok(cli("deploy", PACKAGES / "expense"))
    assert "expense: version 2 deployed" in ok(cli("deploy", edition(PACKAGES / "expense", tmp_path / "e2", 2)))
    out = ok(cli("deploy", PACKAGES / "expense"))
    assert out.strip() == ("expense: matches version 1, but new cases start on version 2; "
                           "`opsflow activate expense 1` starts them on version 1")
    assert ok(cli("activate", "expense", "1", "--by", "ops.wang")).strip() == \
        "expense: new cases start on version 1 (was version 2)"
    assert "already" in ok(cli("activate", "expense", "1"))
    lines = ok(cli("versions", "expense")).splitlines()
    assert [line.split()[:2] for line in lines] == [["v2", "deployed"], ["v1", "active"]]
    code, out, err = cli("activate", "expense", "7")
    assert code == 1 and out == "" and err.strip() == ("error (not_found): procedure 'expense' has no version 7; "
                                                        "`opsflow versions expense` lists them")
