"""ISO 8601 timers: modelers write them bare, SpiffWorkflow evaluates them as Python."""
import ast
import re
from datetime import datetime

from engine.errors import ScriptError
from engine.sandbox import compile_expression

TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")

DURATION = re.compile(
    r"P(?:\d+W|(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?)"
)
_BARE_ISO = re.compile(r"(?:R\d*/|P[\dT]|\d{4}-\d{2})[\w:+\-./,]*")
_REPEAT = re.compile(r"R\d*")


def is_duration(value: object) -> bool:
    """True for an ISO 8601 duration such as P2D, PT4H or P1W."""
    return isinstance(value, str) and DURATION.fullmatch(value) is not None


def quote_iso(text: str) -> str:
    """Quote a bare ISO 8601 value so Python evaluates it as a string; leave expressions alone."""
    core = text.strip()
    if not _BARE_ISO.fullmatch(core):
        return text
    start = len(text) - len(text.lstrip())
    return f'{text[:start]}"{core}"{text[start + len(core):]}'


def _duration_problem(value: str) -> str | None:
    """Why `value` is not a duration, or None."""
    if is_duration(value):
        return None
    return f"{value!r} is not an ISO 8601 duration such as PT5M or P2D"


def _date_problem(value: str) -> str | None:
    """Why `value` is not a zoned date-time, or None (naive ones would use the server's zone)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not an ISO 8601 date-time such as 2026-12-01T09:00:00Z"
    if moment.tzinfo is None:
        return f"date-time {value!r} has no time zone: end it with Z or an offset such as +08:00"
    return None


def _cycle_problem(value: str) -> str | None:
    """Why `value` is not a cycle (R[n]/duration, R[n]/start/duration, R[n]/duration/end), or None."""
    repeat, *spans = value.split("/")
    durations = [span for span in spans if span.startswith("P")]
    if not _REPEAT.fullmatch(repeat) or len(spans) not in (1, 2) or len(durations) != 1:
        return f"{value!r} is not an ISO 8601 cycle such as R3/PT10M or R/2026-12-01T09:00:00Z/P1D"
    for span in spans:
        problem = _duration_problem(span) if span.startswith("P") else _date_problem(span)
        if problem:
            return problem
    return None


_VALUE_CHECKS = {"timeDuration": _duration_problem, "timeDate": _date_problem, "timeCycle": _cycle_problem}


def timer_problem(kind: str, text: str | None) -> str | None:
    """Why a timer's text (timeDuration, timeDate or timeCycle) cannot work, or None."""
    if not text or not text.strip():
        return "timer has no expression"
    source = quote_iso(text).strip()
    try:
        value = ast.literal_eval(source)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        try:
            compile_expression(source)
        except ScriptError as exc:
            return f"timer is neither ISO 8601 nor an allowed expression: {exc}"
        return None
    if not isinstance(value, str):
        return f"timer {source} is not an ISO 8601 string"
    return _VALUE_CHECKS[kind](value)
