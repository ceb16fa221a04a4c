"""The `opsflow` commands about versions: deploy new ones, choose the one new cases start on, list them."""
from typing import Any

import click

from engine.cli_io import emit as _emit
from engine.cli_io import json_option, when
from engine.cli_io import reports_errors as _reports_errors
from engine.cli_io import runtime as _runtime


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--by", "actor", default=None, help="Who deploys (recorded with the version).")
@json_option
@_reports_errors
def deploy(paths: tuple[str, ...], actor: str | None, as_json: bool) -> None:
    """Validate packages and store a new version of each one that changed (default: OPSFLOW_PROCESSES_PATH)."""
    runtime = _runtime()
    results = runtime.deploy(paths or (runtime.settings.processes_path,), actor)
    _emit(results, as_json, lambda rs: "\n".join(_deployed_line(r) for r in rs))
    if not all(r["roles_checked"] for r in results):
        click.echo("warning: no organisation is loaded, so the roles these procedures name are not checked; "
                   "`opsflow org load` checks them", err=True)


def _deployed_line(result: dict[str, Any]) -> str:
    """What a deploy did to one procedure; content of an older version says how to start new cases on it."""
    key, version = result["key"], result["version"]
    if result["created"]:
        return f"{key}: version {version} deployed"
    if result["active"]:
        return f"{key}: version {version} unchanged"
    return (f"{key}: matches version {version}, but new cases start on version {result['active_version']}; "
            f"`opsflow activate {key} {version}` starts them on version {version}")


@click.command()
@click.argument("process")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--by", "actor", default=None, help="Who activates (recorded with the activation).")
@_reports_errors
def activate(process: str, version: int, actor: str | None) -> None:
    """Start new cases of PROCESS on deployed VERSION (a rollback or roll forward); running cases keep theirs."""
    result = _runtime().activate(process, version, actor)
    if result["changed"]:
        click.echo(f"{process}: new cases start on version {version} (was version {result['was']})")
    else:
        click.echo(f"{process}: version {version} is already the one new cases start on")


@click.command()
@click.argument("process")
@json_option
@_reports_errors
def versions(process: str, as_json: bool) -> None:
    """The deployed versions of PROCESS, newest first; `active` marks the one new cases start on."""
    rows = _runtime().versions(process)
    _emit(rows, as_json, lambda rs: "\n".join(
        f"v{r['version']:<4} {'active' if r['active'] else '':<7}deployed {when(r['deployed_at'])} "
        f"by {r['deployed_by'] or '-':<16} {r['content_hash'][:12]}" for r in rs))


COMMANDS = (deploy, activate, versions)
