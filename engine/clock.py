"""The engine's only source of 'now', so tests move time instead of sleeping."""
from datetime import UTC, datetime, timedelta
from typing import Protocol


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move (tests, scenarios, benchmarks)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the clock's current time."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by a timedelta."""
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward")
        self._now += delta
        return self._now


class Clock(Protocol):
    """What the engine asks of a clock (SystemClock, ManualClock): the time now, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
