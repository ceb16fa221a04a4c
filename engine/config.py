"""The engine's OPSFLOW_* settings, each declared once with its default and why it exists.

Settings only the web reads (session key, rate limits, proxies, the server's address and size) are
webui/config.py's; both read the environment the same way (`from_env`).
"""
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Self, TypeVar

from engine.errors import ConfigError

T = TypeVar("T")
DEFAULT_DATABASE_FOLDER = "instance"  # `opsflow init` creates it for the default database (only)


def _default_db_url() -> str:
    """SQLite under instance/ in the working directory: the embedded default."""
    return f"sqlite:///{Path(DEFAULT_DATABASE_FOLDER, 'opsflow.db').resolve()}"


@dataclass
class Settings:
    """opsflow's configuration; `from_env()` fills it from OPSFLOW_* variables."""

    # SQLAlchemy URL: sqlite:///path (default instance/opsflow.db) or postgresql+psycopg://...
    database_url: str = field(default_factory=_default_db_url)
    # Folder of process packages that `opsflow serve`/`make run` deploys.
    processes_path: str = "processes"
    # Organisation file loaded by `make run` and `opsflow org load` when no path is given.
    org_file: str = "processes/org.yaml"
    # Seconds `opsflow worker` sleeps between polls when nothing is due.
    worker_poll_seconds: float = 5.0
    # Most timers one worker claims per poll.
    worker_batch: int = 50
    # Longest wait, in seconds, between a worker's retries while the database is unreachable (the wait
    # starts at worker_poll_seconds and doubles per failed poll up to this).
    worker_retry_max_seconds: float = 30.0
    # /healthz answers 503 when the newest worker heartbeat (its last successful poll) is older than this.
    worker_stale_seconds: float = 60.0
    # How long, in seconds, a command on SQLite waits for another writer to finish before it fails as
    # "database busy" (PostgreSQL waits on row locks until its own lock_timeout, none by default).
    sqlite_busy_seconds: float = 10.0
    # Wall-clock budget, in seconds, of one sandboxed script or expression; past it the child process
    # running it is killed (the command fails with the reason, the worker records an incident).
    script_time_limit: float = 1.0
    # Memory, in megabytes, a sandboxed script or expression may allocate (the child process's address
    # space limit, above what the idle interpreter uses).
    script_memory_limit_mb: int = 256
    # Largest JSON, in bytes, one script may write into a case's data (new and changed fields together).
    script_data_limit_bytes: int = 1024 * 1024
    # Child processes per opsflow process that run scripts and expressions (started when first needed);
    # more let more requests run scripts at once.
    sandbox_processes: int = 2
    # How many deserialized workflows one process keeps in memory (0 disables the cache).
    instance_cache_size: int = 256
    # scrypt cost of stored passwords (a power of two; lower it only for throw-away test databases).
    password_hash_cost: int = 2**14
    # Folder where uploaded files are stored, each under its random id (relative to the working directory).
    attachments_path: str = "instance/attachments"
    # Largest file one upload may hold, in bytes (10 MiB).
    max_attachment_bytes: int = 10 * 1024 * 1024
    # The organisation's time zone (an IANA name): form rules' `today`, the times the CLI and the web UI show and read.
    timezone: str = "Asia/Taipei"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Build settings from OPSFLOW_<NAME> variables, then apply explicit overrides."""
        return from_env(cls, environ, overrides)


def from_env(cls: type[T], environ: Mapping[str, str] | None, overrides: Mapping[str, Any]) -> T:
    """An instance of the settings dataclass `cls` from OPSFLOW_<FIELD> variables (numbers checked), then overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        raw = environ.get(f"OPSFLOW_{f.name.upper()}")
        if raw is None:
            continue
        kind = type(f.default) if f.default is not MISSING else str
        values[f.name] = _number(f"OPSFLOW_{f.name.upper()}", raw, kind) if kind in (int, float) else raw
    values.update(overrides)
    return cls(**values)


def _number(name: str, raw: str, kind: type[int] | type[float]) -> int | float:
    """A numeric setting's value, or a ConfigError naming the variable (one line for the operator)."""
    try:
        return kind(raw)
    except ValueError:
        code = "setting_not_integer" if kind is int else "setting_not_number"
        raise ConfigError(code, name=name, value=raw) from None
