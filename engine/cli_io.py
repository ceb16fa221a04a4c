"""How the `opsflow` command talks to an operator: one-line errors with their fix, JSON or text,
times in the organisation's zone, and a runtime only on a database that is ready."""
import functools
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from engine.config import Settings
from engine.error_codes import CHECK_DATABASE
from engine.errors import ConfigError, NotFound, OpsflowError
from engine.org import Directory, OrgError
from engine.runtime.heartbeat import DATABASE_ERRORS, describe

if TYPE_CHECKING:
    from engine.runtime.service import Runtime

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
USAGE_EXIT = 2  # bad input (a package, form data); everything else exits 1
P = ParamSpec("P")
R = TypeVar("R")


def runtime(ready: bool = True, users: Iterable[str | None] = ()) -> "Runtime":
    """A Runtime on the configured database; `ready` first checks the schema, `users` that each exists."""
    from engine.runtime.service import Runtime

    found = Runtime(Settings.from_env())
    if ready:
        found.db.check_schema()
    with found.db.read() as session:
        directory = Directory(session)
        missing = [name for name in users if name is not None and directory.user(name) is None]
    if missing:
        raise NotFound("no_such_user", user=missing[0])
    return found


@functools.cache
def zone() -> ZoneInfo:
    """The organisation's time zone (OPSFLOW_TIMEZONE), as the web UI shows times in."""
    name = Settings.from_env().timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("bad_timezone", zone=name) from exc


def when(moment: datetime | None) -> str:
    """A timestamp in the organisation's zone with its UTC offset, e.g. 2026-01-05 17:00 +0800."""
    if moment is None:
        return "-"
    local = moment.astimezone(zone())
    return f"{local:%Y-%m-%d %H:%M %z}"


def _jsonable(value: object) -> str:
    """json.dumps fallback: timestamps in the organisation's zone, with their offset."""
    if isinstance(value, datetime):
        return value.astimezone(zone()).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(value: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    """Print JSON or the human-readable text."""
    if as_json:
        click.echo(json.dumps(value, default=_jsonable, ensure_ascii=False, indent=2))
    else:
        click.echo(text(value))


def fail(kind: str, reason: object, code: int = 1) -> NoReturn:
    """Print `error (kind): reason` on one line and exit non-zero."""
    click.echo(f"error ({kind}): {' | '.join(str(reason).splitlines())}", err=True)
    sys.exit(code)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn engine and database errors into one line with the fix and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OpsflowError as exc:
            fail(exc.kind, exc, USAGE_EXIT if exc.kind in ("package", "invalid") else 1)
        except DATABASE_ERRORS as exc:
            fail("database", f"{describe(exc)}; {CHECK_DATABASE}")

    return wrapper


def reports_org_problems(func: Callable[P, R]) -> Callable[P, R]:
    """An organisation file's problems, each located on a line of its own, exit 2 (bad input), no traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OrgError as exc:
            for problem in exc.problems:
                click.echo(f"error ({exc.kind}): {problem}", err=True)
            sys.exit(USAGE_EXIT)

    return wrapper
