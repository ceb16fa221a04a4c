"""The runtime API: the one set of commands and reads the web UI, the CLI and tests use.

`Runtime` is a facade. It builds the shared context (engine/runtime/context.py) and the components, each
a file named for its job, and hands out their methods; it holds no logic of its own:

  access.Guard        who may see a case and act on a task, and why not   (access.py)
  commands.Commands   start, claim, release, reassign, complete, cancel, comments, drafts (commands.py)
  queries.Queries     a task, its page, a case, startable procedures, requests, the organisation (queries.py)
  inbox.Inbox         the inbox (one reader with filters, sorts, pages), search fields, saved filters
  attachments.Attachments, accounts.Accounts, timers.Timers, incidents.Incidents, repair.Repair,
  deployments.Deployments, figures.Figures (operators' figures for /metrics), sop.Procedures (a procedure's SOP),
  tokens.Tokens (personal API tokens)
"""
from engine import notify, sandbox
from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.filestore import FileStore
from engine.runtime import files, spiff
from engine.runtime.access import Guard
from engine.runtime.accounts import Accounts
from engine.runtime.attachments import Attachments
from engine.runtime.case import WorkflowCache
from engine.runtime.catalog import Catalog
from engine.runtime.commands import Commands
from engine.runtime.context import Context
from engine.runtime.deployments import Deployments
from engine.runtime.figures import Figures
from engine.runtime.inbox import Inbox
from engine.runtime.incidents import Incidents
from engine.runtime.queries import Queries
from engine.runtime.repair import Repair
from engine.runtime.sop import Procedures
from engine.runtime.timers import Timers
from engine.runtime.tokens import Tokens
from engine.store import Database


class Runtime:
    """opsflow's engine: deploy, start, claim, release, complete, cancel, fire timers, read."""

    def __init__(self, settings: Settings | None = None, *, database: Database | None = None,
                 clock: Clock | None = None, file_store: FileStore | None = None,
                 notifier: notify.Notifier | None = None) -> None:
        settings = settings or Settings.from_env()
        db = database or Database(settings.database_url, busy_seconds=settings.sqlite_busy_seconds)
        clock = clock or SystemClock()
        catalog = Catalog(db, clock)
        sandbox.configure(sandbox.Limits(settings.script_time_limit, settings.script_memory_limit_mb,
                                         settings.script_data_limit_bytes), settings.sandbox_processes)
        self.context = Context(settings=settings, db=db, catalog=catalog,
                               codec=spiff.WorkflowCodec(catalog.specs_for, settings.script_time_limit),
                               cache=WorkflowCache(settings.instance_cache_size), clock=clock,
                               file_store=file_store if file_store is not None else files.default_store(settings),
                               notifier=notifier or notify.OutboxNotifier())
        self.guard = Guard(self.context)
        self.commands = Commands(self.context, self.guard)
        self.queries = Queries(self.context, self.guard)
        self.inboxes = Inbox(self.context)
        self.attachments = Attachments(self.context, self.guard)
        self.accounts = Accounts(self.context)
        self.timers = Timers(self.context, self.commands, self.attachments)
        self.incidents = Incidents(self.context, self.guard)
        self.repair = Repair(self.context, self.guard)
        self.deployments = Deployments(self.context)
        self.figure_reader = Figures(self.context)
        self.procedures = Procedures(self.context, self.guard)
        self.api_tokens = Tokens(self.context)
        # The facade's methods: each is a component's, by the same name.
        self.init = self.deployments.init
        self.deploy = self.deployments.deploy
        self.activate = self.deployments.activate
        self.versions = self.deployments.versions
        self.package_files = self.deployments.package_files
        self.load_org = self.deployments.load_org
        self.start = self.commands.start
        self.claim = self.commands.claim
        self.release = self.commands.release
        self.reassign = self.commands.reassign
        self.complete = self.commands.complete
        self.cancel = self.commands.cancel
        self.add_comment = self.commands.add_comment
        self.save_draft = self.commands.save_draft
        self.discard_draft = self.commands.discard_draft
        self.task = self.queries.task
        self.task_page = self.queries.task_page
        self.case = self.queries.case
        self.task_actions = self.queries.task_actions
        self.draft = self.queries.draft
        self.candidates = self.queries.candidates
        self.startable = self.queries.startable
        self.start_form = self.queries.start_form
        self.requests = self.queries.requests
        self.field_choices = self.queries.field_choices
        self.users = self.queries.users
        self.departments = self.queries.departments
        self.roles = self.queries.roles
        self.definitions = self.queries.definitions
        self.ping = self.queries.ping
        self.sop = self.procedures.sop
        self.inbox = self.inboxes.inbox
        self.search_fields = self.inboxes.search_fields
        self.saved_filters = self.inboxes.saved_filters
        self.save_filter = self.inboxes.save_filter
        self.delete_filter = self.inboxes.delete_filter
        self.add_attachment = self.attachments.add_attachment
        self.attachment = self.attachments.attachment
        self.open_attachment = self.attachments.open_attachment
        self.purge_pending_uploads = self.attachments.purge_pending_uploads
        self.authenticate = self.accounts.authenticate
        self.account = self.accounts.account
        self.change_password = self.accounts.change_password
        self.end_sessions = self.accounts.end_sessions
        self.people = self.accounts.people
        self.create_token = self.api_tokens.create_token
        self.tokens = self.api_tokens.tokens
        self.revoke_token = self.api_tokens.revoke_token
        self.user_for_token = self.api_tokens.user_for_token
        self.fire_due_timers = self.timers.fire_due_timers
        self.drain_due_timers = self.timers.drain_due_timers
        self.run_worker = self.timers.run_worker
        self.health = self.timers.health
        self.next_timer_due = self.timers.next_timer_due
        self.figures = self.figure_reader.figures
        self.open_incidents = self.incidents.open_incidents
        self.case_incidents = self.incidents.case_incidents
        self.retry_incident = self.incidents.retry_incident
        self.assignment_repair = self.repair.assignment_repair
        self.repair_assignment = self.repair.repair_assignment
        self.stuck_in_case = self.repair.stuck_in_case
        self.stuck_tasks = self.repair.stuck_tasks

    @property
    def settings(self) -> Settings:
        """The engine's settings."""
        return self.context.settings

    @property
    def db(self) -> Database:
        """The database."""
        return self.context.db

    @property
    def catalog(self) -> Catalog:
        """Deployed versions and their parsed specs."""
        return self.context.catalog

    @property
    def codec(self) -> spiff.WorkflowCodec:
        """The workflow serializer."""
        return self.context.codec

    @property
    def cache(self) -> WorkflowCache:
        """Deserialized workflows by case id and lock version."""
        return self.context.cache

    @property
    def file_store(self) -> FileStore:
        """Where uploads are kept."""
        return self.context.file_store

    @property
    def notifier(self) -> notify.Notifier:
        """What turns the commands' events into outbox messages."""
        return self.context.notifier

    @property
    def clock(self) -> Clock:
        """The clock every command, timer and deployment reads."""
        return self.context.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        """Swap the clock everywhere at once (scenarios give each run a fresh one)."""
        self.context.clock = clock

    @property
    def fired_total(self) -> int:
        """Timers fired by the running worker loop, readable after an interrupt."""
        return self.timers.fired_total
