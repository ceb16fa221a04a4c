"""A database held by another writer past the wait is "busy", never "someone got there first"."""
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from engine.errors import Busy, Conflict
from engine.store import Database
from tests.conftest import PACKAGES, fresh_postgres_schema, make_runtime, postgres_or_skip
from tests.test_runtime import CLAIM, approve

SHORT_WAIT = 0.2  # seconds a command waits for the held lock in these tests


@contextmanager
def held_write_lock(path):
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE) until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def sqlite_rt(tmp_path, clock):
    """A SQLite runtime that waits only SHORT_WAIT for a held lock, with the expense package."""
    runtime = make_runtime(f"sqlite:///{tmp_path / 'busy.db'}", clock, sqlite_busy_seconds=SHORT_WAIT)
    runtime.deploy([PACKAGES / "expense"])
    yield runtime
    runtime.db.dispose()


def test_a_held_sqlite_lock_makes_a_command_busy_not_a_conflict(sqlite_rt, tmp_path):
    with held_write_lock(tmp_path / "busy.db"), pytest.raises(Busy) as info:
        sqlite_rt.start("expense", "sales.tseng", CLAIM)
    assert not isinstance(info.value, Conflict) and info.value.code == "database_busy"
    assert str(info.value) == ("the database stayed busy with other changes for 0.2 s; nothing was saved, "
                               "try again in a moment")
    assert sqlite_rt.start("expense", "sales.tseng", CLAIM) == 1


def test_the_cli_says_busy_in_one_line(sqlite_rt, tmp_path):
    env = dict(os.environ, OPSFLOW_DATABASE_URL=sqlite_rt.db.url, OPSFLOW_SQLITE_BUSY_SECONDS=str(SHORT_WAIT))
    with held_write_lock(tmp_path / "busy.db"):
        done = subprocess.run([sys.executable, "-m", "webui.cli", "start", "expense", "--as", "sales.tseng", "--data",
                               json.dumps(CLAIM)], env=env, capture_output=True, text=True, timeout=120)
    code, out, err = done.returncode, done.stdout, done.stderr
    assert (code, out) == (1, "")
    assert err.splitlines() == ["error (database_busy): the database stayed busy with other changes for 0.2 s; "
                                "nothing was saved, try again in a moment"]


@pytest.mark.postgres
def test_a_postgres_lock_timeout_is_busy_too(clock):
    url, drop = fresh_postgres_schema(postgres_or_skip())
    runtime = make_runtime(url.replace("options=", "options=-clock_timeout%3D200%20"), clock)
    try:
        runtime.deploy([PACKAGES / "expense"])
        case = runtime.start("expense", "sales.tseng", CLAIM)
        holder = Database(url)
        with holder.engine.begin() as conn:
            conn.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case})
            with pytest.raises(Busy, match="stayed busy with other changes; nothing was saved"):
                approve(runtime, case)
        holder.dispose()
        approve(runtime, case)
    finally:
        runtime.db.dispose()
        drop()
