"""Which messages a command's happenings call for, and to whom: the notifier's whole policy.

- A task opened for, handed or repaired to a person: `task_assigned` e-mail to them (not when they
  did it themselves, e.g. a supervisor handing a task to themself).
- A task opened in a pool, or released back to it: one `task_queued` digest entry, never a mail to each
  holder. The entry names the role (role pool) or only the task (named people, read from its
  task_people rows when sent); the sender groups a recipient's entries into one `queue_digest` and
  drops entries whose task was taken or closed meanwhile.
- An SLA breach: `task_overdue` e-mail to each supervising role (its holders, resolved when sent);
  an escalation: `task_escalated` e-mail to the person it went to.
- A case that completed: `case_completed` to its starter; cancelled by someone else: `case_cancelled`.

Params carry ids and facts, not text: the sender writes the text in the recipient's language when it
sends. A message's `dedupe_key` (kind, case, task, recipient, the happening's time) is unique in the outbox.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.notify.happenings import TASK_OPENED, Happening

EMAIL, DIGEST = "email", "digest"


@dataclass(frozen=True)
class Message:
    """One outbox row to be: a channel, a message kind, a recipient (a username, or the holders of `role`)."""

    channel: str
    kind: str
    recipient: str | None
    role: str | None
    case_id: int
    task_id: str | None
    created_at: datetime
    not_before: datetime
    dedupe_key: str
    params: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The outbox row of this message, unsent."""
        return {"channel": self.channel, "kind": self.kind, "recipient": self.recipient, "role": self.role,
                "case_id": self.case_id, "task_id": self.task_id, "params": self.params,
                "dedupe_key": self.dedupe_key, "created_at": self.created_at, "not_before": self.not_before,
                "attempts": 0, "sent_at": None, "last_error": None}


def messages_for(happenings: Iterable[Happening]) -> list[Message]:
    """Every message the happenings of one command call for, in their order."""
    return [message for h in happenings for message in RULES.get(h.kind, _nothing)(h)]


def _task_opened(h: Happening) -> list[Message]:
    """A new task: its assignee hears of it, else its pool's digest lists it."""
    assignee = h.data.get("assignee")
    if assignee is None:
        return [_queued(h)]
    return _assigned(h, assignee)


def _handed_over(h: Happening) -> list[Message]:
    """A reassignment or repair: the new assignee hears of it."""
    return _assigned(h, h.data.get("assignee"))


def _released(h: Happening) -> list[Message]:
    """A task given back to its pool waits in the pool's digest again."""
    return [_queued(h)]


def _breached(h: Happening) -> list[Message]:
    """A task past its due time: every supervising role hears of it."""
    return [_message(h, EMAIL, "task_overdue", role=role, due_at=h.data.get("due_at"),
                     assignee=h.data.get("assignee")) for role in h.supervisor_roles]


def _escalated(h: Happening) -> list[Message]:
    """An overdue task handed on by its escalation rule: the person it went to hears of it."""
    return [_message(h, EMAIL, "task_escalated", recipient=h.data["to"], escalated_from=h.data.get("from"))]


def _completed(h: Happening) -> list[Message]:
    """A case that reached an end: its starter hears how it ended."""
    return [_message(h, EMAIL, "case_completed", recipient=h.starter, end_event=h.data.get("end_event"))]


def _cancelled(h: Happening) -> list[Message]:
    """A case someone else cancelled: its starter hears who and why."""
    if h.actor == h.starter:
        return []
    return [_message(h, EMAIL, "case_cancelled", recipient=h.starter, reason=h.data.get("reason", ""))]


def _nothing(h: Happening) -> list[Message]:
    """Most events concern nobody beyond the history (a comment, a fired timer, a claim)."""
    return []


RULES: dict[str, Callable[[Happening], list[Message]]] = {
    TASK_OPENED: _task_opened,
    "task_reassigned": _handed_over,
    "assignment_repaired": _handed_over,
    "task_released": _released,
    "sla_breached": _breached,
    "task_escalated": _escalated,
    "case_completed": _completed,
    "case_cancelled": _cancelled,
}


def _assigned(h: Happening, person: str | None) -> list[Message]:
    """`task_assigned` to a person, unless nobody or they themselves did it."""
    if not person or person == h.actor:
        return []
    return [_message(h, EMAIL, "task_assigned", recipient=person, due_at=h.data.get("due_at"))]


def _queued(h: Happening) -> Message:
    """A digest entry for a task waiting in a pool: its role's holders, or its named candidates."""
    role = h.data.get("role") if h.data.get("pool") == "role" else None
    return _message(h, DIGEST, "task_queued", role=role, pool=h.data.get("pool"), due_at=h.data.get("due_at"))


def _message(h: Happening, channel: str, kind: str, recipient: str | None = None, role: str | None = None,
             **params: Any) -> Message:
    """A message about happening `h`, due at once, with the case facts every message carries."""
    who = recipient or (f"role:{role}" if role else "pool")
    key = f"{kind}:{h.case_id}:{h.task_id or '-'}:{who}:{h.at.isoformat()}"
    facts = {"case_id": h.case_id, "process_key": h.process_key, "task_id": h.task_id, "task_key": h.task_key,
             "actor": h.actor}
    return Message(channel=channel, kind=kind, recipient=recipient, role=role, case_id=h.case_id,
                   task_id=h.task_id, created_at=h.at, not_before=h.at, dedupe_key=key, params=dict(facts, **params))
