"""Firing due timers: BPMN timer events and task SLAs, each exactly once, from any number of workers."""
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, func, select, update
from sqlalchemy.orm import Session

from engine import sandbox
from engine.errors import Busy, Conflict, OpsflowError
from engine.org import Directory
from engine.runtime import access, assignment, schedules, spiff
from engine.runtime.attachments import Attachments
from engine.runtime.case import Case, load_workflow
from engine.runtime.commands import Commands
from engine.runtime.context import Component, Context
from engine.runtime.heartbeat import DATABASE_ERRORS, Heartbeat, Outage, health
from engine.runtime.results import Health, TaskRef
from engine.runtime.rows import load_row
from engine.store.models import Event, HumanTask, Timer

MAX_BUSY_RETRIES = 20
log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600  # how often the worker deletes uploads no submitted form took


class Timers(Component):
    """The worker's side of the runtime: due timers, scheduled starts, the worker loop and its health."""

    def __init__(self, ctx: Context, commands: Commands, attachments: Attachments) -> None:
        super().__init__(ctx)
        self.commands = commands
        self.attachments = attachments

    fired_total = 0  # timers fired by the running worker loop, readable after an interrupt

    def fire_due_timers(self, limit: int | None = None, up_to_id: int | None = None) -> int:
        """Fire timers that are due by the clock, one transaction each; return how many fired.

        `up_to_id` leaves out timers created after it (what firing makes due waits for the next drain).
        A timer the engine refuses (a script error or limit, a starter refused) is held with an `incident`
        on its case (`_hold`); one that fails unexpectedly stays pending, is logged in one line and skipped
        until the next call; database errors reach the caller.
        """
        limit = limit or self.settings.worker_batch
        fired, busy = 0, 0
        skipped: set[int] = set()
        while fired < limit and busy < MAX_BUSY_RETRIES:
            timer: Row[Any] | None = None
            try:
                with self.db.command() as session:
                    timer = self._claim_due(session, skipped, up_to_id)
                    if timer is None:
                        break
                    skipped.add(timer.id)
                    case = self._fire(session, timer)
            except (Busy, Conflict):
                busy += 1
                continue
            except OpsflowError as exc:
                if timer is not None:
                    self._hold(timer, exc)
                continue
            except DATABASE_ERRORS:
                raise
            except Exception as exc:  # one timer's fault (ours or a library's) must not stop the others
                if timer is None:
                    raise
                log.warning("timer %s could not fire and stays pending: %s", timer.id, _one_line(exc))
                continue
            fired += 1
            if case is not None:
                self.cache.put(case.row["id"], case.row["lock_version"], case.workflow)
        return fired

    def drain_due_timers(self) -> int:
        """Fire every timer due now, batch after batch; return how many fired (`opsflow worker --once`).

        Only timers that exist when the drain starts are fired, so a process whose firing makes a new
        timer due at the same instant cannot keep it busy forever; that one fires on the next run.
        """
        with self.db.read() as session:
            ceiling = session.scalar(select(func.max(Timer.id))) or 0
        total = 0
        while count := self.fire_due_timers(up_to_id=ceiling):
            total += count
        return total

    def run_worker(self, once: bool = False, stop: Callable[[], bool] | None = None) -> int:
        """Fire due timers until stopped (or, with `once`, drain what is due and return), outliving faults.

        A failed poll waits longer each time (up to worker_retry_max_seconds) and is logged once per outage;
        any other error of a poll is logged in one line and the worker goes on. Every successful poll
        updates this worker's heartbeat row, which /healthz reads. `once` reports an unreachable database
        instead of waiting for it.
        """
        self.fired_total = 0
        beat = Heartbeat(self.db, self.clock)
        outage = Outage(self.settings.worker_poll_seconds, self.settings.worker_retry_max_seconds)
        next_purge = 0.0
        while True:
            try:
                next_purge = self._purge_when_due(next_purge)
                count = self.drain_due_timers() if once else self.fire_due_timers()
                beat.beat()
            except DATABASE_ERRORS as exc:
                if once:
                    raise
                beat.failed(exc)
                _pause(outage.failed(exc), stop)
                if stop is not None and stop():  # asked to stop while the database was away
                    return self.fired_total
                continue
            except Exception as exc:  # a fault outside any one timer: say so, keep polling
                if once:
                    log.error("worker run failed: %s", _one_line(exc))
                    return self.fired_total
                log.error("worker poll failed, polling again in %g s: %s", self.settings.worker_poll_seconds,
                          _one_line(exc))
                _pause(self.settings.worker_poll_seconds, stop)
                continue
            outage.ended()
            self.fired_total += count
            if once or (stop is not None and stop()):
                return self.fired_total
            if count == 0:
                _pause(self.settings.worker_poll_seconds, stop)

    def _purge_when_due(self, next_purge: float) -> float:
        """Delete abandoned uploads when their hour has come; return when to look next."""
        if time.monotonic() < next_purge:
            return next_purge
        purged = self.attachments.purge_pending_uploads()
        if purged:
            log.info("deleted %d uploads that no submitted form took", purged)
        return time.monotonic() + PURGE_EVERY_SECONDS

    def health(self) -> Health:
        """What /healthz answers: database reachability and the newest worker heartbeat."""
        return health(self.db, self.clock, self.settings.worker_stale_seconds)

    def next_timer_due(self) -> datetime | None:
        """The due time of the earliest pending timer, or None."""
        with self.db.read() as session:
            return session.scalar(select(Timer.due_at).where(Timer.fired_at.is_(None)).order_by(Timer.due_at).limit(1))

    def _claim_due(self, session: Session, skipped: set[int], up_to_id: int | None = None) -> Row[Any] | None:
        """Lock one due, unfired timer that no other worker holds (SKIP LOCKED on PostgreSQL), as a plain row."""
        query = (select(*Timer.__table__.c).where(Timer.fired_at.is_(None), Timer.due_at <= self.clock.now())
                 .order_by(Timer.due_at, Timer.id).limit(1).with_for_update(skip_locked=True))
        if skipped:
            query = query.where(Timer.id.not_in(skipped))
        if up_to_id is not None:
            query = query.where(Timer.id <= up_to_id)
        return session.execute(query).first()

    def _fire(self, session: Session, timer: Row[Any]) -> Case | None:
        """Apply the timer to its case (package code runs before the write lock), then mark it fired, exactly once."""
        now = self.clock.now()
        case = self._apply(session, timer, now)
        self.db.start_writing(session)
        _mark_fired(session, timer, now)
        return case

    def _hold(self, timer: Row[Any], exc: OpsflowError) -> None:
        """A timer that failed (a script error, a limit, a starter refused) is held, never retried in a loop.

        It is marked fired and its case gets an `incident` event with the reason and the timer's id, which a
        supervisor's retry re-arms (runtime/incidents.py); a scheduled start is armed for its next occurrence instead.
        """
        log.warning("timer %s could not fire and is held: %s", timer.id, exc)
        now = self.clock.now()
        with self.db.write() as session:
            if not _mark_fired(session, timer, now, strict=False):
                return
            if timer.kind == "start":
                deployed = self.catalog.get(self.catalog.active_id(session, timer.process_key), session)
                schedules.rearm(session, deployed, timer, now)
                return
            session.add(Event(case_id=timer.case_id, at=now, actor=None, kind="incident",
                              task_id=timer.task_id if timer.kind == "bpmn" else timer.human_task_id,
                              task_key=None, data={"timer": timer.kind, "timer_id": timer.id,
                                                   "due_at": timer.due_at.isoformat(), "reason": str(exc)}))

    def _apply(self, session: Session, timer: Row[Any], now: datetime) -> Case | None:
        """What a due timer does to its case (None when nothing is left to do)."""
        if timer.kind == "start":
            return self._scheduled_start(session, timer)
        row = load_row(session, timer.case_id)
        if row is None or row["status"] != "running":
            return None
        directory = Directory(session)
        deployed = self.catalog.get(row["definition_id"], session)
        workflow = load_workflow(self.ctx, session, row)
        case = Case(self.ctx, session, directory, row, deployed, workflow)
        if timer.kind == "sla":
            self._breach(session, case, timer, now)
            return case
        task = spiff.find_task(workflow, timer.task_id)
        info = spiff.task_info(task) if task is not None else None
        if spiff.fire_timer(workflow, timer.task_id):
            case.timers_before.discard(timer.task_id)
            case.event("timer_fired", task=info, data={"due_at": timer.due_at.isoformat()}, main=True)
            case.save()
            return case
        return None

    def _scheduled_start(self, session: Session, timer: Row[Any]) -> Case:
        """A timer start event fell due: start a case as the manifest's schedule says, arm the next one."""
        directory = Directory(session)
        deployed = self.catalog.get(self.catalog.active_id(session, timer.process_key), session)
        rule = deployed.package.manifest.get("schedule") or {}
        starter = sandbox.evaluate(rule.get("as") or "None", directory.functions(), self.settings.script_time_limit)
        case = self.commands.start_case(session, directory, deployed, starter, rule.get("data") or {},
                                        scheduled=timer.task_id)
        schedules.rearm(session, deployed, timer, self.clock.now())
        return case

    def _breach(self, session: Session, case: Case, timer: Row[Any], now: datetime) -> None:
        """A task passed its due time: record it and escalate as the package says (never to someone excluded)."""
        task = session.execute(select(HumanTask.id, HumanTask.assignee, HumanTask.task_key, HumanTask.due_at,
                                      HumanTask.pool).where(HumanTask.id == timer.task_id)).first()
        if task is None:
            return
        info: TaskRef = {"id": task.id, "bpmn_id": task.task_key}
        spiff_task = spiff.find_task(case.workflow, task.id)
        data = spiff_task.data if spiff_task is not None else {}
        rule = case.package.task(task.task_key).get("on_breach") or {}
        target = None
        if rule.get("escalate_to"):
            target = assignment.pick_person(case, rule["escalate_to"], {**info, "data": data},
                                            assignment.excluded_from(session, task.id), assignee=task.assignee)
        case.start_writing()
        values: dict[str, Any] = {"escalated_at": now}
        if target:
            values["assignee"] = target
        session.execute(update(HumanTask).where(HumanTask.id == task.id).values(**values)
                        .execution_options(synchronize_session=False))
        if target and task.pool == access.POOL_PEOPLE:
            assignment.add_candidate(session, task.id, target)
        case.event("sla_breached", task=info, data={"due_at": task.due_at.isoformat(), "assignee": task.assignee})
        if target:
            case.event("task_escalated", task=info, data={"from": task.assignee, "to": target})
        case.save_events_only()


def _mark_fired(session: Session, timer: Row[Any], now: datetime, strict: bool = True) -> bool:
    """Set the timer's fired time if no one has; Conflict (or False when not `strict`) if someone has."""
    marked = cast(CursorResult[Any], session.execute(
        update(Timer).where(Timer.id == timer.id, Timer.fired_at.is_(None))
        .values(fired_at=now).execution_options(synchronize_session=False)))
    if marked.rowcount != 1 and strict:
        raise Conflict("timer_fired")
    return marked.rowcount == 1


def _pause(seconds: float, stop: Callable[[], bool] | None) -> None:
    """Sleep, waking every half second to see whether the worker was asked to stop."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0 and not (stop is not None and stop()):
        time.sleep(min(left, 0.5))


def _one_line(exc: BaseException) -> str:
    """An error as one log line: its kind and the first line of its message, no traceback."""
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"[:300]
