"""What a notifier is told: one `Happening` per event a command writes and per task it opens.

The runtime builds them (engine/runtime/happenings.py); this package sits below it and knows no runtime.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TASK_OPENED = "task_opened"  # not a history event: the task row a command inserts, as the notifier sees it


@dataclass(frozen=True)
class Happening:
    """One thing a command did to a case, with the case facts a notifier needs to say who should hear of it.

    `kind`, `at`, `actor`, `task_id`, `task_key` and `data` are the event row's (for `task_opened`: the new
    task's assignee, role, pool, due time and priority). `supervisor_roles` are the procedure's supervising
    roles other than admin, given where a case is saved (breaches are told to them).
    """

    kind: str
    case_id: int
    process_key: str
    starter: str
    at: datetime
    actor: str | None = None
    task_id: str | None = None
    task_key: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    supervisor_roles: tuple[str, ...] = ()
