"""Worker heartbeats and outages: each timer worker records its last successful poll in the database,
so /healthz on any machine sees whether timers still fire; an outage is logged once when it starts and
once when it ends."""
import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.clock import Clock
from engine.errors import Busy, Conflict
from engine.runtime.results import Health, WorkerHealth
from engine.store import Database
from engine.store.db import driver_reason
from engine.store.models import WorkerHeartbeat

# What a lost or refused connection raises: psycopg's and sqlite3's OperationalError/InterfaceError
# arrive wrapped in DBAPIError subclasses; the pool raises its own two.
DATABASE_ERRORS = (DBAPIError, DisconnectionError, PoolTimeout)
FORGET_AFTER = timedelta(days=7)  # rows of workers silent this long are deleted when another one starts
log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """One line naming a database error: its kind and the driver's first line, without SQL or links."""
    return f"{type(exc).__name__}: {driver_reason(exc)}"[:300]


class Heartbeat:
    """The row of one running worker: created on its first successful poll, updated on every other."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self.id = uuid.uuid4().hex
        # (text, when) of the last outage, written with the next successful beat
        self.error: tuple[str, datetime] | None = None

    def beat(self) -> None:
        """Record a successful poll; a busy database only delays the record to the next poll."""
        now = self.clock.now()
        values: dict[str, object] = {"last_poll_at": now}
        if self.error:
            values.update(last_error=self.error[0], last_error_at=self.error[1])
        try:
            with self.db.write() as session:
                done = cast(CursorResult[Any], session.execute(
                    update(WorkerHeartbeat).where(WorkerHeartbeat.id == self.id).values(**values)
                    .execution_options(synchronize_session=False)))
                if done.rowcount == 0:
                    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_poll_at < now - FORGET_AFTER))
                    session.add(WorkerHeartbeat(id=self.id, host=socket.gethostname()[:255], pid=os.getpid(),
                                                started_at=now, **values))
        except (Busy, Conflict):
            return
        self.error = None

    def failed(self, exc: BaseException) -> None:
        """Remember an outage's error for the next successful beat (the database cannot take it now)."""
        self.error = (describe(exc)[:500], self.clock.now())


class Outage:
    """A run of failed polls: one log line when it starts, one when it ends, and a doubling wait between."""

    def __init__(self, first_wait: float, longest_wait: float) -> None:
        self.first_wait, self.longest_wait = first_wait, longest_wait
        self.failures, self.since = 0, 0.0  # since: when the running outage began (time.monotonic)

    def failed(self, exc: BaseException) -> float:
        """Count a failed poll (logging only the first of a run); return how long to wait before the next."""
        if self.failures == 0:
            self.since = time.monotonic()
            log.warning("database unavailable, timers wait: %s; retrying with backoff up to %g s", describe(exc),
                        self.longest_wait)
        self.failures += 1
        return min(self.longest_wait, self.first_wait * 2 ** (self.failures - 1))

    def ended(self) -> None:
        """A poll succeeded: log the end of a running outage."""
        if self.failures:
            log.warning("database available again after %.1f s (%d failed polls); due timers fire now",
                        time.monotonic() - self.since, self.failures)
        self.failures = 0


def health(db: Database, clock: Clock, stale_seconds: float) -> Health:
    """Database reachability and the newest worker heartbeat, with "status" ok only when both are fine."""
    try:
        with db.read() as session:
            row = session.execute(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_poll_at.desc())
                                  .limit(1)).scalar()
    except DATABASE_ERRORS as exc:
        return {"status": "error", "database": {"ok": False, "error": describe(exc)}, "worker": None}
    if row is None:
        return {"status": "error", "database": {"ok": True}, "worker": None,
                "reason": "no timer worker has polled this database yet"}
    age = (clock.now() - row.last_poll_at).total_seconds()
    worker: WorkerHealth = {"id": row.id, "host": row.host, "pid": row.pid, "started_at": row.started_at.isoformat(),
              "last_poll_at": row.last_poll_at.isoformat(), "seconds_since_poll": round(age, 1),
              "stale_after_seconds": stale_seconds, "last_error": row.last_error,
              "last_error_at": row.last_error_at.isoformat() if row.last_error_at else None}
    report: Health = {"status": "ok" if age <= stale_seconds else "error", "database": {"ok": True}, "worker": worker}
    if age > stale_seconds:
        report["reason"] = f"the newest worker heartbeat is {age:.0f} s old (more than {stale_seconds:g} s)"
    return report
