"""The errors every caller of the engine (web UI, CLI, tests) handles by kind."""
from collections.abc import Iterable, Mapping
from typing import Any


class OpsflowError(Exception):
    """Base of every error the engine reports to a user; `code` names its kind."""

    code = "error"


class NotFound(OpsflowError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"


class Forbidden(OpsflowError):
    """The caller may see the thing but not do this to it."""

    code = "forbidden"


class Conflict(OpsflowError):
    """Someone else changed the case first; reload and try again."""

    code = "conflict"


class Busy(OpsflowError):
    """Other writers held the database longer than a command may wait; nothing changed, so try again soon."""

    code = "database_busy"


class NotReady(OpsflowError):
    """The task or case is no longer (or not yet) in a state that allows this."""

    code = "not_ready"


class ScriptError(OpsflowError):
    """An expression or script from a package failed or was not allowed."""

    code = "script"


class ValidationFailed(OpsflowError):
    """Form data did not match its schema; `errors` maps field path -> message."""

    code = "invalid"

    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        self.errors = dict(errors)
        summary = "; ".join(f"{path or '(form)'}: {msg}" for path, msg in self.errors.items())
        super().__init__(message or f"invalid form data: {summary}")


class PackageError(OpsflowError):
    """A process package cannot be loaded; `problems` lists each located reason."""

    code = "package"

    def __init__(self, problems: Iterable[Any]) -> None:
        # engine.definitions.model.Problem values: this module sits below definitions, so it cannot name them.
        self.problems: list[Any] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(OpsflowError):
    """A setting cannot work as given (a malformed database URL, an unknown driver, a missing folder)."""

    code = "config"


class DatabaseUnavailable(OpsflowError):
    """The database did not answer; the message names it (without password) and what to check."""

    code = "database"


class NotInitialised(OpsflowError):
    """The database lacks opsflow's schema or holds an older one: `opsflow init` fixes it."""

    code = "uninitialised"
