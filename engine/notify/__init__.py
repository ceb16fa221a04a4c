"""Notifications: what a command's events mean for people, recorded in the command's own transaction.

A command hands what happened (`Happening`: the event rows it writes, and the tasks it opened) to the
runtime's `Notifier` on its own connection. `OutboxNotifier`, the one real notifier, turns them into
messages (`rules.messages_for`) and inserts them as `outbox` rows in that transaction: a command that
fails records no message, and nothing is sent inside a user's request. The worker sends the rows later.
"""
from engine.notify.happenings import TASK_OPENED, Happening
from engine.notify.notifier import Notifier, OutboxNotifier
from engine.notify.rules import Message, messages_for

__all__ = ["TASK_OPENED", "Happening", "Message", "Notifier", "OutboxNotifier", "messages_for"]
