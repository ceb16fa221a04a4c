"""/metrics: the engine's figures and request latencies in Prometheus's format, for operators only."""
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.clock import ManualClock
from engine.runtime.heartbeat import Heartbeat
from tests.conftest import ORG_FILE, PACKAGES
from tests.web.test_serve import free_port
from tests.webapp import build_app

TOKEN = "scrape-" + "x" * 24
ELSEWHERE = {"REMOTE_ADDR": "10.0.0.5"}
REQUEST = {"amount": 120, "reason": "Chairs for the meeting room"}


@pytest.fixture
def app(db_url, tmp_path):
    """An app on each backend with the demo organisation and the minimal and wait packages; a metrics token set."""
    app = build_app(tmp_path / "unused.db", tmp_path, ManualClock(), DATABASE_URL=db_url, METRICS_TOKEN=TOKEN)
    runtime = app.extensions["opsflow"]
    runtime.init()
    runtime.load_org(ORG_FILE)
    runtime.deploy([PACKAGES / "minimal", PACKAGES / "wait"])
    yield app
    runtime.db.dispose()


def samples(response):
    """{(name, sorted labels): value} of an exposition (which must parse)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def test_the_figures_match_the_cases_tasks_timers_and_heartbeat(app):
    runtime = app.extensions["opsflow"]
    done, cancelled, waiting = (runtime.start("minimal", "sales.lu", REQUEST) for _ in range(3))
    task = runtime.case(done)["tasks"][0]
    runtime.complete(task["id"], task["assignee"], {"decision": "approve"})
    runtime.cancel(cancelled, "sales.lu")
    runtime.start("wait", "sales.lu", {})
    open_task = runtime.case(waiting)["tasks"][0]
    before = samples(app.test_client().get("/metrics"))
    assert before[("opsflow_open_tasks", (("procedure", "minimal"),))] == 1
    assert before[("opsflow_overdue_tasks", (("procedure", "minimal"),))] == 0
    assert not any(name == "opsflow_timers_due" for name, _ in before)
    assert not any(name == "opsflow_worker_lag_seconds" for name, _ in before)  # no worker ever polled

    Heartbeat(runtime.db, runtime.clock).beat()
    # Past the approval's two days and the wait's hour, not yet at the approval's three-day boundary timer.
    runtime.clock.advance(timedelta(days=2, hours=1))
    figures = samples(app.test_client().get("/metrics"))
    assert figures[("opsflow_database_up", ())] == 1
    assert {labels: value for (name, labels), value in figures.items() if name == "opsflow_cases"} == {
        (("procedure", "minimal"), ("status", "completed")): 1, (("procedure", "minimal"), ("status", "cancelled")): 1,
        (("procedure", "minimal"), ("status", "running")): 1, (("procedure", "wait"), ("status", "running")): 1}
    assert figures[("opsflow_open_tasks", (("procedure", "minimal"),))] == 1
    assert figures[("opsflow_overdue_tasks", (("procedure", "minimal"),))] == 1
    assert figures[("opsflow_open_tasks_by_role", (("role", open_task["role"] or ""),))] == 1
    assert figures[("opsflow_timers_due", (("kind", "bpmn"),))] == 1  # the wait
    assert figures[("opsflow_timers_due", (("kind", "sla"),))] == 1  # the approval's due time
    assert figures[("opsflow_worker_lag_seconds", ())] == 49 * 3600


def test_the_latency_histogram_counts_requests_under_their_url_rule(app):
    client = app.test_client()
    for case_id in (101, 102, 103):  # three paths, one rule
        client.get(f"/cases/{case_id}")
    client.get("/no/such/page")
    figures = samples(client.get("/metrics"))
    rule = (("endpoint", "/cases/<int:case_id>"), ("method", "GET"))
    assert figures[("opsflow_http_request_duration_seconds_count", rule)] == 3
    assert figures[("opsflow_http_request_duration_seconds_bucket", (*rule[:1], ("le", "+Inf"), rule[1]))] == 3
    assert figures[("opsflow_http_request_duration_seconds_count", (("endpoint", "unmatched"), ("method", "GET")))] == 1
    assert not any("/cases/101" in str(labels) for _, labels in figures)


def test_only_loopback_clients_or_the_token_get_the_figures(app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client's REMOTE_ADDR is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 404
    assert client.get("/metrics", environ_base=ELSEWHERE,
                      headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/metrics", environ_base=ELSEWHERE,
                      headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 404
    assert client.get("/metrics", environ_base=ELSEWHERE,
                      headers={"Authorization": f"Basic {TOKEN}"}).status_code == 404
    # A proxy on this machine forwarding someone else's request is not this machine asking.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


def test_without_a_token_only_loopback_clients_get_the_figures(tmp_path):
    app = build_app(tmp_path / "opsflow.db", tmp_path)
    app.extensions["opsflow"].init()
    client = app.test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base=ELSEWHERE, headers={"Authorization": "Bearer "}).status_code == 404
    app.extensions["opsflow"].db.dispose()


def test_trusted_proxies_name_the_client_that_is_checked(tmp_path):
    app = build_app(tmp_path / "opsflow.db", tmp_path, PROXY_COUNT=1)
    app.extensions["opsflow"].init()
    client = app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    app.extensions["opsflow"].db.dispose()


def test_a_scrape_without_a_database_says_so_instead_of_failing(tmp_path):
    app = build_app(tmp_path / "opsflow.db", tmp_path, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    figures = samples(app.test_client().get("/metrics"))
    assert figures[("opsflow_database_up", ())] == 0
    assert not any(name.startswith("opsflow_cases") for name, _ in figures)


@pytest.mark.slow
def test_serve_adds_up_every_web_process_latencies_and_removes_its_folder(tmp_path):
    env = dict(os.environ, OPSFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", OPSFLOW_WEB_WORKERS="2",
               OPSFLOW_WEB_THREADS="1", OPSFLOW_SECRET_KEY=secrets.token_urlsafe(32), TMPDIR=str(tmp_path))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    opsflow = [sys.executable, "-m", "webui.cli"]
    subprocess.run([*opsflow, "init"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*opsflow, "serve", "--no-worker", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for_answer(f"http://127.0.0.1:{port}/login"), "the server never answered"
        assert len(list(tmp_path.glob("opsflow-metrics-*"))) == 1
        for _ in range(20):  # new connections: gunicorn's two processes share them
            fetch(f"http://127.0.0.1:{port}/login")
        counts = []
        for _ in range(4):
            text = fetch(f"http://127.0.0.1:{port}/metrics")
            counts.append(next(s.value for f in text_string_to_metric_families(text) for s in f.samples
                               if s.name == "opsflow_http_request_duration_seconds_count"
                               and s.labels == {"endpoint": "/login", "method": "GET"}))
        assert counts == [21] * 4, counts  # every scrape, whichever process answers, counts all of them
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert list(tmp_path.glob("opsflow-metrics-*")) == []


def fetch(url):
    """The body of a GET as text."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def wait_for_answer(url, seconds=60):
    """Whether `url` answered within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            fetch(url)
            return True
        except OSError:
            time.sleep(0.2)
    return False
