"""`opsflow bench engine`: the procurement happy path, bare SpiffWorkflow against opsflow's runtime.

Prints completions per second, p50/p95 per completion, serialized bytes per case, SQL statements
per completion, and each throughput as a ratio to bare SpiffWorkflow in memory (the limit).
"""
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import select, text

from engine.clock import ManualClock
from engine.config import Settings
from engine.definitions import build_specs, load_package
from engine.runtime import spiff
from engine.runtime.clocked_timers import use_our_clock
from engine.store.db import private_schema
from engine.store.models import HumanTask

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "processes" / "procurement" / "scenarios" / "01-small-office-purchase-paid.yaml"


def _completions(scenario):
    """The (task key, user, data) of each completion step of a scenario."""
    return [(s["complete"], s["as"], s.get("data") or {}) for s in scenario["steps"] if "complete" in s]


def bare(package, scenario, count):
    """(a) SpiffWorkflow alone, in memory, no persistence: per-completion seconds and bytes per case."""
    spec, subprocess_specs = build_specs(package)
    use_our_clock(spec, subprocess_specs)
    codec = spiff.WorkflowCodec(lambda _key: (spec, subprocess_specs))
    spec.opsflow_definition_id = 0
    start = dict(scenario["start"]["data"], starter=scenario["start"]["as"], starter_name="bench")
    steps, times, size = _completions(scenario), [], 0
    for _ in range(count):
        workflow = codec.new(spec, subprocess_specs)
        for task in workflow.get_tasks(state=spiff.TaskState.READY):
            task.data.update(start)
        spiff.run_engine(workflow)
        for key, _user, data in steps:
            began = time.perf_counter()
            task = next(t for t in spiff.ready_human_tasks(workflow) if t.task_spec.bpmn_id == key)
            task.data.update(data)
            task.run()
            spiff.run_engine(workflow)
            times.append(time.perf_counter() - began)
        size = spiff.size_of(codec.to_blob(workflow))
    return times, size, None


def persisted(url, package_dir, scenario, count):
    """(b)/(c) opsflow's runtime API on a database: per-completion seconds, bytes, statements."""
    from engine.runtime.service import Runtime

    runtime = Runtime(Settings(database_url=url, password_hash_cost=2**4), clock=ManualClock())
    runtime.init()
    runtime.load_org(package_dir.parent / "org.yaml")
    runtime.deploy([package_dir])
    steps, times, statements = _completions(scenario), [], []
    for _ in range(count):
        case = runtime.start(package_dir.name, scenario["start"]["as"], scenario["start"]["data"])
        for key, user, data in steps:
            with runtime.db.read() as session:
                task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == case,
                                                                    HumanTask.task_key == key).limit(1))
            before = runtime.db.statements
            began = time.perf_counter()
            runtime.complete(task_id, user, data)
            times.append(time.perf_counter() - began)
            statements.append(runtime.db.statements - before)
    with runtime.db.read() as session:
        size = session.scalar(text("SELECT length(state) FROM instances ORDER BY id DESC LIMIT 1"))
    runtime.db.dispose()
    return times, size, statistics.mean(statements)


def _row(label, times, size, statements, limit):
    """One printed line of figures."""
    per_second = len(times) / sum(times)
    p50, p95 = (statistics.quantiles(times, n=100)[i] * 1000 for i in (49, 94))
    ratio = per_second / limit if limit else 1.0
    sql = f"{statements:5.1f}" if statements is not None else "    -"
    return per_second, (f"{label:<34} {per_second:9.0f} {p50:8.2f} {p95:8.2f} {size:9d} {sql:>6} "
                        f"{ratio:7.3f}")


def run_engine_bench(count, postgres_url=None, echo=print, scenario_path=SCENARIO):
    """Run the three configurations side by side and print the table."""
    scenario = yaml.safe_load(Path(scenario_path).read_text(encoding="utf-8"))
    package_dir = Path(scenario_path).parent.parent
    package = load_package(package_dir)
    echo(f"procurement happy path: {len(_completions(scenario))} completions per case, {count} cases each")
    echo(f"{'configuration':<34} {'compl/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9} {'SQL':>6} {'ratio':>7}")
    limit, line = _row("(a) SpiffWorkflow in memory", *bare(package, scenario, count), None)
    echo(line)
    with tempfile.TemporaryDirectory(prefix="opsflow-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        echo(_row("(b) opsflow on SQLite (file, WAL)", *persisted(url, package_dir, scenario, count), limit)[1])
    postgres_url = postgres_url or _postgres_from_env()
    if postgres_url:
        url, drop = private_schema(postgres_url, "bench")
        try:
            echo(_row("(c) opsflow on PostgreSQL", *persisted(url, package_dir, scenario, count), limit)[1])
        finally:
            drop()
    else:
        echo("(c) skipped: give --postgres URL or set OPSFLOW_DATABASE_URL to a PostgreSQL URL")
    echo("targets: (b) >= 0.25, (c) >= 0.15 of (a); p95 on SQLite <= 3 ms; <= 12 SQL statements per completion")


def _postgres_from_env():
    """OPSFLOW_DATABASE_URL when it points at PostgreSQL."""
    url = Settings.from_env().database_url
    return url if url.startswith("postgresql") else None

