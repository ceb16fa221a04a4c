"""Read side: inboxes, task pages, case pages. Plain SQL rows; workflows only for case data."""
from sqlalchemy import bindparam, exists, select

from engine.formrules import resolve_choices
from engine.org import Directory
from engine.runtime import access, spiff
from engine.runtime.case import load_row, load_workflow
from engine.runtime.repeated import name_helpers
from engine.store.models import Department, Event, HumanTask, Instance, Role, User, UserRole, active_definitions
from engine.templates import pick_language, render

TASK_COLUMNS = (HumanTask.id, HumanTask.instance_id, HumanTask.process_key, HumanTask.task_key,
                 HumanTask.title_en, HumanTask.title_zh, HumanTask.lane, HumanTask.role, HumanTask.assignee,
                 HumanTask.created_at, HumanTask.due_at, HumanTask.escalated_at, HumanTask.priority)


_ACTIVE = exists().where(User.username == bindparam("b_user"), User.active.is_(True))
_OPEN_TASK = (select(*TASK_COLUMNS, HumanTask.pool, Instance.definition_id, Instance.status, Instance.starter,
                     Instance.lock_version, *access.person_flags(HumanTask.id, bindparam("b_user")),
                     _ACTIVE.label("user_active"))
              .join(Instance, Instance.id == HumanTask.instance_id).where(HumanTask.id == bindparam("b_task")))


def open_task(session, task_id, user=None):
    """An open task joined with its case facts, and for `user`: active, holds its role, candidate, excluded; or None."""
    found = session.connection().execute(_OPEN_TASK, {"b_task": str(task_id), "b_user": user}).first()
    return dict(found._mapping) if found else None


class QueryMixin:
    """Reads of the runtime API."""

    def inbox(self, user, process_key=None, overdue=False, limit=100, offset=0):
        """Tasks assigned to `user` plus unclaimed tasks of their roles, most urgent first."""
        with self.db.read() as session:
            roles = Directory(session).roles_of(user)
            query = (select(*TASK_COLUMNS, HumanTask.pool, Instance.starter, Instance.search)
                     .join(Instance, Instance.id == HumanTask.instance_id).where(access.open_to(user, roles)))
            if process_key:
                query = query.where(HumanTask.process_key == process_key)
            if overdue:
                query = query.where(HumanTask.due_at < self.clock.now())
            query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
            rows = session.execute(query.limit(limit).offset(offset)).all()
            return access.candidates_of(session, [dict(r._mapping) for r in rows])

    def task(self, task_id, user, language="en"):
        """One open task with its form schema and rendered instructions."""
        with self.db.read() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            loaded = self.catalog.get(task["definition_id"], session)
            row = load_row(session, task["instance_id"])
            workflow = load_workflow(self, session, row)
            self.cache.put(row["id"], row["lock_version"], workflow)
            spiff_task = spiff.find_task(workflow, task_id)
            data = dict(spiff_task.data) if spiff_task is not None else {}
            form = loaded.package.form_for(task["task_key"]) or {}
            shown = dict(data, **name_helpers(directory, language))
            access.candidates_of(session, [task])
            return dict(task, title=form.get("title") or {"en": task["title_en"], "zh-Hant": task["title_zh"]},
                        schema=resolve_choices(form.get("schema"), self.rule_names(data, directory)), data=data,
                        version=loaded.version,
                        instructions=render(pick_language(form.get("instructions"), language), shown))

    def instance(self, instance_id, user):
        """A case as `user` may see it (NotFound when they may not)."""
        return self.describe_case(instance_id, viewer=user)

    def describe_case(self, instance_id, viewer=None):
        """A case: status, version, open tasks, data, path and history (viewer None: trusted callers)."""
        with self.db.read() as session:
            return self._case_snapshot(session, Directory(session), instance_id, viewer)[0]

    def _case_snapshot(self, session, directory, instance_id, viewer):
        """(the case as describe_case gives it, its row, loaded version, workflow); NotFound for strangers."""
        row, loaded = self._visible_case(session, directory, instance_id, viewer)
        facts = session.execute(select(Instance).where(Instance.id == row["id"])).scalar_one()
        workflow = load_workflow(self, session, row)
        self.cache.put(row["id"], row["lock_version"], workflow)
        tasks = session.execute(select(*TASK_COLUMNS).where(HumanTask.instance_id == row["id"])
                                .order_by(HumanTask.created_at)).all()
        events = session.execute(select(Event).where(Event.instance_id == row["id"]).order_by(Event.id)).scalars()
        view = {"id": row["id"], "process_key": row["process_key"], "version": loaded.version,
                "definition_id": row["definition_id"], "status": row["status"], "starter": row["starter"],
                "started_at": facts.started_at, "ended_at": facts.ended_at, "end_event": facts.end_event,
                "search": facts.search,
                "tasks": [dict(t._mapping) for t in tasks], "data": spiff.case_data(workflow),
                "path": spiff.completed_path(workflow),
                "history": [{"at": e.at, "actor": e.actor, "kind": e.kind, "task_id": e.task_id,
                             "task_key": e.task_key, "data": e.data} for e in events]}
        return view, row, loaded, workflow

    def ping(self):
        """Run a trivial query; raises when the database cannot be reached (health checks)."""
        with self.db.read() as session:
            session.execute(select(1))

    def users(self):
        """The organisation: every user with department, manager and roles."""
        with self.db.read() as session:
            roles = {}
            for username, role in session.execute(select(UserRole.username, UserRole.role)):
                roles.setdefault(username, []).append(role)
            users = session.execute(select(User.username, User.name, User.email, User.department, User.manager,
                                           User.active).order_by(User.username)).all()
            return [dict(u._mapping, roles=sorted(roles.get(u.username, []))) for u in users]

    def departments(self):
        """Every department with its names and head."""
        with self.db.read() as session:
            rows = session.execute(select(Department.key, Department.name_en, Department.name_zh, Department.head)
                                   .order_by(Department.key))
            return [dict(r._mapping) for r in rows]

    def roles(self):
        """Every role with its names."""
        with self.db.read() as session:
            return [dict(r._mapping) for r in session.execute(select(Role.key, Role.name_en, Role.name_zh))]

    def definitions(self):
        """The active version (the one new cases start on) of each deployed procedure."""
        with self.db.read() as session:
            return [dict(r._mapping) for r in session.execute(active_definitions())]
