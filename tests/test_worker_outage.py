"""The timer worker outlives database outages: one log line each way, /healthz 503 meanwhile, and the
timers that fell due during an outage fire once it ends, exactly once."""
import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from engine.config import Settings
from engine.runtime.service import Runtime
from tests.conftest import PROCESSES, fresh_postgres_schema, make_runtime, postgres_or_skip
from tests.tcp_proxy import TcpProxy
from tests.webapp import PURCHASE
from webui import create_app

pytestmark = pytest.mark.postgres


def wait_for(condition, what, seconds=20):
    """Poll `condition` until it holds; fail naming `what` if it never does."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def outage_world(clock):
    """A PostgreSQL schema with a purchase case, and a proxy between it and the worker and web app."""
    url, drop = fresh_postgres_schema(postgres_or_skip())
    direct = make_runtime(url, clock)
    direct.deploy([PROCESSES / "procurement"])
    case_id = direct.start("procurement", "ops.lin", PURCHASE)
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield direct, case_id, proxy, proxied
    proxy.close()
    direct.db.dispose()
    drop()


def logged(caplog, words):
    """How many captured log lines contain `words`."""
    return sum(words in r.getMessage() for r in caplog.records)


def breaches(runtime, case_id):
    """How many times the case recorded a missed due date."""
    return [e["kind"] for e in runtime.case(case_id)["history"]].count("sla_breached")


def test_worker_rides_out_outages_and_fires_what_fell_due_once(outage_world, clock, caplog):
    direct, case_id, proxy, proxied = outage_world
    settings = Settings(database_url=proxied, worker_poll_seconds=0.05, worker_retry_max_seconds=0.2,
                        worker_stale_seconds=60)
    worker = Runtime(settings, clock=clock)
    app = create_app({"TESTING": True, "DATABASE_URL": proxied})
    app.extensions["opsflow"].clock = clock
    web = app.test_client()
    stop = threading.Event()
    caplog.set_level(logging.WARNING, logger="engine.runtime.heartbeat")
    thread = threading.Thread(target=worker.run_worker, kwargs={"stop": stop.is_set}, daemon=True)
    thread.start()
    wait_for(lambda: web.get("/healthz").status_code == 200, "the first heartbeat")

    for outage in (1, 2):
        proxy.cut()
        clock.advance(timedelta(days=3) if outage == 1 else timedelta(seconds=1))  # the approval's SLA falls due
        wait_for(lambda n=outage: logged(caplog, "unavailable") == n, "the outage line")
        down = web.get("/healthz")
        assert down.status_code == 503 and down.get_json()["database"]["ok"] is False
        assert breaches(direct, case_id) == outage - 1  # nothing fires while the database is away
        time.sleep(0.6)  # several failed retries within one outage
        proxy.restore()
        wait_for(lambda n=outage: logged(caplog, "available again") == n, "the recovery line")
        wait_for(lambda: web.get("/healthz").status_code == 200, "a fresh heartbeat")

    stop.set()
    thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4 and all(r.exc_info is None for r in caplog.records), lines
    assert breaches(direct, case_id) == 1
    assert web.get("/healthz").get_json()["worker"]["last_error"].startswith("OperationalError")
    worker.db.dispose()
    app.extensions["opsflow"].db.dispose()
