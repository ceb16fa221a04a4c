"""The `opsflow` commands about incidents: timers the engine held, listed, and retried once the cause is fixed."""
from typing import Any

import click

from engine.cli_io import emit as _emit
from engine.cli_io import json_option, when
from engine.cli_io import reports_errors as _reports_errors
from engine.cli_io import runtime as _runtime


def _incident_line(row: dict[str, Any]) -> str:
    """One open incident: its id, case, procedure, timer, since when, and why it is held."""
    reason = " | ".join(str(row["reason"]).splitlines())
    return (f"incident {row['id']:<6} case {row['case_id']:<6} {row['process_key']} v{row['version']:<4} "
            f"{row['timer']} timer  since {when(row['since'])}  {reason}")


@click.command()
@click.option("--process", default=None, metavar="KEY", help="Only incidents of this procedure.")
@json_option
@_reports_errors
def incidents(process: str | None, as_json: bool) -> None:
    """Open incidents: running cases whose timer could not fire and is held until someone retries it."""
    rows = _runtime().open_incidents(process_key=process)
    _emit(rows, as_json, lambda rs: "\n".join(_incident_line(r) for r in rs) or "no open incidents")


@click.group()
def incident() -> None:
    """One incident."""


@incident.command("retry")
@click.argument("case_id", metavar="CASE", type=int)
@click.argument("incident_id", metavar="INCIDENT", type=int)
@click.option("--as", "user", required=True, metavar="USER", help="Act as this user (a supervisor of the procedure).")
@_reports_errors
def incident_retry(case_id: int, incident_id: int, user: str) -> None:
    """Re-arm the timer INCIDENT of CASE held (after fixing its cause); the worker fires it on its next poll."""
    _runtime(users=[user]).retry_incident(case_id, incident_id, user)
    click.echo(f"incident {incident_id} of case {case_id} retried; the worker fires its timer on its next poll")


COMMANDS = (incidents, incident)
