"""`opsflow bench engine`: the procurement happy path, bare SpiffWorkflow against opsflow's runtime.

Prints completions per second, p50/p95 per completion, serialized bytes per case, SQL statements
per completion, and each throughput as a ratio to bare SpiffWorkflow in memory (the limit).
"""
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select, text

from engine.clock import ManualClock
from engine.config import Settings
from engine.definitions import Package, build_specs, load_package
from engine.runtime import spiff
from engine.runtime.clocked_timers import use_our_clock
from engine.store.db import private_schema
from engine.store.models import HumanTask

if TYPE_CHECKING:
    pass

ROOT = Path(__file__).resolve().parent.parent
# (task key, user, form data) of one completion step of a scenario.
Step = tuple[str, str, dict[str, Any]]
SCENARIO = ROOT / "processes" / "procurement" / "scenarios" / "01-small-office-purchase-paid.yaml"


def _completions(scenario: dict[str, Any]) -> list[Step]:
    """The (task key, user, data) of each completion step of a scenario."""
    return [(s["complete"], s["as"], s.get("data") or {}) for s in scenario["steps"] if "complete" in s]


class Bare:
    """(a) SpiffWorkflow alone, in memory, no persistence: the limit."""

    label = "(a) SpiffWorkflow in memory"

    def __init__(self, package: Package, scenario: dict[str, Any]) -> None:
        self.spec, self.subprocess_specs = build_specs(package)
        use_our_clock(self.spec, self.subprocess_specs)
        self.spec.opsflow_definition_id = 0
        self.codec = spiff.WorkflowCodec(lambda _key: (self.spec, self.subprocess_specs))
        self.start = dict(scenario["start"]["data"], starter=scenario["start"]["as"], starter_name="bench")
        self.steps = _completions(scenario)
        self.times: list[float] = []
        self.statements: float | None = None
        self.size = 0

    def run(self, count: int) -> None:
        """Play `count` cases, timing each completion (finding the task, setting data, running)."""
        for _ in range(count):
            workflow = self.codec.new(self.spec, self.subprocess_specs)
            for task in workflow.get_tasks(state=spiff.TaskState.READY):
                task.data.update(self.start)
            spiff.run_engine(workflow)
            for key, _user, data in self.steps:
                began = time.perf_counter()
                task = next(t for t in spiff.ready_human_tasks(workflow) if t.task_spec.bpmn_id == key)
                task.data.update(data)
                task.run()
                spiff.run_engine(workflow)
                self.times.append(time.perf_counter() - began)
            self.size = spiff.size_of(self.codec.to_blob(workflow))

    def close(self) -> None:
        """Nothing to release."""


class Persisted:
    """(b)/(c) opsflow's runtime API on a database, one command (transaction) per completion."""

    def __init__(self, label: str, url: str, package_dir: Path, scenario: dict[str, Any]) -> None:
        from engine.runtime.service import Runtime

        self.label, self.package_dir, self.scenario = label, package_dir, scenario
        self.runtime: Runtime = Runtime(Settings(database_url=url, password_hash_cost=2**4), clock=ManualClock())
        self.runtime.init()
        self.runtime.load_org(package_dir.parent / "org.yaml")
        self.runtime.deploy([package_dir])
        self.steps = _completions(scenario)
        self.times: list[float] = []
        self.counts: list[int] = []

    def run(self, count: int) -> None:
        """Play `count` cases through start and complete, timing each completion and counting its SQL."""
        runtime, start = self.runtime, self.scenario["start"]
        for _ in range(count):
            case = runtime.start(self.package_dir.name, start["as"], start["data"])
            for key, user, data in self.steps:
                with runtime.db.read() as session:
                    task_id = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case,
                                                                         HumanTask.task_key == key).limit(1)).one()
                before = runtime.db.statements
                began = time.perf_counter()
                runtime.complete(task_id, user, data)
                self.times.append(time.perf_counter() - began)
                self.counts.append(runtime.db.statements - before)

    @property
    def statements(self) -> float:
        """Mean SQL statements per completion."""
        return statistics.mean(self.counts)

    @property
    def size(self) -> int:
        """Stored bytes of the newest case's state."""
        with self.runtime.db.read() as session:
            return session.scalar(text("SELECT length(state) FROM cases ORDER BY id DESC LIMIT 1"))

    def close(self) -> None:
        """Release the database connections."""
        self.runtime.db.dispose()


def _row(config: Bare | Persisted, limit: float | None) -> tuple[float, str]:
    """One printed line of figures: (completions per second, text)."""
    times = config.times
    per_second = len(times) / sum(times)
    p50, p95 = (statistics.quantiles(times, n=100)[i] * 1000 for i in (49, 94))
    ratio = per_second / limit if limit else 1.0
    sql = f"{config.statements:5.1f}" if config.statements is not None else "    -"
    return per_second, (f"{config.label:<34} {per_second:9.0f} {p50:8.2f} {p95:8.2f} {config.size:9d} {sql:>6} "
                        f"{ratio:7.3f}")


def run_engine_bench(count: int, postgres_url: str | None = None, echo: Callable[[str], object] = print,
                     scenario_path: Path = SCENARIO, rounds: int = 5) -> None:
    """Run the configurations interleaved in rounds (noise hits all alike) and print the table."""
    scenario = yaml.safe_load(Path(scenario_path).read_text(encoding="utf-8"))
    package_dir = Path(scenario_path).parent.parent
    echo(f"procurement happy path: {len(_completions(scenario))} completions per case, {count} cases per "
         f"configuration, interleaved in {rounds} rounds")
    postgres_url = postgres_url or _postgres_from_env()
    with tempfile.TemporaryDirectory(prefix="opsflow-bench-") as folder:
        configs: list[Bare | Persisted] = [Bare(load_package(package_dir), scenario),
                   Persisted("(b) opsflow on SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'bench.db'}",
                             package_dir, scenario)]
        drop = None
        if postgres_url:
            url, drop = private_schema(postgres_url, "bench")
            configs.append(Persisted("(c) opsflow on PostgreSQL", url, package_dir, scenario))
        try:
            for number in range(rounds):
                for config in configs:
                    config.run(count // rounds + (1 if number < count % rounds else 0))
            _print(configs, echo, postgres_url)
        finally:
            for config in configs:
                config.close()
            if drop:
                drop()


def _print(configs: list[Bare | Persisted], echo: Callable[[str], object], postgres_url: str | None) -> None:
    """The table, each throughput as a ratio to (a)."""
    echo(f"{'configuration':<34} {'compl/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9} {'SQL':>6} {'ratio':>7}")
    limit, line = _row(configs[0], None)
    echo(line)
    for config in configs[1:]:
        echo(_row(config, limit)[1])
    if not postgres_url:
        echo("(c) skipped: give --postgres URL or set OPSFLOW_DATABASE_URL to a PostgreSQL URL")
    echo("targets: (b) >= 0.25, (c) >= 0.15 of (a); p95 on SQLite <= 3 ms; <= 12 SQL statements per completion")


def _postgres_from_env() -> str | None:
    """OPSFLOW_DATABASE_URL when it points at PostgreSQL."""
    url = Settings.from_env().database_url
    return url if url.startswith("postgresql") else None

