"""The `opsflow` console script: the engine's commands plus `serve`, which needs the web app."""
import os
import shutil
import sys
import tempfile
import threading

import click

from engine import cli_io
from engine.cli import bench, main
from webui.config import MULTIPROCESS_DIR, WebSettings
from webui.supervise import Supervisor


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default OPSFLOW_HOST).")
@click.option("--port", default=None, type=int, help="Port (default OPSFLOW_PORT).")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Also run one timer worker beside the web server (turn off when `opsflow worker` runs apart).")
@click.option("--dev", is_flag=True, help="Flask's development server, restarting when the code changes.")
@cli_io.reports_errors
def serve(host, port, worker, dev):
    """Serve the web UI under gunicorn (OPSFLOW_WEB_WORKERS processes x OPSFLOW_WEB_THREADS threads)."""
    settings = cli_io.runtime().settings  # refuses an unreachable or uninitialised database
    web = WebSettings.from_env()
    web.require_secret_key()  # a missing or published key would let anyone forge a signed-in session
    host, port = host or web.host, port or web.port
    if dev:
        _serve_dev(settings, host, port, worker)
        return
    click.echo(f"opsflow on http://{host}:{port}/ under gunicorn: {web.web_workers} processes x "
               f"{web.web_threads} threads{', one timer worker beside it' if worker else ''}; "
               "HUP reloads, TERM or Ctrl-C stops")
    server = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web.web_workers),
              "--threads", str(web.web_threads), "--access-logfile", "-", "--name", "opsflow",
              "--no-control-socket", "--config", "python:webui.gunicorn_hooks", "webui:create_app()"]
    timers = [sys.executable, "-m", "webui.cli", "worker"] if worker else None
    # gunicorn's processes write their request latencies here; /metrics in any of them adds all up.
    metrics_dir = tempfile.mkdtemp(prefix="opsflow-metrics-")
    os.environ[MULTIPROCESS_DIR] = metrics_dir
    try:
        code = Supervisor(server, timers, click.echo).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    sys.exit(code)


def _serve_dev(settings, host, port, worker):
    """Flask's reloading development server; the timer worker runs as a thread of the serving child."""
    from webui import create_app

    if worker and os.environ.get("WERKZEUG_RUN_MAIN") == "true":  # the reloader's parent only watches files
        start_worker_thread(settings)
    create_app().run(host=host, port=port, debug=True, use_reloader=True)


def start_worker_thread(settings, stop=None):
    """Fire due timers in a daemon thread with its own runtime (the development server's timer worker).

    `stop` (a threading.Event) ends it after its current poll; otherwise it lives as long as the process.
    """
    from engine.runtime.service import Runtime

    runtime = Runtime(settings)
    thread = threading.Thread(target=runtime.run_worker, kwargs={"stop": stop.is_set if stop else None},
                              name="opsflow-worker", daemon=True)
    thread.start()
    click.echo(f"timer worker running in this process (polling every {settings.worker_poll_seconds:g} s)")
    return thread


@bench.command("web")
@click.option("-n", "count", default=10_000, show_default=True, help="Open tasks of the role.")
@click.option("--runs", default=30, show_default=True, help="Timed requests per page (after warm-up).")
@click.option("--database-url", "--postgres", "postgres", default=None,
              help="PostgreSQL URL to measure too (in a private schema).")
@cli_io.reports_errors
def bench_web(count, runs, postgres):
    """Full inbox and task pages (Flask test client) of a role holding many open tasks."""
    from webui.bench import run_web_bench

    run_web_bench(count, postgres, runs, echo=click.echo)


__all__ = ["main"]

if __name__ == "__main__":
    main()
