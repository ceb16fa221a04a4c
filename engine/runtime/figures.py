"""Operators' figures: cases, open and overdue tasks, due timers and worker lag, counted in SQL.

Each figure is one aggregate query over the rows the inbox and the worker already keep (no workflow is
loaded), so a scrape costs a few index or table scans however many cases there are, and every web process
answers the same numbers at the same moment.
"""
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.runtime.context import Component
from engine.runtime.heartbeat import DATABASE_ERRORS
from engine.runtime.results import CaseCount, OperationsFigures, ProcedureTasks, RoleTasks, TimersDue
from engine.store.models import CaseRecord, HumanTask, Timer, WorkerHeartbeat


class Figures(Component):
    """The figures /metrics exposes, read in one read transaction."""

    def figures(self) -> OperationsFigures:
        """Cases by procedure and status, open and overdue tasks, due timers and worker lag, as of the clock's now.

        A database that does not answer gives `database_ok` False and no figures, rather than an error.
        """
        now = self.clock.now()
        try:
            with self.db.read() as session:
                return {"database_ok": True, "cases": _cases(session), "tasks": _tasks(session, now),
                        "tasks_by_role": _tasks_by_role(session), "timers_due": _timers_due(session, now),
                        "worker_lag_seconds": _worker_lag(session, now)}
        except DATABASE_ERRORS:
            return {"database_ok": False, "cases": [], "tasks": [], "tasks_by_role": [], "timers_due": [],
                    "worker_lag_seconds": None}


def _cases(session: Session) -> list[CaseCount]:
    """How many cases each procedure has in each status."""
    rows = session.execute(select(CaseRecord.process_key, CaseRecord.status, func.count())
                           .group_by(CaseRecord.process_key, CaseRecord.status)
                           .order_by(CaseRecord.process_key, CaseRecord.status)).all()
    return [{"process_key": key, "status": status, "count": count} for key, status, count in rows]


def _tasks(session: Session, now: datetime) -> list[ProcedureTasks]:
    """Open tasks per procedure, with those whose due time has passed (due_at < now)."""
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    rows = session.execute(select(HumanTask.process_key, func.count(), overdue)
                           .group_by(HumanTask.process_key).order_by(HumanTask.process_key)).all()
    return [{"process_key": key, "open": count, "overdue": int(late or 0)} for key, count, late in rows]


def _tasks_by_role(session: Session) -> list[RoleTasks]:
    """Open tasks per role; tasks with no role (offered to named people) count under ""."""
    rows = session.execute(select(HumanTask.role, func.count()).group_by(HumanTask.role)).all()
    return sorted(({"role": role or "", "open": count} for role, count in rows), key=lambda r: r["role"])


def _timers_due(session: Session, now: datetime) -> list[TimersDue]:
    """Unfired timers whose due time has come (due_at <= now), per kind: what the worker should fire now."""
    rows = session.execute(select(Timer.kind, func.count())
                           .where(Timer.fired_at.is_(None), Timer.due_at <= now)
                           .group_by(Timer.kind).order_by(Timer.kind)).all()
    return [{"kind": kind, "count": count} for kind, count in rows]


def _worker_lag(session: Session, now: datetime) -> float | None:
    """Seconds since the newest worker heartbeat's last successful poll, or None when none was recorded."""
    newest = session.scalar(select(func.max(WorkerHeartbeat.last_poll_at)))
    return None if newest is None else max(0.0, (now - newest).total_seconds())
