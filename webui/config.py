"""The web's own OPSFLOW_* settings: what only the web app and `opsflow serve` read (the engine's: engine/config.py)."""
from dataclasses import dataclass

from flask import current_app

from engine.config import from_env
from engine.errors import ConfigError

MIN_SECRET_KEY = 16
# Keys published in earlier releases' defaults: anyone can sign a session with them, so they count as none.
PUBLISHED_SECRET_KEYS = frozenset({"opsflow-demo-secret-change-me"})
# prometheus_client's multiprocess mode: `opsflow serve` points it at a private folder of its own before
# gunicorn forks, where every web process writes its request latencies (webui/metrics.py adds them up).
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


@dataclass
class WebSettings:
    """The web's configuration; `from_env()` fills it from OPSFLOW_* variables like the engine's."""

    # Secret that signs web sessions. No default: `opsflow serve` refuses to start without one of at least
    # MIN_SECRET_KEY characters (`make run` keeps a random one in instance/secret_key).
    secret_key: str = ""
    # Host and port of `opsflow serve`.
    host: str = "127.0.0.1"
    port: int = 5000
    # gunicorn worker processes and threads per process of `opsflow serve` (requests served at once:
    # their product); each process holds its own database pool.
    web_workers: int = 2
    web_threads: int = 4
    # Sign-in attempts allowed per client address and per username (Flask-Limiter syntax).
    login_rate_limit: str = "10 per minute; 100 per hour"
    # Where rate-limit counters live: memory:// for one process, redis://host:6379 for several.
    ratelimit_storage_uri: str = "memory://"
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    # Behind an HTTPS proxy this makes cookies Secure and redirects https.
    proxy_count: int = 0
    # Bearer token that opens /metrics to scrapers on other machines (empty: loopback clients only).
    metrics_token: str = ""

    @classmethod
    def from_env(cls, environ=None, **overrides):
        """Build web settings from OPSFLOW_<NAME> variables, then apply explicit overrides."""
        return from_env(cls, environ, overrides)

    def require_secret_key(self):
        """Refuse a missing, published or short session key: with it anyone could forge a signed-in session."""
        key = self.secret_key or ""
        if not key:
            raise ConfigError("secret_key_missing")
        if key in PUBLISHED_SECRET_KEYS:
            raise ConfigError("secret_key_published")
        if len(key) < MIN_SECRET_KEY:
            raise ConfigError("secret_key_short", least=MIN_SECRET_KEY)
        return key


def current_web_settings():
    """The web settings of the app handling the current request (built by `create_app`)."""
    return current_app.extensions["opsflow_web"]
