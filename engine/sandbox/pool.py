"""The parent's side of the sandbox: a few long-lived child processes, lent to one job at a time.

A job is sent over a socket pair; while waiting for its answer the parent serves the child's calls
of host functions, and once the job's wall-clock budget has passed it kills the child (SIGKILL),
which no code in the child can stop, and starts another when one is next needed. Answers from the
child are unpickled by an unpickler that builds nothing but plain values (numbers, text, lists,
dicts, sets, dates), so even a child that escaped RestrictedPython cannot make the parent run code.
"""
import io
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from engine.errors import ScriptError

START_SECONDS = 60  # a child that has not said it is ready by then is a broken installation
CHILD_MAIN = "from engine.sandbox.child import main; main()"
# The functions of the parent (organisation look-ups) a job may call, by name.
Hosts = Mapping[str, Callable[..., Any]]
_VALUE_CLASSES = {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")}
_VALUE_CLASSES |= {("builtins", name) for name in ("set", "frozenset", "complex")}


class Killed(ScriptError):
    """The child was ended (time limit) or died (memory); it is not returned to the pool."""


class _ValuesOnly(pickle.Unpickler):
    """Unpickles plain values only: a class outside a short list of value types is refused."""

    def find_class(self, module: str, name: str) -> Any:
        """Allow the datetime types and a few builtin containers, nothing else."""
        if (module, name) in _VALUE_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


def values_only(data: bytes) -> Any:
    """Unpickle bytes from a child, refusing anything but plain values."""
    return _ValuesOnly(io.BytesIO(data)).load()


class Child:
    """One child process and the parent's end of its pipe."""

    def __init__(self, memory_mb: int) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_source_root(), os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD_MAIN, str(theirs.fileno()), str(memory_mb)], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.memory_mb = memory_mb
        if not self.conn.poll(START_SECONDS):
            self.kill()
            raise ScriptError("sandbox_not_started")
        self._receive(1 << 10)

    def run(self, job: tuple[Any, ...], hosts: Hosts, seconds: float, max_bytes: int) -> tuple[Any, ...]:
        """Send a job and answer its host calls until it replies; Killed once `seconds` have passed."""
        deadline = time.monotonic() + seconds
        self.conn.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        while True:
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                self.kill()
                raise Killed("script_time", seconds=seconds)
            reply = self._receive(max_bytes)
            if reply[0] != "call":
                return reply
            self.conn.send_bytes(_serve(hosts, reply))

    def _receive(self, max_bytes: int) -> Any:
        """The child's next message, at most `max_bytes` long; Killed when it died or said too much."""
        try:
            data = self.conn.recv_bytes(max_bytes)
        except EOFError:
            self.kill()
            raise Killed("sandbox_ended") from None
        except OSError:
            self.kill()
            raise Killed("result_too_large", most=max_bytes) from None
        try:
            return values_only(data)
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            self.kill()
            raise Killed("result_not_plain", reason=str(exc)) from None

    def alive(self) -> bool:
        """True while the process runs and its pipe is open."""
        return not self.conn.closed and self.process.poll() is None

    def kill(self) -> None:
        """End the process at once and reap it."""
        if not self.conn.closed:
            self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _serve(hosts: Hosts, message: tuple[Any, ...]) -> bytes:
    """The pickled answer to a child's call of a host function."""
    _, name, args, kwargs = message
    try:
        if name not in hosts:
            raise NameError(f"name {name!r} is not defined")
        return pickle.dumps(("ret", hosts[name](*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        params = {"function": name, "exception": type(exc).__name__, "detail": str(exc)}
        return pickle.dumps(("raise", params), protocol=pickle.HIGHEST_PROTOCOL)


def _source_root() -> str:
    """The folder that holds the engine package, so the child imports the same code."""
    return str(Path(__file__).resolve().parent.parent.parent)


class Pool:
    """Up to `size` children per process, started on first need; a forked process starts its own."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._idle: list[Child] = []
        self._count = 0
        self._ready = threading.Condition()
        self._pid = os.getpid()

    def run(self, job: tuple[Any, ...], hosts: Hosts, seconds: float, memory_mb: int,
            max_bytes: int) -> tuple[Any, ...]:
        """Run one job on a free child (waiting for one if all are busy)."""
        child = self._checkout(memory_mb)
        try:
            reply = child.run(job, hosts, seconds, max_bytes)
        except BaseException:
            child.kill()  # mid-job: its next answer would belong to this job, not the next one
            self._checkin(child)
            raise
        if reply[0] == "memory":
            child.kill()
            self._checkin(child)
            raise ScriptError("script_memory", mb=memory_mb)
        self._checkin(child)
        return reply

    def _checkout(self, memory_mb: int) -> Child:
        """A live child with this memory limit: an idle one, a new one, or the next one given back."""
        with self._ready:
            self._after_fork()
            while True:
                while self._idle:
                    child = self._idle.pop()
                    if child.alive() and child.memory_mb == memory_mb:
                        return child
                    child.kill()
                    self._count -= 1
                if self._count < self.size:
                    self._count += 1
                    break
                self._ready.wait()
        try:
            return Child(memory_mb)
        except BaseException:
            with self._ready:
                self._count -= 1
                self._ready.notify()
            raise

    def _checkin(self, child: Child) -> None:
        """Give a child back (a dead one frees its place for a new one)."""
        with self._ready:
            if os.getpid() != self._pid:
                return
            if child.alive():
                self._idle.append(child)
            else:
                self._count -= 1
            self._ready.notify()

    def _after_fork(self) -> None:
        """In a forked process, forget the parent's children (they answer the parent, not us)."""
        if os.getpid() != self._pid:
            for child in self._idle:
                child.conn.close()
            self._idle, self._count, self._pid = [], 0, os.getpid()

    def close(self) -> None:
        """Kill the idle children (at exit; busy ones end when their pipe closes)."""
        with self._ready:
            if os.getpid() == self._pid:
                for child in self._idle:
                    child.kill()
                self._count -= len(self._idle)
            self._idle = []
