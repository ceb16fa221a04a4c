"""Tasks nobody may take, and a supervisor's repair of them.

A personal step whose assignee expression named nobody (or someone inactive or excluded) and that has no
stand-ins waits with an `assignment_failed` event and an empty named pool (`access.stuck`). The
procedure's supervisors see such tasks listed in their inbox and hand each to someone who may do the
step: the holders of its lane's role, or its candidates, never someone excluded from it.
"""
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Forbidden, NotFound, NotReady
from engine.org import Directory
from engine.runtime import access
from engine.runtime.access import TASK_COLUMNS, Guard
from engine.runtime.assignment import add_candidate, hand_over
from engine.runtime.context import Component, Context
from engine.runtime.results import OpenTask, Person, RepairFacts, StuckTask, StuckTasks
from engine.store.models import CaseRecord, Definition, Event, HumanTask, User

MAX_LISTED = 20


class Repair(Component):
    """Find tasks that went to nobody, say why, and let a supervisor assign them."""

    def __init__(self, ctx: Context, guard: Guard) -> None:
        super().__init__(ctx)
        self.guard = guard

    def assignment_repair(self, task_id: str, user: str) -> RepairFacts | None:
        """For a supervisor of a task that nobody may take: `repair_facts`; None for any other task or user."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            manifest = self.catalog.get(task["definition_id"], session).package.manifest
            if not access.is_supervisor(directory, user, manifest):
                return None
            return repair_facts(session, task)

    def repair_assignment(self, task_id: str, user: str, to_user: str) -> None:
        """A supervisor gives a task nobody may take to a holder of its role or a candidate (not an excluded one)."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self.guard.task(session, directory, task_id, user)
            self.guard.check_supervisor(session, directory, user, task)
            if not _is_stuck(session, task["id"]):
                raise NotReady("task_not_stuck", task=task_id)
            if directory.user(to_user) is None:
                raise NotFound("no_user", user=to_user)
            eligible = access.eligible_users(task, repair=True).where(User.username == to_user).limit(1)
            if session.execute(eligible).first() is None:
                raise Forbidden("not_eligible", user=to_user, step=task["task_key"], case=task["case_id"])
            hand_over(session, self.ctx, task, to_user, "assignment_repaired", user, expect=None)
            add_candidate(session, task["id"], to_user)

    def stuck_in_case(self, case_id: int, user: str) -> set[str]:
        """The ids of a case's open tasks that nobody may take (NotFound for a case `user` may not see)."""
        with self.db.read() as session:
            row, _loaded = self.guard.case(session, Directory(session), case_id, user)
            return set(session.scalars(select(HumanTask.id).where(HumanTask.case_id == row["id"], access.stuck())))

    def stuck_tasks(self, user: str, limit: int = MAX_LISTED) -> StuckTasks:
        """{total, tasks}: the open tasks nobody may take in the procedures `user` supervises, oldest first."""
        with self.db.read() as session:
            directory = Directory(session)
            if not directory.is_active(user):
                return {"total": 0, "tasks": []}
            versions = [row.id for row in session.execute(select(Definition.id, Definition.manifest))
                        if access.is_supervisor(directory, user, row.manifest)]
            if not versions:
                return {"total": 0, "tasks": []}
            query = (select(*TASK_COLUMNS, CaseRecord.starter).join(CaseRecord, CaseRecord.id == HumanTask.case_id)
                     .where(CaseRecord.definition_id.in_(versions), access.stuck()))
            rows = session.execute(query.order_by(HumanTask.created_at, HumanTask.id)).all()
        return {"total": len(rows), "tasks": [cast(StuckTask, dict(r._mapping)) for r in rows[:limit]]}


def repair_facts(session: Session, task: OpenTask) -> RepairFacts | None:
    """{failure, targets} of an open task nobody may take, for its supervisors; None when someone may take it.

    `failure` is the data of the task's last `assignment_failed` event ({} when its candidates were
    deactivated since), `targets` the people a repair may hand it to.
    """
    if not _is_stuck(session, task["id"]):
        return None
    failure = session.scalar(select(Event.data).where(
        Event.task_id == task["id"], Event.kind == "assignment_failed").order_by(Event.id.desc()).limit(1))
    targets = session.execute(access.eligible_users(task, repair=True).order_by(User.name, User.username)).all()
    return {"failure": failure or {}, "targets": [cast(Person, dict(r._mapping)) for r in targets]}


def _is_stuck(session: Session, task_id: str) -> bool:
    """Whether an open task waits in a named pool with nobody active in it."""
    return session.scalar(select(HumanTask.id).where(HumanTask.id == task_id, access.stuck())) is not None
