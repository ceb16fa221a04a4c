"""The schema: Alembic migrations produce exactly the models, and timestamps come back in UTC."""
from datetime import UTC

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.store.models import Base
from tests.conftest import PACKAGES
from tests.test_runtime import CLAIM


def test_migrations_match_the_models(runtime):
    with runtime.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_migrating_twice_changes_nothing(runtime):
    runtime.init()
    assert runtime.users()


def test_timestamps_are_utc_on_every_backend(runtime):
    runtime.deploy([PACKAGES / "expense"])
    case = runtime.start("expense", "sales.tseng", CLAIM)
    started = runtime.case(case)["started_at"]
    assert started.tzinfo is not None and started.utcoffset() == UTC.utcoffset(None)
    assert started == runtime.clock.now()
