"""The `opsflow` command: every runtime command from a shell, `--json` on every read."""
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from engine.cli_incidents import COMMANDS as INCIDENT_COMMANDS
from engine.cli_io import emit as _emit
from engine.cli_io import json_option, when
from engine.cli_io import reports_errors as _reports_errors
from engine.cli_io import reports_org_problems as _reports_org_problems
from engine.cli_io import runtime as _runtime
from engine.cli_tokens import COMMANDS as TOKEN_COMMANDS
from engine.cli_versions import COMMANDS
from engine.config import DEFAULT_DATABASE_FOLDER, Settings
from engine.definitions.model import Package
from engine.org import OrgLoaded
from engine.runtime.inbox import MAX_PER_PAGE


def _parse_data(raw: str | None) -> Any:
    """The --data option as a dict."""
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--data") from exc
    except RecursionError as exc:
        raise click.BadParameter("not accepted: JSON nested too deeply", param_hint="--data") from exc


as_option = click.option("--as", "user", required=True, metavar="USER", help="Act as this user.")


class OpsflowCommands(click.Group):
    """The `opsflow` commands, where an old command name still runs the command that replaced it.

    The old names are left out of `opsflow --help`, so scripts keep working while people learn the new ones.
    """

    ALIASES = {"instance": "case"}  # a case was called an instance; `opsflow instance ID` is in scripts

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command named `cmd_name`, or the one that name is an old alias of."""
        return super().get_command(ctx, self.ALIASES.get(cmd_name, cmd_name))


@click.group(cls=OpsflowCommands)
@click.version_option(package_name="opsflow", message="opsflow %(version)s")
def main() -> None:
    """opsflow: run an operations department's procedures as BPMN."""


for _command in COMMANDS + INCIDENT_COMMANDS + TOKEN_COMMANDS:
    main.add_command(_command)


@main.command()
@_reports_errors
def init() -> None:
    """Create or upgrade the database schema (and the default database's instance/ folder)."""
    if Settings.from_env().database_url == Settings().database_url:
        Path(DEFAULT_DATABASE_FOLDER).mkdir(exist_ok=True)
    _runtime(ready=False).init()
    click.echo("database ready")


def _org_roles(path: str) -> set[str]:
    """The role keys an organisation file declares (OrgError when the file is inconsistent)."""
    from engine.org import read_org_file

    return {role["key"] for role in read_org_file(path).get("roles", [])}


def _role_warnings(packages: Iterable[Package]) -> list[str]:
    """Without --org no organisation is loaded: roles are checked against the default file, as warnings."""
    from engine.definitions.roles import role_problems
    from engine.org import OrgError

    org_file = Settings.from_env().org_file
    if not Path(org_file).is_file():
        return [f"warning: roles not checked: no organisation is loaded and {org_file} does not exist "
                "(pass --org FILE)"]
    try:
        roles = _org_roles(org_file)
    except OrgError as exc:
        return [f"warning: roles not checked: {problem}" for problem in exc.problems]
    return [str(problem) for package in packages for problem in role_problems(package, roles, org_file, warning=True)]


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--org", "org_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Check roles against this organisation file: a role it lacks is a problem.")
@_reports_errors
@_reports_org_problems
def validate(paths: tuple[str, ...], org_file: str | None) -> None:
    """Validate packages without deploying them; every problem (and warning) on a line of its own."""
    from engine.errors import PackageError
    from engine.runtime.catalog import LOADED, Catalog

    roles = _org_roles(org_file) if org_file else None
    try:
        packages = Catalog.load_paths(paths, roles, where=org_file or LOADED)
    except PackageError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        sys.exit(2)
    for package in packages:
        click.echo(f"{package.key}: ok ({package.content_hash[:12]})")
    for line in [] if org_file else _role_warnings(packages):
        click.echo(line, err=True)


@main.group()
def org() -> None:
    """The organisation."""


@org.command("load")
@click.argument("file", required=False, type=click.Path(exists=True))
@_reports_errors
@_reports_org_problems
def org_load(file: str | None) -> None:
    """Replace the organisation with the one in FILE (default: OPSFLOW_ORG_FILE)."""
    runtime = _runtime()
    counts: OrgLoaded = runtime.load_org(file or runtime.settings.org_file)
    click.echo(f"loaded {counts['users']} users, {counts['roles']} roles, {counts['departments']} departments")
    for line in counts["warnings"]:
        click.echo(f"warning: {line}", err=True)


@main.command()
@click.argument("process")
@as_option
@click.option("--data", default=None, help="Start-form data as JSON.")
@_reports_errors
def start(process: str, user: str, data: str | None) -> None:
    """Start a case of PROCESS and print its id."""
    click.echo(_runtime(users=[user]).start(process, user, _parse_data(data)))


def _task_line(t: dict[str, Any]) -> str:
    """One inbox line: who holds the task, else who may take it (a role, or the people a step names)."""
    who = t["assignee"] or (f"people:{','.join(t['candidates'])}" if t.get("pool") == "people"
                            else f"role:{t['role']}")
    due = when(t["due_at"])
    return f"{t['id']}  case {t['case_id']:<6} {t['task_key']:<32} {who:<24} due {due}  {t['title_en']}"


@main.command()
@as_option
@click.option("--process", default=None, help="Only tasks of this procedure.")
@json_option
@_reports_errors
def tasks(user: str, process: str | None, as_json: bool) -> None:
    """The inbox of USER: their tasks and unclaimed tasks of their roles."""
    rows = _runtime(users=[user]).inbox(user, process_key=process, per_page=MAX_PER_PAGE)["tasks"]
    _emit(rows, as_json, lambda rs: "\n".join(_task_line(t) for t in rs) or "no open tasks")


@main.command()
@click.argument("task_id")
@as_option
@click.option("--lang", default="en", type=click.Choice(["en", "zh-Hant"]))
@json_option
@_reports_errors
def task(task_id: str, user: str, lang: str, as_json: bool) -> None:
    """One task with its instructions and form schema."""
    detail = _runtime(users=[user]).task(task_id, user, language=lang)
    _emit(detail, as_json, lambda d: "\n".join([
        _task_line(d), "", d["instructions"], "", "form schema:",
        json.dumps(d["schema"], ensure_ascii=False, indent=2)]))


@main.command()
@json_option
@_reports_errors
def users(as_json: bool) -> None:
    """The organisation's users with their roles."""
    rows = _runtime().users()
    _emit(rows, as_json, lambda rs: "\n".join(
        f"{u['username']:<16} {u['name']:<22} {u['department'] or '-':<12} manager {u['manager'] or '-':<14} "
        f"{', '.join(u['roles'])}" for u in rs))


@main.command()
@click.argument("task_id")
@as_option
@_reports_errors
def claim(task_id: str, user: str) -> None:
    """Claim an unclaimed role task."""
    _runtime(users=[user]).claim(task_id, user)
    click.echo(f"claimed {task_id}")


@main.command()
@click.argument("task_id")
@as_option
@_reports_errors
def release(task_id: str, user: str) -> None:
    """Release a claimed task back to its role."""
    _runtime(users=[user]).release(task_id, user)
    click.echo(f"released {task_id}")


@main.command()
@click.argument("task_id")
@as_option
@click.option("--to", "to_user", required=True, metavar="USER", help="The new assignee.")
@_reports_errors
def reassign(task_id: str, user: str, to_user: str) -> None:
    """Hand a task to someone else (supervisors of the procedure)."""
    _runtime(users=[user, to_user]).reassign(task_id, user, to_user)
    click.echo(f"reassigned {task_id} to {to_user}")


@main.command()
@click.argument("task_id")
@as_option
@click.option("--data", default=None, help="Form data as JSON.")
@_reports_errors
def complete(task_id: str, user: str, data: str | None) -> None:
    """Complete a task with form data."""
    result = _runtime(users=[user]).complete(task_id, user, _parse_data(data))
    click.echo(f"completed {task_id}; case {result['case_id']} is {result['status']}")


@main.command()
@click.argument("case_id", metavar="CASE", type=int)
@as_option
@click.option("--reason", default="", help="Why the case is cancelled.")
@_reports_errors
def cancel(case_id: int, user: str, reason: str) -> None:
    """Cancel a running CASE."""
    _runtime(users=[user]).cancel(case_id, user, reason)
    click.echo(f"cancelled case {case_id}")


def _case_text(d: dict[str, Any]) -> str:
    """A case as readable lines."""
    lines = [f"case {d['id']}  {d['process_key']} v{d['version']}  {d['status']}  started by {d['starter']}"]
    lines += [f"  open: {t['task_key']} ({t['assignee'] or 'role:' + str(t['role'])})" for t in d["tasks"]]
    lines += [f"  {when(e['at'])}  {e['kind']:<20} {e['actor'] or '-':<14} {e['task_key'] or ''}"
              for e in d["history"]]
    return "\n".join(lines)


@main.command("case")
@click.argument("case_id", metavar="CASE", type=int)
@click.option("--as", "user", default=None, metavar="USER", help="Read as this user (default: operator view).")
@json_option
@_reports_errors
def case_command(case_id: int, user: str | None, as_json: bool) -> None:
    """A CASE: status, open tasks, data and history.

    `opsflow instance CASE`, the command's old name, does the same.
    """
    _emit(_runtime(users=[user]).case(case_id, viewer=user), as_json, _case_text)


@main.command()
@click.option("--once", is_flag=True, help="Fire every timer due now (batch after batch), then exit.")
@_reports_errors
def worker(once: bool) -> None:
    """Fire due timers (BPMN timer events and task SLAs), riding out database outages; Ctrl-C or TERM stops it."""
    runtime = _runtime()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # SpiffWorkflow's state changes, hundreds a batch
    stopping = threading.Event()
    if not once:
        signal.signal(signal.SIGTERM, lambda signum, frame: _interrupt(stopping))
        click.echo(f"worker polling every {runtime.settings.worker_poll_seconds:g} s; Ctrl-C stops it")
    try:
        fired = runtime.run_worker(once=once, stop=stopping.is_set)
    except KeyboardInterrupt:
        fired = runtime.fired_total
    click.echo(f"fired {fired} timers")


def _interrupt(stopping: threading.Event) -> NoReturn:
    """TERM stops the worker like Ctrl-C: the timer being fired rolls back and stays due.

    The flag is the backstop: an interrupt raised inside a database call can come out as the driver's
    error, which the worker takes for an outage; its loop then sees the flag and returns.
    """
    stopping.set()
    raise KeyboardInterrupt


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@_reports_errors
def test_command(paths: tuple[str, ...]) -> None:
    """Run the scenario tests of packages against a throw-away database."""
    from engine.scenarios import run_paths

    results = run_paths(paths or ("processes",), echo=click.echo)
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not results else 0)


@main.group()
def bench() -> None:
    """Benchmarks that print figures."""


@bench.command("engine")
@click.option("-n", "count", default=200, show_default=True, help="Cases per configuration.")
@click.option("--postgres", default=None, help="PostgreSQL URL for configuration (c).")
@_reports_errors
def bench_engine(count: int, postgres: str | None) -> None:
    """Procurement happy path: bare SpiffWorkflow vs opsflow on SQLite (and PostgreSQL)."""
    from engine.bench import run_engine_bench

    run_engine_bench(count, postgres, echo=click.echo)


@bench.command("inbox")
@click.option("-n", "count", default=10_000, show_default=True, help="Open tasks of the role.")
@click.option("--runs", default=30, show_default=True, help="Timed calls per page.")
@click.option("--database-url", "--postgres", "postgres", default=None,
              help="PostgreSQL URL to measure too (in a private schema).")
@_reports_errors
def bench_inbox(count: int, runs: int, postgres: str | None) -> None:
    """Inbox pages of a role holding many open tasks, on SQLite (and PostgreSQL)."""
    from engine.bench_inbox import run_inbox_bench

    run_inbox_bench(count, postgres, runs, echo=click.echo)
