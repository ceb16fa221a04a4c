"""Scenario tests of process packages: start data, task inputs in order, clock moves, expectations."""
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.config import Settings
from engine.definitions import find_packages
from engine.errors import OpsflowError
from engine.runtime import spiff
from engine.store.models import CaseRecord, HumanTask, Timer

if TYPE_CHECKING:
    from engine.runtime.service import Runtime

PathLike = str | os.PathLike[str]


@dataclass
class Result:
    """The outcome of one scenario."""

    package: str
    name: str
    file: str
    passed: bool
    difference: str = ""

    def line(self) -> str:
        """One line for `opsflow test`."""
        status = "PASS" if self.passed else "FAIL"
        tail = f": {self.difference}" if self.difference else ""
        return f"{status} {self.package}/{Path(self.file).name} ({self.name}){tail}"


class Mismatch(Exception):
    """A scenario expectation did not hold."""


def scenario_files(package_dir: PathLike) -> list[Path]:
    """The scenario files of a package, sorted."""
    return sorted(Path(package_dir, "scenarios").glob("*.yaml"))


def make_runtime(folder: PathLike, database_url: str | None = None) -> "Runtime":
    """A throw-away runtime on a temporary SQLite file, with a manual clock."""
    from engine.runtime.service import Runtime

    url = database_url or f"sqlite:///{Path(folder, 'scenarios.db')}"
    runtime = Runtime(Settings(database_url=url, instance_cache_size=64, password_hash_cost=2**4), clock=ManualClock())
    runtime.init()
    return runtime


def org_file_for(package_dir: PathLike) -> Path:
    """The org.yaml beside the package folder, else the configured one."""
    beside = Path(package_dir).parent / "org.yaml"
    return beside if beside.exists() else Path(Settings.from_env().org_file)


def run_paths(paths: Iterable[PathLike], echo: Callable[[str], object] | None = None) -> list[Result]:
    """Run every scenario of every package under `paths`; one throw-away database per package."""
    results: list[Result] = []
    for package_dir in find_packages(paths):
        with tempfile.TemporaryDirectory(prefix="opsflow-scenarios-") as folder:
            runtime = make_runtime(folder)
            runtime.load_org(org_file_for(package_dir))
            runtime.deploy([package_dir])
            for path in scenario_files(package_dir):
                result = run_file(runtime, package_dir, path)
                results.append(result)
                if echo:
                    echo(result.line())
            runtime.db.dispose()
    return results


def run_file(runtime: "Runtime", package_dir: PathLike, path: PathLike,
             watch: Callable[[int], object] | None = None) -> Result:
    """Run one scenario file and report PASS or the first difference; `watch(case_id)` sees each step's start."""
    key = Path(package_dir).name
    try:
        scenario = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return Result(key, "?", str(path), False, f"not valid YAML: {exc}")
    name = scenario.get("name", Path(path).stem)
    try:
        ScenarioRun(runtime, scenario, watch).run()
    except Mismatch as exc:
        return Result(key, name, str(path), False, str(exc))
    except OpsflowError as exc:
        return Result(key, name, str(path), False, f"unexpected {exc.kind} error: {exc}")
    return Result(key, name, str(path), True)


class ScenarioRun:
    """Plays one scenario against a runtime."""

    def __init__(self, runtime: "Runtime", scenario: dict[str, Any],
                 watch: Callable[[int], object] | None = None) -> None:
        self.runtime = runtime
        self.scenario = scenario
        self.case: int | None = None
        self.watch = watch  # called with the case id before each step (tests walk every open task there)
        self.clock = ManualClock()  # the runtime's clock while this run plays

    def run(self) -> None:
        """Start on a fresh clock (scenarios never see each other's time), play every step, check."""
        self.clock = self.runtime.clock = ManualClock()
        start = self.scenario.get("start") or {}
        process = self.scenario.get("process") or self._only_process()
        if "expect_error" in start:
            self._expect_error({"start": process, **start, "error": start["expect_error"], "field": start.get("field")})
            return
        if start.get("scheduled"):
            self.case = self._scheduled_case(process)
        else:
            self.case = self.runtime.start(process, _actor(start), start.get("data") or {})
        for number, step in enumerate(self.scenario.get("steps") or [], start=1):
            if self.watch is not None:
                self.watch(self.case)
            try:
                self._step(step)
            except Mismatch as exc:
                raise Mismatch(f"step {number} {_describe(step)}: {exc}") from None
            except OpsflowError as exc:
                raise Mismatch(f"step {number} {_describe(step)}: {exc.kind} error: {exc}") from None
        self._check_final(self.scenario.get("expect") or {})

    def _scheduled_case(self, process: str) -> int:
        """Move the clock to the procedure's next scheduled start, fire it, and follow the case it made."""
        with self.runtime.db.read() as session:
            due = session.scalar(select(Timer.due_at).where(Timer.kind == "start", Timer.process_key == process,
                                                            Timer.fired_at.is_(None)).order_by(Timer.due_at).limit(1))
            newest = session.scalar(select(func.max(CaseRecord.id))) or 0
        if due is None:
            raise Mismatch(f"{process} has no scheduled start pending")
        if due > self.clock.now():
            self.clock.advance(due - self.clock.now())
        self.runtime.fire_due_timers(limit=100_000)
        with self.runtime.db.read() as session:
            case = session.scalar(select(func.min(CaseRecord.id)).where(CaseRecord.process_key == process,
                                                                      CaseRecord.id > newest))
        if case is None:
            raise Mismatch(f"the scheduled start of {process} created no case")
        return case

    def _started(self) -> int:
        """The id of the case this run follows (run() starts it before any step)."""
        assert self.case is not None, "the scenario's case has not started"
        return self.case

    def _only_process(self) -> str:
        """The process key when the database holds exactly one procedure."""
        keys = [d["key"] for d in self.runtime.definitions()]
        if len(keys) != 1:
            raise Mismatch(f"scenario must name its process (deployed: {keys})")
        return keys[0]

    def _open(self) -> list[dict[str, Any]]:
        """Open task rows of the case, oldest first."""
        with self.runtime.db.read() as session:
            rows = session.execute(select(HumanTask.id, HumanTask.task_key, HumanTask.assignee, HumanTask.role)
                                   .where(HumanTask.case_id == self.case)
                                   .order_by(HumanTask.created_at, HumanTask.id)).all()
        return [dict(r._mapping) for r in rows]

    def _find(self, task_key: str, user: str, where: dict[str, Any] | None = None) -> str:
        """The open task to act on: the user's own first, else an unclaimed one; `where` picks by task data."""
        rows = [r for r in self._open() if r["task_key"] == task_key]
        if where:
            rows = [r for r in rows if _contains(self.runtime.task(r["id"], user)["data"], where)]
        if not rows:
            raise Mismatch(f"no open task {task_key}{' with ' + str(where) if where else ''}; "
                           f"open: {sorted(r['task_key'] for r in self._open())}")
        mine = [r for r in rows if r["assignee"] == user] or [r for r in rows if r["assignee"] is None] or rows
        return mine[0]["id"]

    def _step(self, step: dict[str, Any]) -> None:
        """Apply one step."""
        if "start" in step:
            self.runtime.start(step["start"], _actor(step), step.get("data") or {})
        elif "complete" in step:
            task_id = self._find(step["complete"], _actor(step), step.get("where"))
            self.runtime.complete(task_id, _actor(step), step.get("data") or {})
        elif "claim" in step:
            self.runtime.claim(self._find(step["claim"], _actor(step)), _actor(step))
        elif "release" in step:
            self.runtime.release(self._find(step["release"], _actor(step)), _actor(step))
        elif "cancel" in step:
            self.runtime.cancel(self._started(), _actor(step), step.get("reason"))
        elif "advance" in step:
            now = self.clock.now()
            self.clock.advance(spiff.parse_duration(step["advance"], now) - now + timedelta(seconds=1))
            self.runtime.fire_due_timers(limit=100_000)
        elif "expect_open" in step:
            self._expect_equal(sorted(step["expect_open"]), sorted(r["task_key"] for r in self._open()), "open tasks")
        elif "expect_assignee" in step:
            want = step["expect_assignee"]
            got = [r["assignee"] for r in self._open() if r["task_key"] == want["task"]]
            if want.get("user") not in got:
                raise Mismatch(f"{want['task']} assigned to {got or 'nobody (not open)'}, expected {want.get('user')}")
        elif "expect_error" in step:
            self._expect_error(step["expect_error"])
        else:
            raise Mismatch(f"unknown step {sorted(step)}")

    def _expect_error(self, spec: dict[str, Any]) -> None:
        """The action must fail with the named error kind (with `field`, there; with `message`, saying that)."""
        action = {k: v for k, v in spec.items() if k not in ("error", "field", "message")}
        try:
            self._step(action)
        except OpsflowError as exc:
            if exc.kind != spec["error"]:
                raise Mismatch(f"expected {spec['error']} error, got {exc.kind}: {exc}") from None
            _check_fields(spec.get("field"), exc, spec.get("message"))
            return
        raise Mismatch(f"expected {spec['error']} error, but it succeeded")

    def _check_final(self, expect: dict[str, Any]) -> None:
        """Compare the case with the scenario's final expectations."""
        case = self.runtime.case(self._started())
        for key in ("status", "end_event"):
            if key in expect:
                self._expect_equal(expect[key], case[key], key)
        self._check_path(expect.get("path") or [], case["path"])
        visited = set(case["path"])
        for node in expect.get("not_visited") or []:
            if node in visited:
                raise Mismatch(f"visited {node}, which it should not")
        for field, value in (expect.get("data") or {}).items():
            self._expect_equal(value, case["data"].get(field, "<missing>"), f"data.{field}")
        counts: dict[str, int] = {}
        for event in case["history"]:
            counts[event["kind"]] = counts.get(event["kind"], 0) + 1
        for kind, count in (expect.get("events") or {}).items():
            self._expect_equal(count, counts.get(kind, 0), f"number of {kind} events")

    @staticmethod
    def _check_path(expected: list[str], path: list[str]) -> None:
        """`expected` must appear in `path` in order, other nodes may lie between."""
        position = 0
        for node in expected:
            try:
                position = path.index(node, position) + 1
            except ValueError:
                raise Mismatch(f"path lacks {node} (in order); path was {path}") from None

    @staticmethod
    def _expect_equal(expected: object, got: object, what: str) -> None:
        """Raise Mismatch naming what differs."""
        if expected != got:
            raise Mismatch(f"{what}: expected {expected!r}, got {got!r}")


def _contains(data: object, wanted: object) -> bool:
    """True when `data` holds every key of `wanted` with that value (nested mappings compared the same way)."""
    if isinstance(wanted, dict):
        return isinstance(data, dict) and all(_contains(data.get(k), v) for k, v in wanted.items())
    return data == wanted


def _check_fields(wanted: str | list[str] | None, error: OpsflowError, message: str | None = None) -> None:
    """Each field path in `wanted` (one or a list) must be among the error's located fields.

    With `message`, the English error there must contain it: it tells apart two rules on one field.
    """
    located = getattr(error, "errors", {})
    for path in [wanted] if isinstance(wanted, str) else wanted or []:
        if path not in located:
            raise Mismatch(f"expected an error on {path}, got errors on {sorted(located) or 'no field'}: {error}")
        if message is not None and message not in str(located[path]):
            raise Mismatch(f"expected the error on {path} to say {message!r}, it says {str(located[path])!r}")


def _actor(step: Mapping[str, Any]) -> Any:
    """Whom a step (or the start) acts as, as the scenario file says: a username, or None when it names nobody,
    whom the runtime refuses like any user who may not act."""
    return step.get("as")


def _describe(step: dict[str, Any]) -> str:
    """A short label of a step for messages."""
    verb = next(iter(step))
    who = f" as {step['as']}" if "as" in step else ""
    return f"({verb} {step[verb] if not isinstance(step[verb], dict) else ''}{who})".replace("  ", " ")
