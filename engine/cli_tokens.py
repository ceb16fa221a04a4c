"""The `opsflow token` commands: a user's personal API tokens, made (the secret printed once), listed, revoked."""
from datetime import timedelta

import click

from engine.cli_io import emit as _emit
from engine.cli_io import json_option, when
from engine.cli_io import reports_errors as _reports_errors
from engine.cli_io import runtime as _runtime
from engine.runtime.results import ApiTokenView

MAX_DAYS = 3650


def _token_line(token: ApiTokenView) -> str:
    """One token: id, prefix, name, when made, when it expires (or expired), when last used; never its secret."""
    expiry = "never" if token["expires_at"] is None else when(token["expires_at"])
    state = "expired" if token["expired"] else "expires"
    return (f"token {token['id']:<5} {token['prefix']}...  {token['name']}  made {when(token['created_at'])}  "
            f"{state} {expiry}  last used {when(token['last_used_at'])}")


@click.group()
def token() -> None:
    """A user's personal API tokens (for /api/v1, sent as `Authorization: Bearer SECRET`)."""


@token.command("create")
@click.argument("user", metavar="USER")
@click.argument("name", metavar="NAME")
@click.option("--expires-in-days", type=click.IntRange(1, MAX_DAYS), default=None, metavar="N",
              help=f"The token stops working after N days (1 to {MAX_DAYS}); without it, when revoked.")
@_reports_errors
def token_create(user: str, name: str, expires_in_days: int | None) -> None:
    """Make a token NAME for USER; its secret is printed on standard output this once and never stored."""
    runtime = _runtime(users=[user])
    expires_at = runtime.clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
    made = runtime.create_token(user, name, expires_at)
    click.echo(f"token {made['token']['id']} {made['token']['name']!r} of {user} made; "
               "its secret follows, shown only now (keep it like a password):", err=True)
    click.echo(made["secret"])


@token.command("list")
@click.argument("user", metavar="USER")
@json_option
@_reports_errors
def token_list(user: str, as_json: bool) -> None:
    """USER's tokens that are not revoked, newest first (their prefixes, never their secrets)."""
    rows = _runtime(users=[user]).tokens(user)
    _emit(rows, as_json, lambda rs: "\n".join(_token_line(r) for r in rs) or f"{user} has no API tokens")


@token.command("revoke")
@click.argument("user", metavar="USER")
@click.argument("token_id", metavar="ID", type=int)
@_reports_errors
def token_revoke(user: str, token_id: int) -> None:
    """Revoke USER's token ID: the API refuses its secret from the next request on."""
    _runtime(users=[user]).revoke_token(user, token_id)
    click.echo(f"token {token_id} of {user} revoked")


COMMANDS = (token,)
