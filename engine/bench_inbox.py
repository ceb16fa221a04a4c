"""`opsflow bench inbox`: one page of a crowded shared inbox, on SQLite (and PostgreSQL when given).

Fills a fresh database with open tasks of one role (rows inserted directly, each with its case and
realistic search fields), then times Runtime.inbox for a holder of that role: the first page
by due time, a filtered page (procedure + text search) and page 100. Prints median and p95; it
never asserts a time.
"""
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from engine.clock import ManualClock
from engine.config import Settings
from engine.store.db import private_schema
from engine.store.models import CaseRecord, Definition, HumanTask

if TYPE_CHECKING:
    from engine.runtime.results import InboxPage
    from engine.runtime.service import Runtime

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"incident-response": "contain_incident", "complaint-handling": "investigate_complaint"}
ROLE, USER = "operations-specialist", "ops.chen"
WORDS = ("pump", "conveyor", "server", "forklift", "invoice", "chiller", "router", "label printer", "dock door",
         "scanner", "freezer", "generator")
PLACES = ("Taipei DC", "Taoyuan warehouse", "Hsinchu office", "Taichung DC", "Kaohsiung port")
BATCH = 1000
STATE_BYTES = 3_000  # a stored workflow is about 3 KB (README, Performance): cases' rows are mostly state


def _queries() -> list[tuple[str, dict[str, Any]]]:
    """(label, inbox keyword arguments) of the timed pages."""
    return [("first page, by due", {}),
            ("incident-response + search 'pump'", {"process_key": "incident-response",
                                                   "search": {"incident_title": "pump"}}),
            ("page 100, by due", {"page": 100})]


def _search(key: str, number: int, rng: random.Random) -> dict[str, Any]:
    """Search fields as the procedure's cases hold them."""
    if key == "incident-response":
        return {"incident_title": f"{rng.choice(WORDS).title()} failure at {rng.choice(PLACES)} #{number}",
                "incident_type": rng.choice(("system", "safety", "supplier", "other")),
                "priority": rng.choice(("P1", "P2", "P3", "P4")), "incident_status": "containing",
                "location": rng.choice(PLACES)}
    return {"customer_name": f"Customer {number}", "complaint_category": rng.choice(("delivery", "billing", "other")),
            "severity": rng.choice(("critical", "major", "minor")), "priority": rng.choice(("high", "medium", "low")),
            "complaint_channel": "phone", "order_reference": f"SO-{number:06d}", "reopen_count": rng.randint(0, 2),
            "complaint_status": "investigating", "approved_compensation": rng.choice((0, 500, 3000, 8000))}


def _rows(definitions: dict[str, int], count: int, now: datetime, rng: random.Random,
          first_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(case rows, task rows) of `count` cases, each with one open unclaimed task of the role."""
    cases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for number in range(first_id, first_id + count):
        key = rng.choice(sorted(definitions))
        started = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        cases.append({"id": number, "definition_id": definitions[key], "process_key": key, "status": "running",
                          "starter": rng.choice(("sales.lu", "wh.kao", "ops.huang", "fin.hsu")), "started_at": started,
                          "updated_at": started, "lock_version": 1, "serializer_version": "bench",
                          "state": rng.randbytes(STATE_BYTES),
                          "search": _search(key, number, rng), "viewers": None})
        due = None if rng.random() < 0.05 else now + timedelta(hours=rng.randint(-72, 240))
        tasks.append({"id": str(uuid.UUID(int=rng.getrandbits(128))), "case_id": number, "process_key": key,
                      "task_key": PACKAGES[key], "title_en": "Open task", "title_zh": "待辦",
                      "lane": "Operations specialist", "role": ROLE, "assignee": None, "created_at": started,
                      "due_at": due, "escalated_at": None, "priority": rng.randint(1, 4)})
    return cases, tasks


def fill_inbox(runtime: "Runtime", count: int, seed: int = 7) -> None:
    """Insert `count` cases with one open task each, in batches."""
    rng = random.Random(seed)
    with runtime.db.read() as session:
        definitions = dict(session.execute(select(Definition.key, Definition.id)).all())
    for first in range(1, count + 1, BATCH):
        cases, tasks = _rows(definitions, min(BATCH, count + 1 - first), runtime.clock.now(), rng, first)
        with runtime.db.write() as session:
            session.execute(CaseRecord.__table__.insert(), cases)
            session.execute(HumanTask.__table__.insert(), tasks)


def bench_runtime(url: str) -> "Runtime":
    """A migrated runtime with the demo organisation and the two procedures deployed."""
    from engine.runtime.service import Runtime

    runtime = Runtime(Settings(database_url=url, password_hash_cost=2**4), clock=ManualClock())
    runtime.init()
    runtime.load_org(ROOT / "processes" / "org.yaml")
    runtime.deploy([ROOT / "processes" / key for key in PACKAGES])
    return runtime


def _time(runtime: "Runtime", kwargs: dict[str, Any], runs: int) -> tuple[list[float], "InboxPage"]:
    """Milliseconds of each of `runs` calls (after one warm-up call), and the last result."""
    result = runtime.inbox(USER, **kwargs)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = runtime.inbox(USER, **kwargs)
        times.append((time.perf_counter() - began) * 1000)
    return times, result


def _measure(label: str, url: str, count: int, runs: int, echo: Callable[[str], object]) -> None:
    """Fill one database and print a line per timed page."""
    runtime = bench_runtime(url)
    try:
        fill_inbox(runtime, count)
        for name, kwargs in _queries():
            times, result = _time(runtime, kwargs, runs)
            p95 = statistics.quantiles(times, n=100)[94] if len(times) > 1 else times[0]
            echo(f"{label:<22} {name:<36} {statistics.median(times):9.2f} {p95:8.2f} "
                 f"{result['total']:7d} {len(result['tasks']):5d}")
    finally:
        runtime.db.dispose()


def run_inbox_bench(count: int = 10_000, postgres_url: str | None = None, runs: int = 30,
                    echo: Callable[[str], object] = print) -> None:
    """Time inbox pages on SQLite, and on PostgreSQL when a URL is given; print the figures."""
    echo(f"inbox of {USER}: {count:,} open unclaimed tasks of role {ROLE}, {runs} runs per page (after a warm-up)")
    echo(f"{'database':<22} {'page':<36} {'median ms':>9} {'p95 ms':>8} {'total':>7} {'rows':>5}")
    with tempfile.TemporaryDirectory(prefix="opsflow-bench-inbox-") as folder:
        _measure("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'inbox.db'}", count, runs, echo)
    if not postgres_url:
        echo("PostgreSQL skipped: give --database-url URL")
        return
    url, drop = private_schema(postgres_url, "bench")
    try:
        _measure("PostgreSQL", url, count, runs, echo)
    finally:
        drop()
