"""`opsflow serve` fires due timers in a thread of its own, so the demo's due dates and escalations happen."""
import threading
import time
from datetime import UTC, datetime, timedelta

from engine.clock import ManualClock
from engine.config import Settings
from engine.runtime.service import Runtime
from tests.conftest import ORG_FILE, PROCESSES
from tests.webapp import PURCHASE
from webui.cli import start_worker_thread


def test_serve_starts_a_worker_that_fires_due_timers(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'serve.db'}", password_hash_cost=2**4,
                        worker_poll_seconds=0.05)
    # A case started three days ago: its department head's two-day approval is overdue now.
    past = Runtime(settings, clock=ManualClock(datetime.now(UTC) - timedelta(days=3)))
    past.init()
    past.load_org(ORG_FILE)
    past.deploy([PROCESSES / "procurement"])
    case_id = past.start("procurement", "ops.lin", PURCHASE)
    stop = threading.Event()
    thread = start_worker_thread(settings, stop)
    assert thread.daemon and thread.is_alive()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kinds = [e["kind"] for e in past.describe_case(case_id)["history"]]
        if "sla_breached" in kinds:
            break
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert "sla_breached" in kinds and "task_escalated" in kinds
    past.db.dispose()
