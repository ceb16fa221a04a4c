"""The notifier seam: the protocol commands call, and the outbox that fills it for real."""
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from engine.notify.happenings import Happening
from engine.notify.rules import messages_for
from engine.store.models import OutboxMessage

OUTBOX = OutboxMessage.__table__
# A message already recorded (same dedupe key) is left alone, never a failed command; inline(): no keys back,
# so the insert joins the command's batch.
INSERT_OUTBOX = {name: module.insert(OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]).inline()
                 for name, module in (("postgresql", postgresql), ("sqlite", sqlite))}


class Notifier(Protocol):
    """What a command tells about what it did; a notifier writes only on the connection it is given."""

    def notify(self, connection: Connection, happenings: Sequence[Happening]) -> None:
        """Record, inside the command's transaction on `connection`, what `happenings` mean for people."""


class OutboxNotifier:
    """The runtime's notifier: each message the rules call for becomes an unsent `outbox` row; the worker sends it."""

    def notify(self, connection: Connection, happenings: Sequence[Happening]) -> None:
        """Insert the messages of `happenings` (nothing when there are none) in the command's transaction."""
        rows = [message.row() for message in messages_for(happenings)]
        if rows:
            connection.execute(INSERT_OUTBOX[connection.dialect.name], rows)
