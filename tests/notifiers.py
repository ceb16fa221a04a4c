"""Test notifiers: a fake that writes nothing and keeps what the runtime told it."""
from engine.notify import messages_for


class RecordingNotifier:
    """Keeps every happening a command hands over and the messages the real rules make of them; writes nothing.

    Unlike the outbox, it also keeps what a command that failed afterwards had handed over.
    """

    def __init__(self):
        self.happenings = []
        self.messages = []

    def notify(self, connection, happenings):
        """Record the happenings and their messages instead of inserting outbox rows."""
        self.happenings += happenings
        self.messages += messages_for(happenings)

    def take(self):
        """The messages recorded since the last take, in order."""
        taken, self.messages = self.messages, []
        return taken
