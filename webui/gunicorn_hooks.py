"""gunicorn's server hooks for `opsflow serve`, loaded with `--config python:webui.gunicorn_hooks`."""
import os

from prometheus_client import multiprocess

from webui.config import MULTIPROCESS_DIR


def child_exit(server, worker):
    """A web process ended: prometheus_client forgets its live gauges; its request counts stay in the sums."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(worker.pid)
