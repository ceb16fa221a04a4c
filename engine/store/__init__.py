"""Persistence: SQLAlchemy models, the session scope (unit of work) and migrations."""
from engine.store.db import Database, migrate

__all__ = ["Database", "migrate"]
