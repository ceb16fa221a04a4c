"""What every runtime component shares: the database, the catalogue of versions, the workflow codec, the
workflow cache, the clock, the settings and the outward seams (file store, notifier).

A component is built with the context and the other components it calls, by name; none reaches another
through the runtime facade (engine/runtime/service.py), which only wires them together.
"""
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.clock import Clock
from engine.config import Settings
from engine.filestore import FileStore
from engine.formrules import OrgLookups, rule_names, today_in
from engine.store import Database

if TYPE_CHECKING:  # these modules build on this one; mypy alone needs their names here
    from engine.notify import Notifier
    from engine.runtime.case import WorkflowCache
    from engine.runtime.catalog import Catalog
    from engine.runtime.spiff import WorkflowCodec


class Context:
    """The collaborators of one runtime; swapping the clock swaps it for the catalogue and codec too."""

    def __init__(self, *, settings: Settings, db: Database, catalog: "Catalog", codec: "WorkflowCodec",
                 cache: "WorkflowCache", clock: Clock, file_store: FileStore, notifier: "Notifier") -> None:
        self.settings = settings
        self.db = db
        self.catalog = catalog
        self.codec = codec
        self.cache = cache
        self.file_store = file_store
        self.notifier = notifier
        self.clock = clock

    @property
    def clock(self) -> Clock:
        """The clock every command, timer and deployment reads."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        """Swap the clock everywhere at once (scenarios give each run a fresh one)."""
        self._clock = self.catalog.clock = self.codec.clock = clock

    def rule_names(self, data: Mapping[str, Any], directory: OrgLookups | None = None) -> dict[str, Any]:
        """What a form's rules and choices see: the case data, `today` by the clock, organisation look-ups."""
        return rule_names(data, today_in(self.clock.now(), self.settings.timezone), directory)


class Component:
    """A part of the runtime: reads its collaborators from the shared context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def db(self) -> Database:
        """The database (units of work)."""
        return self.ctx.db

    @property
    def catalog(self) -> "Catalog":
        """Deployed versions and their parsed specs."""
        return self.ctx.catalog

    @property
    def clock(self) -> Clock:
        """The current clock (scenarios swap it)."""
        return self.ctx.clock

    @property
    def settings(self) -> Settings:
        """The engine's settings."""
        return self.ctx.settings

    @property
    def cache(self) -> "WorkflowCache":
        """Deserialized workflows by case id and lock version."""
        return self.ctx.cache
