"""`opsflow serve`: gunicorn with one timer worker beside it; `--dev`'s thread fires due timers too."""
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
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
        kinds = [e["kind"] for e in past.case(case_id)["history"]]
        if "sla_breached" in kinds:
            break
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert "sla_breached" in kinds and "task_escalated" in kinds
    past.db.dispose()


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url):
    """(status, JSON body) of a GET, or None while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    except OSError:
        return None


def test_serve_runs_gunicorn_with_one_timer_worker_and_stops_on_term(tmp_path):
    env = dict(os.environ, OPSFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", OPSFLOW_WORKER_POLL_SECONDS="0.1",
               OPSFLOW_WEB_WORKERS="2", OPSFLOW_WEB_THREADS="2", OPSFLOW_SECRET_KEY=secrets.token_urlsafe(32))
    opsflow = [sys.executable, "-m", "webui.cli"]
    subprocess.run([*opsflow, "init"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*opsflow, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline, answers = time.monotonic() + 60, [None]  # until the first heartbeat
        while time.monotonic() < deadline and (answers[-1] is None or answers[-1][0] != 200):
            time.sleep(0.2)
            answers.append(get(f"http://127.0.0.1:{port}/healthz"))
        assert answers[-1] is not None and answers[-1][0] == 200, answers[-1]
        # Both gunicorn workers answer; none of them runs a timer worker of its own.
        probes = [get(f"http://127.0.0.1:{port}/healthz?probe={n}") for n in range(5)]
        assert [p[0] for p in probes] == [200] * 5
        with closing(sqlite3.connect(tmp_path / "serve.db")) as db:
            assert db.execute("SELECT count(*) FROM worker_heartbeats").fetchone() == (1,)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "under gunicorn: 2 processes x 2 threads" in out
    assert all(out.count(f'"GET /healthz?probe={n} HTTP/1.1" 200') == 1 for n in range(5))  # one line per request
    assert "development server" not in out + err and "Traceback" not in err
