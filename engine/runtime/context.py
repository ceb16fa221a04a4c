"""What every runtime component shares: the database, the catalogue of versions, the workflow codec, the
instance cache, the clock, the settings and the outward seams (file store, notifier).

A component is built with the context and the other components it calls, by name; none reaches another
through the runtime facade (engine/runtime/service.py), which only wires them together.
"""
from engine.formrules import rule_names, today_in


class Context:
    """The collaborators of one runtime; swapping the clock swaps it for the catalogue and codec too."""

    def __init__(self, *, settings, db, catalog, codec, cache, clock, file_store=None, notifier=None):
        self.settings = settings
        self.db = db
        self.catalog = catalog
        self.codec = codec
        self.cache = cache
        self.file_store = file_store
        self.notifier = notifier
        self.clock = clock

    @property
    def clock(self):
        """The clock every command, timer and deployment reads."""
        return self._clock

    @clock.setter
    def clock(self, clock):
        """Swap the clock everywhere at once (scenarios give each run a fresh one)."""
        self._clock = self.catalog.clock = self.codec.clock = clock

    def rule_names(self, data, directory=None):
        """What a form's rules and choices see: the case data, `today` by the clock, organisation look-ups."""
        return rule_names(data, today_in(self.clock.now(), self.settings.timezone), directory)


class Component:
    """A part of the runtime: reads its collaborators from the shared context."""

    def __init__(self, ctx):
        self.ctx = ctx

    @property
    def db(self):
        """The database (units of work)."""
        return self.ctx.db

    @property
    def catalog(self):
        """Deployed versions and their parsed specs."""
        return self.ctx.catalog

    @property
    def clock(self):
        """The current clock (scenarios swap it)."""
        return self.ctx.clock

    @property
    def settings(self):
        """The engine's settings."""
        return self.ctx.settings

    @property
    def cache(self):
        """Deserialized workflows by case id and lock version."""
        return self.ctx.cache
