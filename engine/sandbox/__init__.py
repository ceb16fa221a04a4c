"""Restricted evaluation of the Python found in packages: conditions, scripts, DMN cells, assignees.

Diagrams come from process owners' browsers, so nothing in them may import, touch files, reach
dunder attributes, run forever or fill memory. RestrictedPython rewrites the code with guards
(policy.py); scripts and expressions run in child processes whose time and memory the operating
system bounds (pool.py, child.py); expressions that provably can neither loop nor grow run in-process
(bounded.py). A script may write at most `Limits.data_bytes` of JSON into the case.
"""
import atexit
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import ScriptError
from engine.sandbox import bounded
from engine.sandbox.policy import base_globals, check_written, compile_expression, compile_script
from engine.sandbox.pool import Pool

__all__ = ["DEFAULT_TIME_LIMIT", "Limits", "base_globals", "compile_expression", "compile_script", "configure",
           "evaluate", "execute"]

DEFAULT_TIME_LIMIT = 1.0
REPLY_OVERHEAD = 64 * 1024  # bytes a reply may take beyond twice the data limit (pickle framing, names)


@dataclass(frozen=True)
class Limits:
    """What one script or expression may use: wall-clock seconds, megabytes, bytes written to the case."""

    seconds: float = DEFAULT_TIME_LIMIT
    memory_mb: int = 256
    data_bytes: int = 1024 * 1024


_BASE = base_globals()
_POOL = Pool()
_limits = Limits()
atexit.register(_POOL.close)


def configure(limits: Limits, processes: int | None = None) -> None:
    """Set this process's limits (the runtime does, from its settings) and the number of child processes."""
    global _limits
    _limits = limits
    if processes is not None:
        _POOL.size = max(1, processes)


def evaluate(source: str, names: Mapping[str, Any] | None = None, limit: float | None = None) -> Any:
    """Evaluate a restricted expression with `names` visible (`limit`: seconds, else the configured ones)."""
    code = compile_expression(source)
    names = names or {}
    hosts = {key: value for key, value in names.items() if callable(value)}
    calls = bounded.calls_of(source)
    namespace = dict(_BASE)
    namespace.update(names)
    if calls is not None and bounded.runs_in_process(calls, namespace, hosts):
        try:
            return eval(code, namespace)  # noqa: S307 - restricted code that can neither loop nor grow
        except ScriptError:
            raise
        except Exception as exc:
            raise ScriptError("script_exception", exception=type(exc).__name__, detail=str(exc)) from exc
    plain = {key: value for key, value in names.items() if key not in hosts}
    return _in_child(("eval", source, plain, list(hosts)), hosts, limit)[1]


def execute(source: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None,
            limit: float | None = None) -> None:
    """Run a restricted script against `data` (a dict updated in place with JSON-safe values)."""
    compile_script(source)
    extra = extra or {}
    hosts = {key: value for key, value in extra.items() if callable(value)}
    plain = {key: value for key, value in extra.items() if key not in hosts}
    _, changed, removed = _in_child(("exec", source, plain, list(hosts)), hosts, limit, _limits.data_bytes, data)
    check_written(changed, _limits.data_bytes)
    for key in removed:
        data.pop(key, None)
    data.update(changed)


def _in_child(job: tuple[Any, ...], hosts: Mapping[str, Callable[..., Any]], limit: float | None,
              *more: Any) -> tuple[Any, ...]:
    """Run a job in a child process; ScriptError with the child's reason when it fails."""
    limits = _limits
    seconds = limits.seconds if limit is None else limit
    job = (*job, seconds, *more)
    reply = _POOL.run(job, hosts, seconds, limits.memory_mb, 2 * limits.data_bytes + REPLY_OVERHEAD)
    if reply[0] == "error":
        raise ScriptError(reply[1], **reply[2])
    return reply
