"""The runtime API: the one set of commands the web UI, the CLI and tests use.

Each command is one transaction: load the case, check the caller, apply, run the engine until
it waits, write state, task rows, timer rows and events, commit.
"""
import copy

from sqlalchemy import select, update

from engine import notify, sandbox
from engine.clock import SystemClock
from engine.config import Settings
from engine.errors import Conflict, Forbidden, NotFound, NotReady
from engine.formrules import rule_names, today_in
from engine.forms import validate_form
from engine.org import Directory, load_org, read_org_file
from engine.runtime import access, files, queries, schedules, spiff, uniqueness
from engine.runtime.case import Case, InstanceCache, load_row, load_workflow
from engine.runtime.catalog import Catalog
from engine.runtime.incidents import IncidentMixin
from engine.runtime.repair import RepairMixin
from engine.runtime.timers import TimerMixin
from engine.runtime.workspace import WorkspaceMixin
from engine.store import Database, migrate
from engine.store.models import Event, HumanTask


class Runtime(TimerMixin, queries.QueryMixin, WorkspaceMixin, RepairMixin, IncidentMixin):
    """opsflow's engine: deploy, start, claim, release, complete, cancel, fire timers, read."""

    def __init__(self, settings=None, *, database=None, clock=None, notifier=None):
        self.settings = settings or Settings.from_env()
        self.notifier = notifier or notify.OutboxNotifier()
        self.db = database or Database(self.settings.database_url, busy_seconds=self.settings.sqlite_busy_seconds)
        self.catalog = Catalog(self.db, None)
        self.codec = spiff.WorkflowCodec(self.catalog.specs_for, self.settings.script_time_limit)
        sandbox.configure(sandbox.Limits(self.settings.script_time_limit, self.settings.script_memory_limit_mb,
                                         self.settings.script_data_limit_bytes), self.settings.sandbox_processes)
        self.cache = InstanceCache(self.settings.instance_cache_size)
        self.clock = clock or SystemClock()

    @property
    def clock(self):
        """The clock every command, timer and deployment reads."""
        return self._clock

    @clock.setter
    def clock(self, clock):
        """Swap the clock everywhere at once (scenarios give each run a fresh one)."""
        self._clock = self.catalog.clock = self.codec.clock = clock

    def init(self):
        """Create or upgrade the database schema."""
        migrate(self.db)

    def deploy(self, paths, actor=None):
        """Deploy packages; a new version only where content changed (its scheduled starts re-armed)."""
        return self.catalog.deploy(paths, actor, on_new_version=self._arm_schedules)

    def activate(self, process_key, version, actor=None):
        """Start new cases of a procedure on an earlier (or later) deployed version; running cases keep theirs."""
        return self.catalog.activate(process_key, version, actor, on_activate=self._arm_schedules)

    def versions(self, process_key):
        """Every deployed version of a procedure, newest first, marking the one new cases start on."""
        with self.db.read() as session:
            return self.catalog.versions(session, process_key)

    def _arm_schedules(self, session, definition_id):
        """Arm the timer start events of a version that new cases now start on (newly deployed or activated)."""
        schedules.arm(session, self.catalog.get(definition_id, session), self.clock.now())

    def load_org(self, path):
        """Replace the organisation with the one in an org file."""
        doc = read_org_file(path)
        with self.db.write() as session:
            return load_org(session, doc, self.settings.password_hash_cost)

    def start(self, process_key, user, data=None):
        """Start a case of the active version with start-form data; return its id."""
        with self.db.command() as session:
            directory = Directory(session)
            loaded = self.catalog.get(self.catalog.active_id(session, process_key), session)
            case = self.start_case(session, directory, loaded, user, data)
        self.cache.put(case.row["id"], case.row["lock_version"], case.workflow)
        return case.row["id"]

    def start_case(self, session, directory, loaded, user, data, scheduled=None):
        """Within a transaction: check, validate, create, run and save a new case (also for schedules)."""
        if not directory.is_active(user) or not access.can_start(directory, user, loaded.package.manifest):
            raise Forbidden(f"{user} may not start {loaded.package.key}")
        form = loaded.package.start_form() or {}
        schema = form.get("schema")
        clean = validate_form(schema, data, form.get("rules"), self.rule_names({"starter": user}, directory),
                              loaded.package.manifest.get("start_form"))
        uniqueness.check_start(session, loaded.package, clean)
        uploads = files.check_form_files(session, schema, clean, user)
        workflow = self.codec.new(loaded.spec, loaded.subprocess_specs)
        start_data = dict(clean, starter=user, starter_name=directory.user(user).name)
        for task in workflow.get_tasks(state=spiff.TaskState.READY):
            task.data.update(copy.deepcopy(start_data))
        case = Case(self, session, directory, {"id": None, "status": "running", "starter": user}, loaded, workflow)
        details = {"version": loaded.version, "form": clean}
        if scheduled:
            details["scheduled_by"] = scheduled
        case.event("instance_started", actor=user, data=details, main=True)
        spiff.run_engine(workflow)
        case.save()
        files.link_form_files(session, uploads, case.row["id"])
        return case

    def claim(self, task_id, user):
        """Take an unclaimed task from its pool (its role's holders, or the people the manifest names)."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            if task["assignee"] == user:
                return
            if task["assignee"] is not None:
                raise Conflict(f"task {task_id} is already claimed by {task['assignee']}")
            if not access.can_claim(task):
                raise Forbidden(self._why_not_eligible(task, user))
            self._set_assignee(session, task, user, "task_claimed", user, expect=None)

    def release(self, task_id, user):
        """Give a claimed task back to its pool; a task only its assignee may do stays theirs."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            if task["assignee"] != user:
                raise Forbidden(f"{user} has not claimed task {task_id}")
            if not access.others_in_pool(session, task, user):
                raise NotReady(f"nobody else may take task {task_id}, so it stays with {user}")
            self._set_assignee(session, task, None, "task_released", user, expect=user)

    def reassign(self, task_id, user, to_user):
        """A supervisor of the procedure hands a task to someone else who may do that step."""
        with self.db.write() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            self._check_supervisor(session, directory, user, task)
            if directory.user(to_user) is None:
                raise NotFound(f"no user {to_user!r}")
            if not access.is_eligible(session, task, to_user):
                raise Forbidden(f"{to_user} may not do step {task['task_key']} of case {task['instance_id']}")
            self._set_assignee(session, task, to_user, "task_reassigned", user, expect=task["assignee"])

    def complete(self, task_id, user, data=None):
        """Complete a READY task with form data (validated; errors per field).

        Package code (form rules, scripts, assignees) runs before the write lock is taken (`Database.command`);
        a refused form gives the unchanged workflow back to the cache.
        """
        with self.db.command() as session:
            directory = Directory(session)
            task = self._task_row(session, directory, task_id, user)
            self._check_can_work_on(directory, user, task)
            row = {k: task[k] for k in ("definition_id", "status", "starter", "lock_version", "process_key")}
            row["id"] = task["instance_id"]
            loaded = self.catalog.get(row["definition_id"], session)
            workflow = load_workflow(self, session, row)
            case = Case(self, session, directory, row, loaded, workflow)
            case.done_by = (str(task_id), user)
            with self.cache.kept_on_error(row["id"], row["lock_version"], workflow):
                spiff_task = spiff.find_task(workflow, task_id)
                if not spiff.is_ready(spiff_task):
                    raise Conflict(f"task {task_id} is no longer waiting; reload the case")
                form = loaded.package.form_for(task["task_key"]) or {}
                schema = form.get("schema")
                clean = validate_form(schema, data, form.get("rules"), self.rule_names(spiff_task.data, directory),
                                      loaded.package.task(task["task_key"]).get("form"))
                uploads = files.check_form_files(session, schema, clean, user, row["id"])
            spiff_task.data.update(copy.deepcopy(clean))
            info = spiff.task_info(spiff_task)
            if task["assignee"] is None:
                case.event("task_claimed", actor=user, task=info)
            case.event("task_completed", actor=user, task=info, data={"form": clean, "role": task["role"]},
                       main=True)
            spiff_task.run()
            spiff.run_engine(workflow)
            case.save()
            files.link_form_files(session, uploads, row["id"], str(task_id))
        self.cache.put(row["id"], case.row["lock_version"], workflow)
        return {"instance_id": row["id"], "status": "completed" if workflow.completed else case.row["status"]}

    def rule_names(self, data, directory=None):
        """What a form's rules and choices see: the case data, `today` by the runtime's clock, org look-ups."""
        return rule_names(data, today_in(self.clock.now(), self.settings.timezone), directory)

    def cancel(self, instance_id, user, reason=None):
        """Cancel a running case (its starter, or a supervisor of the procedure)."""
        with self.db.command() as session:
            directory = Directory(session)
            row, loaded = self._visible_case(session, directory, instance_id, user)
            if not access.can_cancel(directory, user, row, loaded.package.manifest):
                raise Forbidden(f"{user} may not cancel case {instance_id}")
            if row["status"] != "running":
                raise NotReady(f"case {instance_id} is already {row['status']}")
            workflow = load_workflow(self, session, row)
            case = Case(self, session, directory, row, loaded, workflow)
            spiff.cancel(workflow)
            row["status"] = "cancelled"
            case.event("instance_cancelled", actor=user, data={"reason": reason or ""}, main=True)
            case.save()
        self.cache.put(instance_id, case.row["lock_version"], workflow)

    def _task_row(self, session, directory, task_id, user):
        """An open task joined with its case, or an error that explains a stale page."""
        task = queries.open_task(session, task_id, user)
        if task is None:
            raise self._why_not_open(session, directory, task_id, user)
        if not task["user_active"]:
            raise Forbidden(f"{user} is not an active user")
        manifest = self.catalog.get(task["definition_id"], session).package.manifest
        if not access.can_see_task(directory, user, task, manifest):
            raise NotFound(f"no task {task_id}")
        return task

    def _visible_case(self, session, directory, instance_id, user):
        """(row, loaded version) of a case `user` may see (None: a trusted caller); else NotFound."""
        row = load_row(session, _case_id(instance_id))
        if row is None:
            raise NotFound(f"no case {instance_id}")
        loaded = self.catalog.get(row["definition_id"], session)
        if user is not None and not access.can_see_case(session, directory, user, row, loaded.package.manifest):
            raise NotFound(f"no case {instance_id}")
        return row, loaded

    def _check_can_work_on(self, directory, user, task):
        """Forbidden unless `user` may complete the task: its assignee, or one of its pool while unclaimed."""
        if not access.can_work_on(user, task):
            raise Forbidden(self._why_not_eligible(task, user))

    @staticmethod
    def _why_not_eligible(task, user):
        """The sentence of a refusal to claim or complete: excluded, held by someone else, or not in the pool."""
        if task["is_excluded"]:
            return f"{user} may not do step {task['task_key']} of case {task['instance_id']} (separation of duties)"
        if task["assignee"] is not None:
            return f"task {task['id']} is assigned to {task['assignee']}, not {user}"
        if task["pool"] == access.POOL_ROLE:
            return f"{user} does not hold role {task['role']} of task {task['id']}"
        return f"{user} is not one of the people who may take task {task['id']}"

    def _check_supervisor(self, session, directory, user, task):
        """Forbidden unless `user` supervises the task's procedure."""
        manifest = self.catalog.get(task["definition_id"], session).package.manifest
        if not access.is_supervisor(directory, user, manifest):
            raise Forbidden(f"{user} does not supervise {task['process_key']}")

    def _why_not_open(self, session, directory, task_id, user):
        """Tell a stale page (task done, case cancelled) from a wrong id, to those who may know."""
        last = session.execute(select(Event.instance_id, Event.actor, Event.at, Event.kind, Event.data)
                               .where(Event.task_id == str(task_id)).order_by(Event.id.desc()).limit(1)).first()
        row = load_row(session, last.instance_id) if last is not None else None
        if row is None:
            return NotFound(f"no open task {task_id}")
        manifest = self.catalog.get(row["definition_id"], session).package.manifest
        facts = last.data or {}
        was_candidate = facts.get("assignee") == user or facts.get("role") in directory.roles_of(user)
        if not was_candidate and not access.can_see_case(session, directory, user, row, manifest):
            return NotFound(f"no open task {task_id}")
        if row["status"] == "cancelled":
            return NotReady(f"case {row['id']} was cancelled; task {task_id} can no longer be done")
        if last.kind == "task_completed":
            return Conflict(f"task {task_id} was already completed by {last.actor} at {last.at:%Y-%m-%d %H:%M}")
        return NotReady(f"task {task_id} of case {row['id']} is no longer open")

    def _set_assignee(self, session, task, new, kind, actor, expect):
        """Change a task's assignee if it still has the one we saw; record the event."""
        result = session.execute(update(HumanTask).where(HumanTask.id == task["id"], _same(HumanTask.assignee, expect))
                                 .values(assignee=new).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict(f"task {task['id']} changed meanwhile; reload it")
        event = Event(instance_id=task["instance_id"], at=self.clock.now(), actor=actor, kind=kind,
                      task_id=task["id"], task_key=task["task_key"], data={"assignee": new, "was": expect})
        session.add(event)
        self.notifier.notify(session.connection(), notify.from_task_change(task, event))


MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number would fail in the database, not just miss


def _case_id(value):
    """A case id as the integer the table holds (-1, which matches nothing, for text or a number out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number <= MAX_ID else -1


def _same(column, value):
    """SQL equality that treats None as IS NULL."""
    return column.is_(None) if value is None else column == value

