"""The records the runtime hands out and its parts pass among themselves, as TypedDicts.

A TypedDict is still a plain dict at run time, so the web's templates, the CLI and the tests read these by
key as before, while mypy (`make test`) holds every key to its name and its value to its type: a misspelt
key of a task page or a case is a failed check, not a blank on a page. Values that come from a package or a
form (case data, a form schema, a manifest's parts) stay `JsonObject`: their shape is the package's.
"""
from datetime import datetime
from typing import Any, NotRequired, TypedDict

# JSON as packages, forms and case data hold it: keys are text, values anything JSON allows.
JsonObject = dict[str, Any]

# A text in both of the UI's languages, as manifests and forms give names and titles.
Texts = TypedDict("Texts", {"en": str, "zh-Hant": str})


# --- Tasks ------------------------------------------------------------------------------------------------


class TaskRow(TypedDict):
    """An open task's row (access.TASK_COLUMNS): a case's open steps, the start of every other task record."""

    id: str
    case_id: int
    process_key: str
    task_key: str
    title_en: str
    title_zh: str
    lane: str | None
    role: str | None
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    escalated_at: datetime | None
    priority: int


class OpenTask(TaskRow):
    """An open task joined with its case's facts, and what the user it was read for is to it (access.open_task)."""

    pool: str
    definition_id: int
    status: str
    starter: str
    lock_version: int
    has_role: bool
    is_candidate: bool
    is_excluded: bool
    user_active: bool


class TaskView(OpenTask):
    """A task as its page shows it (`Runtime.task`): its named pool's candidates, title, form and data."""

    candidates: list[str]
    title: Texts
    schema: JsonObject | None
    data: JsonObject
    version: int
    instructions: str


class TaskActions(TypedDict):
    """Which buttons an open task shows a user."""

    can_complete: bool
    can_claim: bool
    can_release: bool
    can_reassign: bool


class Draft(TypedDict):
    """What a user typed into a task's form and kept without submitting."""

    data: JsonObject
    saved_at: datetime


class Person(TypedDict):
    """An active user as pickers and candidate lists show them."""

    username: str
    name: str
    department: str | None


class RepairFacts(TypedDict):
    """Why nobody may take a task (its last `assignment_failed` event's data, {} when its people left since),
    and who a supervisor's repair may hand it to."""

    failure: JsonObject
    targets: list[Person]


class AttachmentMeta(TypedDict):
    """What is known of an upload (its bytes are in the file store under `id`); `case_id` None: pending."""

    id: str
    case_id: int | None
    task_id: str | None
    field: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class Outcome(TypedDict):
    """What completing a task did to its case."""

    case_id: int
    status: str


# --- Cases ------------------------------------------------------------------------------------------------


class CaseView(TypedDict):
    """A case: its row's facts, open tasks, data, path and history (`Runtime.case`)."""

    id: int
    process_key: str
    version: int
    definition_id: int
    status: str
    starter: str
    started_at: datetime
    ended_at: datetime | None
    end_event: str | None
    search: JsonObject
    tasks: list[TaskRow]
    data: JsonObject
    path: list[str]
    history: list["CaseEvent"]


class NodeStates(TypedDict):
    """Sorted BPMN ids of a case's flow nodes by state: done, current (ready or started), waiting."""

    done: list[str]
    current: list[str]
    waiting: list[str]


class Diagram(NodeStates):
    """A case drawn on its procedure's diagram: the node states, the BPMN XML in the reader's language."""

    xml: str
    process_id: str


class CasePage(CaseView):
    """A case as its page shows it (`Runtime.case` with a language): the procedure's name, the diagram,
    attachments, and what the viewer may do."""

    name: Texts
    attachments: list[AttachmentMeta]
    is_supervisor: bool
    can_cancel: bool
    diagram: Diagram


class TaskPage(TypedDict):
    """Everything a task's page shows, read in one transaction (`Runtime.task_page`)."""

    task: TaskView
    actions: TaskActions
    draft: Draft | None
    case: CasePage | None
    candidates: list[Person]
    repair: RepairFacts | None
    attachments: dict[str, AttachmentMeta]
    people: list[Person] | None


class WaitingTask(TypedDict):
    """An open task of a request, as its starter sees who it waits for."""

    id: str
    title_en: str
    title_zh: str
    role: str | None
    assignee: str | None
    since: datetime
    due_at: datetime | None


class RequestRow(TypedDict):
    """A case a user started, with the tasks it waits for."""

    id: int
    process_key: str
    version: int
    status: str
    started_at: datetime
    ended_at: datetime | None
    updated_at: datetime
    search: JsonObject
    end_event: str | None
    waiting: list[WaitingTask]
    can_cancel: bool


class RequestsPage(TypedDict):
    """One page of a user's requests, newest first."""

    cases: list[RequestRow]
    total: int
    page: int
    pages: int


class Incident(TypedDict):
    """An open incident: a timer the engine refused, held on its running case until a supervisor retries it."""

    id: int
    case_id: int
    process_key: str
    version: int
    task_id: str | None
    timer: str | None
    due_at: str | None
    since: datetime
    reason: str


class CaseIncidents(TypedDict):
    """A case's open incidents, and whether the reader may retry them."""

    incidents: list[Incident]
    can_retry: bool


# --- Procedures -------------------------------------------------------------------------------------------


class SearchField(TypedDict):
    """A manifest's searchable case field: stored for the inbox's filters, labelled in both languages."""

    field: str
    type: str
    label: Texts
    choices: NotRequired[dict[str, Texts]]
    filter: NotRequired[bool]


class Procedure(TypedDict):
    """Key, version, name and description of a deployed version."""

    key: str
    version: int
    name: Texts
    description: Texts


class StartableProcedure(Procedure):
    """A procedure a user may start, and whether its start form asks anything."""

    has_form: bool


class StartForm(Procedure):
    """The start form of a procedure's active version, its choices worked out for the user."""

    title: Texts
    schema: JsonObject | None
    instructions: str
    searchable: list[SearchField]


class ActiveDefinition(TypedDict):
    """The version new cases of a procedure start on."""

    id: int
    key: str
    version: int
    manifest: JsonObject
    deployed_at: datetime


class Deployed(TypedDict):
    """What deploying one package did: a new version, or the same content found deployed already."""

    key: str
    version: int
    created: bool
    id: int
    active: bool
    active_version: int | None


class DeployResult(Deployed):
    """One package's deploy, and whether its roles were checked against a loaded organisation."""

    roles_checked: bool


class Activated(TypedDict):
    """An activation: the version new cases start on now, the one before, and whether that changed."""

    key: str
    version: int
    was: int | None
    changed: bool


class VersionInfo(TypedDict):
    """One deployed version of a procedure, and whether new cases start on it."""

    version: int
    deployed_at: datetime
    deployed_by: str | None
    content_hash: str
    active: bool


class PackageFiles(TypedDict):
    """A deployed version's package files as deployed (path -> bytes; scenarios are never stored), and its facts."""

    key: str
    version: int
    content_hash: str
    active: bool
    files: dict[str, bytes]


# --- The inbox --------------------------------------------------------------------------------------------


class InboxTask(TaskRow):
    """An inbox row: the task with its pool, its case's starter and search fields, its named pool's candidates."""

    pool: str
    starter: str
    search: JsonObject
    candidates: list[str]


class InboxCounts(TypedDict):
    """The counts of the inbox's tabs over the user's whole inbox, filters ignored."""

    all: int
    mine: int
    unclaimed: int
    overdue: int
    due_soon: int


class InboxPage(TypedDict):
    """One page of a user's open tasks, with the tabs' counts."""

    tasks: list[InboxTask]
    total: int
    page: int
    pages: int
    per_page: int
    counts: InboxCounts


class SavedInboxFilter(TypedDict):
    """A user's named inbox filter (the inbox page's query string)."""

    id: int
    name: str
    query: str


# --- People and the organisation --------------------------------------------------------------------------


class Account(TypedDict):
    """What the web UI keeps of a signed-in user."""

    username: str
    name: str
    email: str | None
    department: str | None
    roles: list[str]
    language: str | None
    session_generation: int


class OrgUser(TypedDict):
    """A user of the organisation with department, manager and roles."""

    username: str
    name: str
    email: str | None
    department: str | None
    manager: str | None
    active: bool
    roles: list[str]


class DepartmentRow(TypedDict):
    """A department with its names and head."""

    key: str
    name_en: str
    name_zh: str
    head: str | None


class RoleRow(TypedDict):
    """A role with its names."""

    key: str
    name_en: str
    name_zh: str


class StuckTask(TaskRow):
    """A task nobody may take, with its case's starter."""

    starter: str


class StuckTasks(TypedDict):
    """How many tasks nobody may take there are in the procedures a user supervises, and the oldest of them."""

    total: int
    tasks: list[StuckTask]


# --- Health -----------------------------------------------------------------------------------------------


class DatabaseHealth(TypedDict):
    """Whether the database answered, and why not."""

    ok: bool
    error: NotRequired[str]


class WorkerHealth(TypedDict):
    """The newest timer worker heartbeat (times as ISO text)."""

    id: str
    host: str
    pid: int
    started_at: str
    last_poll_at: str
    seconds_since_poll: float
    stale_after_seconds: float
    last_error: str | None
    last_error_at: str | None


class Health(TypedDict):
    """What /healthz answers: "ok" only when the database answers and a worker polled lately; else a reason."""

    status: str
    database: DatabaseHealth
    worker: WorkerHealth | None
    reason: NotRequired[str]


# --- Operators' figures (/metrics) ----------------------------------------------------------------------


class CaseCount(TypedDict):
    """How many cases of one procedure are in one status."""

    process_key: str
    status: str
    count: int


class ProcedureTasks(TypedDict):
    """Open tasks of one procedure, and how many of them are past their due time."""

    process_key: str
    open: int
    overdue: int


class RoleTasks(TypedDict):
    """Open tasks of one role ("" for tasks offered to named people only)."""

    role: str
    open: int


class TimersDue(TypedDict):
    """Unfired timers of one kind (bpmn, sla, start) whose due time has come."""

    kind: str
    count: int


class OperationsFigures(TypedDict):
    """What /metrics reports, counted in SQL at one moment; empty lists when the database did not answer."""

    database_ok: bool
    cases: list[CaseCount]
    tasks: list[ProcedureTasks]
    tasks_by_role: list[RoleTasks]
    timers_due: list[TimersDue]
    # Seconds since the newest worker heartbeat's last successful poll; None when no worker ever polled.
    worker_lag_seconds: float | None


# --- Records the runtime's parts pass among themselves ----------------------------------------------------


class CaseRow(TypedDict):
    """The facts of a case row a command works on (rows.load_row, or an open task's case: no `viewers`).

    A case being started has only its status and starter until its insert gives it an id and a lock version.
    """

    id: NotRequired[int]
    definition_id: NotRequired[int]
    status: str
    starter: str
    lock_version: NotRequired[int]
    process_key: NotRequired[str]
    viewers: NotRequired[list[str] | None]


class TaskRef(TypedDict):
    """The task an event is about: its id and BPMN id."""

    id: str
    bpmn_id: str


class TaskData(TaskRef):
    """A task and its data: what assignee, due and priority expressions are evaluated over."""

    data: JsonObject


class TaskInfo(TaskData):
    """Plain facts of a SpiffWorkflow task: its ids, name, lane and data."""

    name: str
    lane: str | None


class CaseEvent(TypedDict):
    """One event of a case's history: as a command queues it, and as a case view lists it."""

    at: datetime
    actor: str | None
    kind: str
    task_id: str | None
    task_key: str | None
    data: JsonObject


class Titles(TypedDict):
    """A new task's title in each language, as its row stores them."""

    title_en: str
    title_zh: str


class NewTaskRow(Titles):
    """The row of a task that just became ready (its case's id is added when it is inserted)."""

    id: str
    process_key: str
    task_key: str
    lane: str | None
    role: str | None
    assignee: str | None
    created_at: datetime
    pool: str
    due_at: datetime | None
    escalated_at: datetime | None
    priority: int


class TaskPersonRow(TypedDict):
    """A task_people row: a candidate of a named pool, or someone excluded from the task."""

    task_id: str
    username: str
    relation: str


# --- Standard operating procedures -------------------------------------------------------------------------


class UserStep(TypedDict):
    """A user task of a parsed process: BPMN id, BPMN name, lane."""

    bpmn_id: str
    name: str
    lane: str | None


class DecisionColumn(TypedDict):
    """An input (label, expression) or output (label, name) column of a decision table."""

    label: str
    expression: NotRequired[str]
    name: NotRequired[str]


class DecisionRule(TypedDict):
    """One row of a decision table: its description, input cells (None: any value) and output cells."""

    description: str
    inputs: list[str | None]
    outputs: list[str | None]


class DecisionTableView(TypedDict):
    """A DMN table as the engine runs it, with the business rule task that calls it."""

    step: str
    id: str
    hit_policy: str
    inputs: list[DecisionColumn]
    outputs: list[DecisionColumn]
    rules: list[DecisionRule]


class TimerView(TypedDict):
    """A timer event: kind (date, duration, cycle), its expression, the step a boundary timer sits on."""

    bpmn_id: str
    kind: str
    expression: str
    start: bool
    attached_to: str | None
    interrupting: bool | None


class SopField(TypedDict):
    """A form field as an SOP lists it: its path, label in both languages, kind, whether required, limits."""

    path: str
    depth: int
    label: Texts
    help: Texts | None
    kind: str
    required: bool
    limits: dict[str, Any]
    choices: list[Texts]


class SopForm(TypedDict):
    """A form's title, instructions (the package's source text) and fields."""

    title: Texts
    instructions: Texts | None
    fields: list[SopField]


class SopStep(TypedDict):
    """A user task as the SOP describes it: who does it, by when, what happens when late, what they fill in."""

    bpmn_id: str
    title: Texts
    lane: str | None
    role: str | None
    assignee: str | None
    candidates: str | None
    exclude: list[str]
    separate_from: list[str]
    due: str | None
    due_expression: str | None
    priority: int | None
    priority_expression: str | None
    escalate_to: str | None
    form: SopForm | None


class Sop(Procedure):
    """A procedure's standard operating procedure, generated from the version that runs (Runtime.sop)."""

    active: bool
    owner_role: str | None
    start_roles: list[str]
    supervisor_roles: list[str]
    confidential_roles: list[str] | None
    role_names: dict[str, Texts]
    start_form: SopForm | None
    steps: list[SopStep]
    step_names: dict[str, Texts]
    decisions: list[DecisionTableView]
    timers: list[TimerView]
    diagram: str


# --- API tokens ------------------------------------------------------------------------------------------


class ApiTokenView(TypedDict):
    """A personal API token as its owner sees it in a list (tokens.Tokens.tokens): never its secret."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    expired: bool


class NewApiToken(TypedDict):
    """A token just made: its secret, shown this once (only its hash is kept), and the token as listed."""

    secret: str
    token: ApiTokenView
