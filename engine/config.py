"""Every OPSFLOW_* setting, declared once with its default and why it exists."""
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Self

from engine.errors import ConfigError

DEFAULT_DATABASE_FOLDER = "instance"  # `opsflow init` creates it for the default database (only)
MIN_SECRET_KEY = 16
# Keys published in earlier releases' defaults: anyone can sign a session with them, so they count as none.
PUBLISHED_SECRET_KEYS = frozenset({"opsflow-demo-secret-change-me"})
SECRET_KEY_HOWTO = ("set it to a long random value, the same in every web process, e.g. "
                    "export OPSFLOW_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'); "
                    "`make run` keeps one in instance/secret_key")


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
    # Secret that signs web sessions. No default: `opsflow serve` refuses to start without one of at least
    # MIN_SECRET_KEY characters (`make run` keeps a random one in instance/secret_key).
    secret_key: str = ""
    # scrypt cost of stored passwords (a power of two; lower it only for throw-away test databases).
    password_hash_cost: int = 2**14
    # Folder where uploaded files are stored, each under its random id (relative to the working directory).
    attachments_path: str = "instance/attachments"
    # Largest file one upload may hold, in bytes (10 MiB).
    max_attachment_bytes: int = 10 * 1024 * 1024
    # Host and port of `opsflow serve`.
    host: str = "127.0.0.1"
    port: int = 5000
    # gunicorn worker processes and threads per process of `opsflow serve` (requests served at once:
    # their product); each process holds its own database pool.
    web_workers: int = 2
    web_threads: int = 4
    # Time zone the web UI shows and reads times in (an IANA name).
    timezone: str = "Asia/Taipei"
    # Sign-in attempts allowed per client address and per username (Flask-Limiter syntax).
    login_rate_limit: str = "10 per minute; 100 per hour"
    # Where rate-limit counters live: memory:// for one process, redis://host:6379 for several.
    ratelimit_storage_uri: str = "memory://"
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    # Behind an HTTPS proxy this makes cookies Secure and redirects https.
    proxy_count: int = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Build settings from OPSFLOW_<NAME> variables, then apply explicit overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"OPSFLOW_{f.name.upper()}")
            if raw is None:
                continue
            kind = type(f.default) if f.default is not MISSING else str
            values[f.name] = _number(f"OPSFLOW_{f.name.upper()}", raw, kind) if kind in (int, float) else raw
        values.update(overrides)
        return cls(**values)

    def require_secret_key(self) -> str:
        """Refuse a missing, published or short session key: with it anyone could forge a signed-in session."""
        key = self.secret_key or ""
        if not key:
            problem = "is not set"
        elif key in PUBLISHED_SECRET_KEYS:
            problem = "is the published demo key"
        elif len(key) < MIN_SECRET_KEY:
            problem = f"is shorter than {MIN_SECRET_KEY} characters"
        else:
            return key
        raise ConfigError(f"OPSFLOW_SECRET_KEY {problem}; it signs every session, so it must be secret: "
                          f"{SECRET_KEY_HOWTO}")


def _number(name: str, raw: str, kind: type[int] | type[float]) -> int | float:
    """A numeric setting's value, or a ConfigError naming the variable (one line for the operator)."""
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
