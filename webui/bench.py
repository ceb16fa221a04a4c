"""`opsflow bench web`: the crowded inbox as a full HTTP page, on SQLite (and PostgreSQL when given).

Fills a fresh database exactly as `opsflow bench inbox` does (engine/bench_inbox.py: open tasks of
one role, each with its case and search fields), signs a holder of that role in through the sign-in
form of the Flask test client, then times whole GETs through routing, session, user loading, the
runtime queries and Jinja rendering: the first inbox page, a filtered page, page 100, the htmx
partial of a filter change, and a task page. Pages are timed interleaved, after warm-up requests.
Also counts the SQL statements of one task page view and of one refused submission of its form.
Prints median, p95 and max in ms, the response size and median / 1000 ms; it never asserts a time.
"""
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import event, select, text

from engine import bench_inbox
from engine.store.db import private_schema
from engine.store.models import HumanTask

ORG_FILE = bench_inbox.ROOT / "processes" / "org.yaml"
# A real case of the role (the filled cases hold placeholder state, which a task page cannot load).
REAL_CASE = bench_inbox.ROOT / "processes" / "incident-response" / "scenarios" / \
    "01-p1-system-outage-reviewed-and-closed.yaml"
WARM_UP = 3
BUDGET_MS = 1000
HTMX = {"HX-Request": "true", "HX-Target": "inbox-results"}


def _pages(task_id):
    """(label, path, headers) of the timed pages."""
    pages = [("/inbox (first page, by due)", "/inbox", {}),
             ("/inbox incident-response + 'pump'", "/inbox?process=incident-response&s.incident_title=pump", {}),
             ("/inbox?page=100", "/inbox?page=100", {}),
             ("/inbox htmx partial (filter)", "/inbox?process=incident-response&s.incident_title=pump", HTMX)]
    if task_id:
        pages.append(("/tasks/<id> (real case)", f"/tasks/{task_id}", {}))
    return pages


def _password(username):
    """The demo password of a user, as processes/org.yaml documents it."""
    users = yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))["users"]
    return next(u["password"] for u in users if u["username"] == username)


def _build(url, count):
    """Fill the database as `opsflow bench inbox` does, plus one real case; return (clock, filled task, real task)."""
    runtime = bench_inbox.bench_runtime(url)
    try:
        bench_inbox.fill_inbox(runtime, count)
        if not runtime.db.is_sqlite:  # the filled rows carry explicit ids: move the id sequence past them
            with runtime.db.write() as session:
                session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                     "(SELECT max(id) FROM cases))"))
        with runtime.db.read() as session:
            filled = session.scalar(select(HumanTask.id).where(HumanTask.case_id == 1))
        start = yaml.safe_load(REAL_CASE.read_text(encoding="utf-8"))["start"]
        case = runtime.start("incident-response", start["as"], start["data"])
        with runtime.db.read() as session:
            real = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case,
                                                             HumanTask.role == bench_inbox.ROLE))
        return runtime.clock, filled, real
    finally:
        runtime.db.dispose()


def _app(url, clock):
    """The web app on the database, on the bench's clock (due dates relative to the filled rows)."""
    from webui import create_app

    app = create_app({"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "PASSWORD_HASH_COST": 16})
    app.extensions["opsflow"].clock = clock
    return app


def _signed_in(app):
    """A test client signed in as the role holder through the sign-in form."""
    client = app.test_client()
    response = client.post("/login", data={"username": bench_inbox.USER, "password": _password(bench_inbox.USER)})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {bench_inbox.USER} failed: HTTP {response.status_code}")
    return client


def _get(client, path, headers):
    """(milliseconds, status, bytes) of one full GET."""
    began = time.perf_counter()
    response = client.get(path, headers=headers)
    body = response.get_data()
    return (time.perf_counter() - began) * 1000, response.status_code, len(body)


def _filled_task_note(client, task_id):
    """Why a filled task's page is not timed (its case holds placeholder bytes), or None when it loads."""
    try:
        _ms, status, _size = _get(client, f"/tasks/{task_id}", {})
    except Exception as exc:  # the page may raise through the test client
        return f"raised {type(exc).__name__}"
    return None if status == 200 else f"HTTP {status}"


def _statements(app, client, task_id):
    """How many SQL statements one view of a task page and one refused submission of its form (empty) send."""
    engine = app.extensions["opsflow"].db.engine
    sent = [0]

    def count(*_args):
        sent[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(f"/tasks/{task_id}")
        view = sent[0]
        refused = client.post(f"/tasks/{task_id}", data={"action": "complete"})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {"view": view, "refused": sent[0] - view, "refused_status": refused.status_code}


def _measure(label, url, count, runs, echo):
    """Fill one database, time every page interleaved and print a line per page; return the figures."""
    clock, filled, real = _build(url, count)
    app = _app(url, clock)
    try:
        client = _signed_in(app)
        note = _filled_task_note(client, filled)
        pages = _pages(real)
        if note:
            echo(f"{label}: page of a filled task skipped ({note}: its case holds placeholder state); "
                 f"the task page timed is of one real incident-response case in the same inbox")
        if not real:
            echo(f"{label}: task page skipped: the real case opened no task of role {bench_inbox.ROLE}")
        samples = {name: [] for name, _path, _headers in pages}
        statuses = {name: set() for name, _path, _headers in pages}
        sizes = {}
        for _ in range(WARM_UP):
            for name, path, headers in pages:
                _ms, status, sizes[name] = _get(client, path, headers)
                statuses[name].add(status)
        for _ in range(runs):
            for name, path, headers in pages:
                ms, status, sizes[name] = _get(client, path, headers)
                samples[name].append(ms)
                statuses[name].add(status)
        results = []
        if real:
            counts = _statements(app, client, real)
            echo(f"{label}: SQL statements of the task page {counts['view']}, of a refused (empty) "
                 f"submission {counts['refused']} (HTTP {counts['refused_status']})")
        for name, path, _headers in pages:
            times = samples[name]
            median = statistics.median(times)
            p95 = statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]
            figures = {"database": label, "page": name, "path": path, "statuses": sorted(statuses[name]),
                       "median_ms": median, "p95_ms": p95, "max_ms": max(times), "bytes": sizes[name],
                       "ratio": median / BUDGET_MS}
            results.append(figures)
            echo(f"{label:<20} {name:<36} {median:9.2f} {p95:8.2f} {max(times):8.2f} {sizes[name]:9,d} "
                 f"{figures['ratio']:7.3f} {','.join(map(str, figures['statuses'])):>6}")
        return results
    finally:
        app.extensions["opsflow"].db.dispose()


def run_web_bench(count=10_000, postgres_url=None, runs=30, echo=print):
    """Time full inbox and task pages on SQLite, and on PostgreSQL when a URL is given; print and return the figures."""
    echo(f"web pages of {bench_inbox.USER}: {count:,} open unclaimed tasks of role {bench_inbox.ROLE} "
         f"(+1 real case), Flask test client, {WARM_UP} warm-up rounds, {runs} timed rounds, pages interleaved")
    echo(f"{'database':<20} {'page':<36} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'bytes':>9} "
         f"{'/1000ms':>7} {'HTTP':>6}")
    results = []
    with tempfile.TemporaryDirectory(prefix="opsflow-bench-web-") as folder:
        results += _measure("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'web.db'}", count, runs, echo)
    if not postgres_url:
        echo("PostgreSQL skipped: give --database-url URL")
        return results
    url, drop = private_schema(postgres_url, "bench")
    try:
        results += _measure("PostgreSQL", url, count, runs, echo)
    finally:
        drop()
    return results
