"""The `opsflow` console script: the engine's commands plus `serve`, which needs the web app."""
import threading

import click

from engine.cli import bench, main
from engine.config import Settings


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default OPSFLOW_HOST).")
@click.option("--port", default=None, type=int, help="Port (default OPSFLOW_PORT).")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Also fire due timers in this process (one machine; run `opsflow worker` apart to scale out).")
def serve(host, port, worker):
    """Serve the web UI with Flask's server (use gunicorn 'webui:create_app()' in production)."""
    from webui import create_app

    settings = Settings.from_env()
    app = create_app()
    if worker:
        start_worker_thread(settings)
    app.run(host=host or settings.host, port=port or settings.port)


def start_worker_thread(settings, stop=None):
    """Fire due timers in a daemon thread with its own runtime, so due dates and escalations happen in the demo.

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
def bench_web(count, runs, postgres):
    """Full inbox and task pages (Flask test client) of a role holding many open tasks."""
    from webui.bench import run_web_bench

    run_web_bench(count, postgres, runs, echo=click.echo)


__all__ = ["main"]

if __name__ == "__main__":
    main()
