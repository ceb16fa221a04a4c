"""The errors every caller of the engine (web UI, CLI, tests) handles by kind and tells apart by code.

An error's class is its kind (`kind`: how a caller reacts: 404, 409, exit code...); each instance
carries a specific `code` and its `params`, listed with their English in engine/error_codes.py,
and `str()` gives that English for the CLI and the logs.
"""
from collections.abc import Iterable, Mapping
from typing import Any, Self

from engine.error_codes import render


class OpsflowError(Exception):
    """Base of every error the engine reports to a user: `OpsflowError(code, **params)`.

    `code` must be registered in engine/error_codes.py, with exactly its parameters (ValueError otherwise).
    """

    kind = "error"

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(render(code, params))


class NotFound(OpsflowError):
    """The thing does not exist, or the caller may not know that it does."""

    kind = "not_found"


class Forbidden(OpsflowError):
    """The caller may see the thing but not do this to it."""

    kind = "forbidden"


class Conflict(OpsflowError):
    """Someone else changed the case first; reload and try again."""

    kind = "conflict"


class Busy(OpsflowError):
    """Other writers held the database longer than a command may wait; nothing changed, so try again soon."""

    kind = "database_busy"


class NotReady(OpsflowError):
    """The task or case is no longer (or not yet) in a state that allows this."""

    kind = "not_ready"


class ScriptError(OpsflowError):
    """An expression or script from a package failed or was not allowed."""

    kind = "script"


class FieldError(str):
    """The English reason a form field was refused, carrying its `code` and `params` (a str, so it reads as one)."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, /, **params: Any) -> Self:
        """The rendered English as the string; code and parameters kept beside it."""
        text = super().__new__(cls, render(code, params))
        text.code, text.params = code, params
        return text

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """What copy and pickle build it again from: its code and parameters, not its English."""
        return (self.code,), self.params


class ValidationFailed(OpsflowError):
    """Form data did not match its schema; `errors` maps field path -> FieldError (a caller's own reasons, such
    as a web form's `input_errors`, stay as they were given)."""

    kind = "invalid"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        summary = "; ".join(f"{path or '(form)'}: {msg}" for path, msg in self.errors.items())
        super().__init__("form_invalid", summary=summary)


class PackageError(OpsflowError):
    """A process package cannot be loaded; `problems` lists each located reason (each with its code)."""

    kind = "package"

    def __init__(self, problems: Iterable[Any]) -> None:
        # engine.definitions.model.Problem values: this module sits below definitions, so it cannot name them.
        self.problems: list[Any] = list(problems)
        super().__init__("package_invalid", problems="\n".join(str(p) for p in self.problems))


class ConfigError(OpsflowError):
    """A setting cannot work as given (a malformed database URL, an unknown driver, a missing folder)."""

    kind = "config"


class DatabaseUnavailable(OpsflowError):
    """The database did not answer; the message names it (without password) and what to check."""

    kind = "database"


class NotInitialised(OpsflowError):
    """The database lacks opsflow's schema or holds an older one: `opsflow init` fixes it."""

    kind = "uninitialised"
