"""Shared fixtures: a runtime on SQLite and on PostgreSQL, a manual clock, the demo organisation."""
import os
from pathlib import Path

import pytest

from engine.clock import ManualClock
from engine.config import Settings
from engine.runtime.service import Runtime
from engine.store.db import private_schema

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
ORG_FILE = PROCESSES / "org.yaml"
PACKAGES = Path(__file__).resolve().parent / "packages"
POSTGRES_URL = os.environ.get("OPSFLOW_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("OPSFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_or_skip():
    """The PostgreSQL URL for tests; skipping is allowed on a laptop, never in CI."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail("CI=true but OPSFLOW_TEST_POSTGRES_URL is not set: PostgreSQL tests may not be skipped in CI")
    pytest.skip("PostgreSQL tests need OPSFLOW_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)")


def redis_or_skip():
    """The Redis URL for tests once it answers a PING; skipping is allowed on a laptop, never in CI."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {REDIS_URL} does not answer ({exc}): Redis tests may not be skipped")
        pytest.skip(f"Redis tests need a Redis server at OPSFLOW_TEST_REDIS_URL ({REDIS_URL}): {exc}")
    return REDIS_URL


def fresh_postgres_schema(base_url):
    """A private schema for one test or module: (url, drop)."""
    return private_schema(base_url, "t")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A database URL per backend: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'opsflow.db'}"
        return
    url, drop = fresh_postgres_schema(postgres_or_skip())
    yield url
    drop()


def edition(source, folder, number):
    """A copy of the package at `source` in `folder` whose content differs per `number`: a new version to deploy."""
    for path in source.rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    manifest = folder / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + f"\n# edition {number}\n", encoding="utf-8")
    return folder


@pytest.fixture
def clock():
    """A clock that moves only when the test says so."""
    return ManualClock()


def make_runtime(url, clock, file_store=None, **settings):
    """A migrated runtime with the demo organisation (cheap password hashing); uploads in `file_store` if given."""
    runtime = Runtime(Settings(database_url=url, password_hash_cost=2**4, worker_poll_seconds=0.05, **settings),
                      clock=clock, file_store=file_store)
    runtime.init()
    runtime.load_org(ORG_FILE)
    return runtime


@pytest.fixture
def runtime(db_url, clock):
    """A runtime on each backend with the demo organisation loaded and nothing deployed."""
    runtime = make_runtime(db_url, clock)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def unorganised_runtime(db_url, clock):
    """A migrated runtime on each backend before any organisation is loaded."""
    runtime = Runtime(Settings(database_url=db_url, password_hash_cost=2**4), clock=clock)
    runtime.init()
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def procurement(runtime):
    """The runtime with processes/procurement deployed."""
    runtime.deploy([PROCESSES / "procurement"])
    return runtime


def pytest_collection_modifyitems(config, items):
    """Leave the long probes out unless `-m` names them (`pytest -m long`): CI runs their short variants."""
    if "long" in (config.option.markexpr or ""):
        return
    long = [item for item in items if item.get_closest_marker("long")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("long")]


# How to run what a plain `make test` skips, by a word of the skip reason.
HOW_TO_ENABLE = {
    "OPSFLOW_TEST_POSTGRES_URL": "set OPSFLOW_TEST_POSTGRES_URL to a PostgreSQL database the tests may add schemas to",
    "OPSFLOW_TEST_REDIS_URL": "start Redis on 127.0.0.1:6379 or set OPSFLOW_TEST_REDIS_URL to one the tests may use",
    "chromium": "install Chromium as /usr/bin/chromium (Debian: apt-get install chromium)",
}


def skip_groups(reports):
    """One line per distinct skip reason: how many tests it skipped, why, and how to run them."""
    counts = {}
    for report in reports:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        counts[reason] = counts.get(reason, 0) + 1
    lines = []
    for reason, count in sorted(counts.items(), key=lambda item: -item[1]):
        hints = [hint for word, hint in HOW_TO_ENABLE.items() if word.lower() in reason.lower()]
        lines.append(f"{count} skipped: {reason}" + (f" -> to run them, {hints[0]}" if hints else ""))
    return lines



def pytest_terminal_summary(terminalreporter):
    """After the run, say what was skipped in groups, so a missing database or browser is not missed."""
    lines = skip_groups(terminalreporter.stats.get("skipped", []))
    if lines:
        terminalreporter.write_sep("-", "skipped groups")
        for line in lines:
            terminalreporter.write_line(line)
