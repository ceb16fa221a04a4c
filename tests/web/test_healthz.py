"""/healthz answers for the database and the timer workers, whichever machine they run on."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from engine.clock import ManualClock
from engine.runtime.heartbeat import Outage
from webui import create_app


@pytest.fixture
def app(tmp_path):
    """An app on a fresh SQLite database, its runtime on a manual clock, 60 s until a heartbeat is stale."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'opsflow.db'}",
                      "WORKER_STALE_SECONDS": 60, "WORKER_POLL_SECONDS": 0.01})
    runtime = app.extensions["opsflow"]
    runtime.clock = ManualClock()
    runtime.init()
    yield app
    runtime.db.dispose()


def poll_once(runtime):
    """One pass of the real worker loop (it stops after its first poll)."""
    runtime.run_worker(stop=lambda: True)


def test_healthz_is_503_until_a_worker_has_polled(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == {"ok": True} and response.get_json()["worker"] is None


def test_healthz_is_ok_with_a_fresh_heartbeat_and_503_once_it_is_stale(app):
    runtime, client = app.extensions["opsflow"], app.test_client()
    poll_once(runtime)
    fresh = client.get("/healthz")
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "ok"
    assert fresh.get_json()["worker"]["seconds_since_poll"] == 0
    runtime.clock.advance(timedelta(seconds=61))
    stale = client.get("/healthz")
    assert stale.status_code == 503 and "61 s old" in stale.get_json()["reason"]
    poll_once(runtime)
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["ok"] is False
    assert response.get_json()["database"]["error"].startswith("OperationalError")


def test_an_outage_logs_one_line_when_it_starts_and_one_when_it_ends_with_doubling_waits(caplog):
    caplog.set_level(logging.WARNING, logger="engine.runtime.heartbeat")
    outage = Outage(first_wait=1, longest_wait=5)
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly\nmore"))
    assert [outage.failed(lost) for _ in range(5)] == [1, 2, 4, 5, 5]
    outage.ended()
    outage.ended()
    started, ended = (r.getMessage() for r in caplog.records)  # exactly two lines
    assert started.startswith("database unavailable") and ended.startswith("database available again")
    assert caplog.records[1].getMessage().endswith("(5 failed polls); due timers fire now")
    assert "server closed the connection unexpectedly;" in caplog.records[0].getMessage()
