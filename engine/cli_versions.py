"""The `opsflow` commands about versions: deploy new ones, choose the one new cases start on, list them,
export one as a package folder."""
from pathlib import Path
from typing import Any

import click

from engine.cli_io import emit as _emit
from engine.cli_io import json_option, when
from engine.cli_io import reports_errors as _reports_errors
from engine.cli_io import runtime as _runtime
from engine.errors import ConfigError


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


def _ready_folder(folder: Path, force: bool) -> None:
    """Create `folder`, or accept it when empty (or when `force` allows writing over its files)."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError("export_not_a_folder", folder=str(folder))
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise ConfigError("export_folder_not_empty", folder=str(folder))
    folder.mkdir(parents=True, exist_ok=True)


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write each file (its path relative, checked by the runtime's read) below `folder`."""
    for path, data in files.items():
        target = folder.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@click.command("export")
@click.argument("process")
@click.option("--version", "version", type=click.IntRange(min=1), default=None, metavar="N",
              help="The version to export (default: the one new cases start on).")
@click.option("--into", "folder", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="The folder to write the package into: new or empty.")
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty: the version's files replace theirs, others stay.")
@json_option
@_reports_errors
def export(process: str, version: int | None, folder: Path, force: bool, as_json: bool) -> None:
    """Write a deployed version of PROCESS as a package folder that `opsflow deploy` takes back unchanged."""
    package = _runtime().package_files(process, version)
    _ready_folder(folder, force)
    write_files(folder, package["files"])
    written = {"key": package["key"], "version": package["version"], "content_hash": package["content_hash"],
               "active": package["active"], "folder": str(folder), "files": list(package["files"])}
    _emit(written, as_json, lambda w: f"{w['key']}: version {w['version']} written to {w['folder']} "
                                      f"({len(w['files'])} files)")


COMMANDS = (deploy, activate, versions, export)
