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


def postgres_or_skip():
    """The PostgreSQL URL for tests; skipping is allowed on a laptop, never in CI."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail("CI=true but OPSFLOW_TEST_POSTGRES_URL is not set: PostgreSQL tests may not be skipped in CI")
    pytest.skip("PostgreSQL tests need OPSFLOW_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)")


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


@pytest.fixture
def clock():
    """A clock that moves only when the test says so."""
    return ManualClock()


def make_runtime(url, clock, **settings):
    """A migrated runtime with the demo organisation (cheap password hashing)."""
    runtime = Runtime(Settings(database_url=url, password_hash_cost=2**4, worker_poll_seconds=0.05, **settings),
                      clock=clock)
    runtime.init()
    runtime.load_org(ORG_FILE)
    return runtime


@pytest.fixture
def runtime(db_url, clock):
    """A runtime on each backend with the demo organisation loaded and nothing deployed."""
    rt = make_runtime(db_url, clock)
    yield rt
    rt.db.dispose()


@pytest.fixture
def unorganised_runtime(db_url, clock):
    """A migrated runtime on each backend before any organisation is loaded."""
    rt = Runtime(Settings(database_url=db_url, password_hash_cost=2**4), clock=clock)
    rt.init()
    yield rt
    rt.db.dispose()


@pytest.fixture
def procurement(runtime):
    """The runtime with processes/procurement deployed."""
    runtime.deploy([PROCESSES / "procurement"])
    return runtime
