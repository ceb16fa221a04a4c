"""Held timers as incidents: listing the open ones and a supervisor's retry once the cause is fixed.

A timer the engine refused (`Timers._hold`) is marked fired and leaves an `incident` event on its
case whose data names the timer. An incident is open while its case runs and no `incident_retried`
event names it (data `incident`: the incident event's id). A retry clears the timer's fired time, so
the timer (due already: it was held when due) is fired again by the worker's next poll; if it fails
again, a new incident is recorded. No schema change: both facts live in the append-only history.
"""
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, Row, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, NotFound, NotReady
from engine.org import Directory
from engine.runtime import access
from engine.runtime.access import Guard
from engine.runtime.context import Component, Context
from engine.runtime.results import CaseIncidents, Incident
from engine.store.models import CaseRecord, Definition, Event, Timer

INCIDENT, RETRIED = "incident", "incident_retried"


class Incidents(Component):
    """Open incidents, for operators and for a case's page, and retrying one."""

    def __init__(self, ctx: Context, guard: Guard) -> None:
        super().__init__(ctx)
        self.guard = guard

    def open_incidents(self, process_key: str | None = None, case_id: int | None = None) -> list[Incident]:
        """The open incidents of running cases (of one procedure or one case), oldest first (operator view)."""
        with self.db.read() as session:
            return _open(session, process_key=process_key, case_id=case_id)

    def case_incidents(self, case_id: int, user: str) -> CaseIncidents:
        """{incidents, can_retry} of a case `user` may see (NotFound otherwise): what the case page shows."""
        with self.db.read() as session:
            directory = Directory(session)
            row, deployed = self.guard.case(session, directory, case_id, user)
            found = _open(session, case_id=row["id"]) if row["status"] == "running" else []
            allowed = directory.is_active(user) and access.is_supervisor(directory, user, deployed.package.manifest)
        return {"incidents": found, "can_retry": bool(found) and allowed}

    def retry_incident(self, case_id: int | str, incident_id: int | str, user: str) -> None:
        """A supervisor re-arms the timer an incident held, so the worker fires it again; one transaction.

        Refused: a case `user` may not see (NotFound), someone who does not supervise its procedure
        (Forbidden), a case no longer running (NotReady), an incident retried already (Conflict).
        """
        with self.db.write() as session:
            directory = Directory(session)
            row, deployed = self.guard.case(session, directory, case_id, user)
            if not directory.is_active(user) or not access.is_supervisor(directory, user, deployed.package.manifest):
                raise Forbidden("incident_forbidden", user=user, procedure=deployed.package.key)
            if row["status"] != "running":
                raise NotReady("incident_case_closed", case=row["id"], status=row["status"])
            incident = _incident(session, row["id"], incident_id)
            retried = _retries(session, [row["id"]]).get(incident.id)
            if retried is not None:
                raise Conflict("incident_retried", incident=incident.id, case=row["id"], user=retried.actor)
            timer_id = _held_timer(session, incident)
            now = self.clock.now()
            rearmed = cast(CursorResult[Any], session.execute(
                update(Timer).where(Timer.id == timer_id, Timer.fired_at.is_not(None))
                .values(fired_at=None).execution_options(synchronize_session=False)))
            if rearmed.rowcount != 1:
                raise Conflict("incident_pending", incident=incident.id)
            session.add(Event(case_id=row["id"], at=now, actor=user, kind=RETRIED, task_id=incident.task_id,
                              task_key=incident.task_key, data={"incident": incident.id}))


def _open(session: Session, process_key: str | None = None, case_id: int | None = None) -> list[Incident]:
    """Rows {id, case_id, process_key, version, task_id, timer, due_at, since, reason} of unretried incidents.

    An incident whose timer is gone (an SLA's task ended meanwhile) is closed: there is nothing left to retry.
    """
    query = (select(Event.id, Event.case_id, Event.task_id, Event.at, Event.data, Definition.key,
                    Definition.version)
             .join(CaseRecord, CaseRecord.id == Event.case_id)
             .join(Definition, Definition.id == CaseRecord.definition_id)
             .where(Event.kind == INCIDENT, CaseRecord.status == "running"))
    if process_key is not None:
        query = query.where(Definition.key == process_key)
    if case_id is not None:
        query = query.where(Event.case_id == case_id)
    rows = session.execute(query.order_by(Event.at, Event.id)).all()
    retried = _retries(session, {r.case_id for r in rows})
    named = {(r.data or {}).get("timer_id") for r in rows} - {None}
    kept = set(session.scalars(select(Timer.id).where(Timer.id.in_(named)))) if named else set()
    # Older incidents do not name their timer; they stay listed until retried.
    rows = [r for r in rows if (r.data or {}).get("timer_id") in kept | {None}]
    return [{"id": r.id, "case_id": r.case_id, "process_key": r.key, "version": r.version,
             "task_id": r.task_id, "timer": (r.data or {}).get("timer"),
             "due_at": (r.data or {}).get("due_at"), "since": r.at,
             "reason": (r.data or {}).get("reason", "")} for r in rows if r.id not in retried]


def _retries(session: Session, case_ids: Iterable[int]) -> dict[Any, Row[Any]]:
    """The retry events of these cases by the incident each names."""
    if not case_ids:
        return {}
    events = session.execute(select(Event.id, Event.actor, Event.at, Event.data)
                             .where(Event.case_id.in_(list(case_ids)), Event.kind == RETRIED)).all()
    return {(e.data or {}).get("incident"): e for e in events}


def _incident(session: Session, case_id: int, incident_id: int | str) -> Row[Any]:
    """The incident event `incident_id` of the case, or NotFound."""
    columns = (Event.id, Event.case_id, Event.task_id, Event.task_key, Event.at, Event.data)
    found = session.execute(select(*columns).where(
        Event.id == _number(incident_id), Event.case_id == case_id, Event.kind == INCIDENT)).first()
    if found is None:
        raise NotFound("no_incident", incident=incident_id, case=case_id)
    return found


def _held_timer(session: Session, incident: Row[Any]) -> int:
    """The id of the timer an incident held: named in its data, else (older incidents) its case's fired timer there."""
    data = incident.data or {}
    if data.get("timer_id") is not None:
        query = select(Timer.id).where(Timer.id == data["timer_id"])
    else:
        step = Timer.task_id if data.get("timer") == "bpmn" else Timer.human_task_id
        query = (select(Timer.id).where(Timer.case_id == incident.case_id,
                                        Timer.kind == data.get("timer"), step == incident.task_id,
                                        Timer.fired_at.is_not(None)).order_by(Timer.id.desc()).limit(1))
    timer_id = session.scalar(query)
    if timer_id is None:
        raise NotReady("incident_timer_gone", incident=incident.id)
    return timer_id


def _number(value: int | str) -> int:
    """An incident id as given on a command line or in a form: a whole number, else NotFound."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound("incident_id_not_number", incident=value) from None
