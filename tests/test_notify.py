"""The notifier seam: which messages real commands record, for whom, and that the outbox shares their transaction."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.config import Settings
from engine.errors import ValidationFailed
from engine.notify import OutboxNotifier
from engine.runtime.service import Runtime
from engine.store.models import CaseRecord, OutboxMessage
from tests.conftest import ORG_FILE, PACKAGES, PROCESSES
from tests.notifiers import RecordingNotifier
from tests.webapp import PURCHASE

REQUEST = {"amount": 1200, "reason": "A new keyboard"}


@pytest.fixture
def told(runtime):
    """The runtime with the minimal package deployed and a recording notifier in place of the outbox."""
    runtime.deploy([PACKAGES / "minimal"])
    runtime.context.notifier = RecordingNotifier()
    return runtime


def who(messages):
    """(channel, kind, recipient or role) of each message, to compare in one assertion."""
    return [(m.channel, m.kind, m.recipient or (f"role:{m.role}" if m.role else "pool")) for m in messages]


def open_task(runtime, case_id):
    """The one open task of a case."""
    [task] = runtime.case(case_id)["tasks"]
    return task


def sent_back(runtime):
    """A minimal request its approver sent back: (case id, the revise task open to every employee)."""
    case_id = runtime.start("minimal", "ops.lin", REQUEST)
    runtime.complete(open_task(runtime, case_id)["id"], "ops.wang", {"decision": "reject", "comment": "Too vague"})
    runtime.notifier.take()
    return case_id, open_task(runtime, case_id)


def test_a_task_assigned_to_a_person_is_one_mail_to_them(told):
    case_id = told.start("minimal", "ops.lin", REQUEST)
    [message] = told.notifier.take()
    task = open_task(told, case_id)
    assert who([message]) == [("email", "task_assigned", "ops.wang")]
    assert message.params == {"case_id": case_id, "process_key": "minimal", "task_id": task["id"],
                              "task_key": "approve", "actor": "ops.lin", "due_at": task["due_at"].isoformat()}
    assert message.not_before == told.clock.now() and message.task_id == task["id"]


def test_a_role_task_is_one_digest_entry_not_a_mail_to_each_holder(told):
    case_id = told.start("minimal", "ops.lin", REQUEST)
    told.notifier.take()
    told.complete(open_task(told, case_id)["id"], "ops.wang", {"decision": "reject", "comment": "Too vague"})
    [entry] = told.notifier.take()
    assert who([entry]) == [("digest", "task_queued", "role:employee")]
    assert entry.params["pool"] == "role" and entry.task_id == open_task(told, case_id)["id"]


def test_a_task_for_named_people_is_one_digest_entry_read_from_its_candidates_when_sent(runtime):
    runtime.deploy([PROCESSES / "procurement"])
    runtime.context.notifier = RecordingNotifier()
    expensive = dict(PURCHASE, items=[dict(PURCHASE["items"][0], quantity=10)])  # 90,000 TWD: operations too
    case_id = runtime.start("procurement", "ops.lin", expensive)
    head = open_task(runtime, case_id)
    runtime.notifier.take()
    runtime.complete(head["id"], head["assignee"], {"head_decision": "approve"})
    [entry] = runtime.notifier.take()
    assert who([entry]) == [("digest", "task_queued", "pool")]
    assert (entry.params["pool"], entry.params["task_key"]) == ("people", "approve_operations_manager")


def test_a_completed_case_tells_its_starter_how_it_ended(told):
    case_id = told.start("minimal", "ops.lin", REQUEST)
    told.notifier.take()
    told.complete(open_task(told, case_id)["id"], "ops.wang", {"decision": "approve"})
    [message] = told.notifier.take()
    assert who([message]) == [("email", "case_completed", "ops.lin")]
    assert message.params["end_event"] == "end_approved"


def test_a_breach_tells_the_supervisors_and_the_escalation_tells_the_new_assignee(told, clock):
    case_id = told.start("minimal", "ops.lin", REQUEST)
    told.notifier.take()
    clock.advance(timedelta(days=2, hours=1))
    assert told.fire_due_timers() == 1
    messages = told.notifier.take()
    assert who(messages) == [("email", "task_overdue", "role:operations-manager"),
                             ("email", "task_escalated", "ceo.lee")]
    assert messages[1].params["escalated_from"] == "ops.wang"
    assert messages[0].params["assignee"] == "ops.wang" and messages[0].case_id == case_id


def test_a_claim_tells_nobody_a_release_queues_the_task_again_and_a_handover_tells_the_new_assignee(told):
    _case_id, task = sent_back(told)
    told.claim(task["id"], "ops.chen")
    assert told.notifier.take() == []
    told.release(task["id"], "ops.chen")
    assert who(told.notifier.take()) == [("digest", "task_queued", "role:employee")]
    told.reassign(task["id"], "ops.wang", "ops.tsai")
    [message] = told.notifier.take()
    assert who([message]) == [("email", "task_assigned", "ops.tsai")]
    assert message.params["actor"] == "ops.wang"


def test_nobody_is_mailed_about_a_task_they_handed_to_themselves(told):
    _case_id, task = sent_back(told)
    told.reassign(task["id"], "ops.wang", "ops.wang")
    assert told.notifier.take() == []


def test_a_cancel_tells_the_starter_unless_they_cancelled(told):
    own = told.start("minimal", "ops.lin", REQUEST)
    other = told.start("minimal", "ops.lin", REQUEST)
    told.notifier.take()
    told.cancel(own, "ops.lin", "No longer needed")
    assert told.notifier.take() == []
    told.cancel(other, "ops.wang", "Budget frozen")
    [message] = told.notifier.take()
    assert who([message]) == [("email", "case_cancelled", "ops.lin")]
    assert message.params["reason"] == "Budget frozen" and message.params["actor"] == "ops.wang"


def test_the_outbox_rows_of_a_command_are_unsent_and_due_at_once(runtime):
    runtime.deploy([PACKAGES / "minimal"])
    case_id = runtime.start("minimal", "ops.lin", REQUEST)
    with runtime.db.read() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert (row.channel, row.kind, row.recipient, row.role, row.case_id) == (
        "email", "task_assigned", "ops.wang", None, case_id)
    assert (row.attempts, row.sent_at, row.last_error) == (0, None, None)
    assert row.created_at == row.not_before == runtime.clock.now()
    assert row.params["task_key"] == "approve"


class FailingAfterWriting(OutboxNotifier):
    """The real outbox, after which the command fails: its rows must go with the rest of the command."""

    def notify(self, connection, happenings):
        """Write the rows, then fail the command."""
        super().notify(connection, happenings)
        if happenings:
            raise ValidationFailed({"": "refused after the outbox rows were written"})


def test_a_command_that_fails_leaves_no_outbox_row(db_url, clock):
    settings = Settings(database_url=db_url, password_hash_cost=2**4)
    runtime = Runtime(settings, clock=clock, notifier=FailingAfterWriting())
    runtime.init()
    runtime.load_org(ORG_FILE)
    runtime.deploy([PACKAGES / "minimal"])
    with pytest.raises(ValidationFailed):
        runtime.start("minimal", "ops.lin", REQUEST)
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(CaseRecord)) == 0
    runtime.db.dispose()


def test_the_same_message_twice_is_recorded_once(runtime):
    runtime.deploy([PACKAGES / "minimal"])
    recorder = RecordingNotifier()
    runtime.context.notifier = recorder
    runtime.start("minimal", "ops.lin", REQUEST)
    with runtime.db.write() as session:
        for _ in range(2):
            OutboxNotifier().notify(session.connection(), recorder.happenings)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_case_save_hands_over_its_events_and_the_tasks_it_opened(told):
    told.start("minimal", "ops.lin", REQUEST)
    kinds = [h.kind for h in told.notifier.happenings]
    assert kinds == ["case_started", "task_opened"]
    opened = told.notifier.happenings[1]
    assert (opened.actor, opened.starter, opened.process_key) == ("ops.lin", "ops.lin", "minimal")
    assert opened.data["assignee"] == "ops.wang" and opened.supervisor_roles == ("operations-manager",)
