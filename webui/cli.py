"""The `opsflow` console script: the engine's commands plus `serve`, which needs the web app."""
import click

from engine.cli import main
from engine.config import Settings


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default OPSFLOW_HOST).")
@click.option("--port", default=None, type=int, help="Port (default OPSFLOW_PORT).")
def serve(host, port):
    """Serve the web UI with Flask's server (use gunicorn 'webui:create_app()' in production)."""
    from webui import create_app

    settings = Settings.from_env()
    create_app().run(host=host or settings.host, port=port or settings.port)


__all__ = ["main"]

if __name__ == "__main__":
    main()
