"""The sandbox's child process: runs one script or expression at a time, under the kernel's limits.

Started by engine.sandbox.pool with the pipe's file descriptor and the memory limit in megabytes.
Its address space is capped (RLIMIT_AS, hard as well as soft, so the code cannot raise it) a fixed
amount above what the interpreter uses when idle, so a growing value ends in MemoryError; before
each job its CPU time is capped a little beyond the job's budget (RLIMIT_CPU), so a job whose parent
died is still ended by the kernel. The parent's wall-clock kill is the main time limit.
Host functions (organisation look-ups) are proxies that ask the parent over the pipe.
"""
import os
import pickle
import resource
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from engine.errors import ScriptError
from engine.jsonsafe import json_safe
from engine.sandbox.policy import base_globals, check_written, compile_expression, compile_script

_BASE = base_globals()
_HIDDEN = frozenset(_BASE)
FALLBACK_BASE_BYTES = 512 * 2**20  # assumed when /proc cannot tell the interpreter's own size


def main() -> None:
    """Serve jobs until the parent closes the pipe; leave after running out of memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(sys.argv[1]))
    _limit_memory(int(sys.argv[2]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _run(conn, job)
        except MemoryError:
            conn.send(("memory",))
            return
        _send(conn, reply)


def _send(conn: Connection, reply: tuple[Any, ...]) -> None:
    """Send a reply; a result that is not a plain value becomes an error."""
    try:
        conn.send(reply)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        conn.send(("error", "result_not_value", {"reason": str(exc)}))


def _limit_memory(megabytes: int) -> None:
    """Cap the address space at the interpreter's present size plus `megabytes`."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("VmSize:"))
        base = int(line.split()[1]) * 1024
    except (OSError, StopIteration, ValueError):
        base = FALLBACK_BASE_BYTES
    limit = base + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _limit_cpu(seconds: float) -> None:
    """Let the coming job use `seconds` of CPU (and a little more) before the kernel ends this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def _proxy(conn: Connection, name: str) -> Callable[..., Any]:
    """A stand-in for the parent's function `name`: the call goes over the pipe and waits for the answer."""

    def call(*args: Any, **kwargs: Any) -> Any:
        conn.send(("call", name, args, kwargs))
        kind, value = conn.recv()
        if kind == "raise":
            raise ScriptError("host_call_failed", **value)
        return value

    call.__name__ = name
    return call


def _run(conn: Connection, job: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run one job: ("eval", source, names, hosts, seconds) or ("exec", ..., seconds, data limit, data)."""
    kind, source, names, hosts, seconds = job[:5]
    _limit_cpu(seconds)
    namespace = dict(_BASE)
    namespace.update(names)
    namespace.update({name: _proxy(conn, name) for name in hosts})
    try:
        if kind == "eval":
            return ("ok", eval(compile_expression(source), namespace))  # noqa: S307 - restricted code
        limit, data = job[5:7]
        namespace.update(data)
        exec(compile_script(source), namespace)  # noqa: S102 - restricted code, guarded namespace
        changed, removed = _changes(namespace, data, set(names) | set(hosts))
        check_written(changed, limit)
        return ("ok", changed, removed)
    except MemoryError:
        raise
    except ScriptError as exc:
        return ("error", exc.code, exc.params)
    except RecursionError:
        return ("error", "calls_too_deep", {})
    except Exception as exc:
        return ("error", "script_exception", {"exception": type(exc).__name__, "detail": str(exc)})


def _changes(namespace: dict[str, Any], data: dict[str, Any],
             extra: set[str]) -> tuple[dict[str, Any], list[str]]:
    """(changed, removed) of the case data after a script: new or different values, JSON-safe, and deleted names."""
    removed = [key for key in data if key not in namespace]
    changed: dict[str, Any] = {}
    for key, value in namespace.items():
        if key.startswith("_") or callable(value) or ((key in _HIDDEN or key in extra) and key not in data):
            continue
        value = json_safe(value)
        if key not in data or data[key] != value:
            changed[key] = value
    return changed, removed


if __name__ == "__main__":
    main()
