"""ISO 8601 timers: modelers write them bare, SpiffWorkflow evaluates them as Python."""
import ast
import re
from datetime import datetime

from engine.error_codes import Coded
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
    """The code of why `value` is not a duration, or None."""
    return None if is_duration(value) else "timer_not_duration"


def _date_problem(value: str) -> str | None:
    """The code of why `value` is not a zoned date-time, or None (naive ones would use the server's zone)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "timer_not_date"
    return "timer_no_zone" if moment.tzinfo is None else None


def _cycle_problem(value: str) -> tuple[str, str] | None:
    """(code, the part it is about) of why `value` is not a cycle (R[n]/duration, R[n]/start/duration,
    R[n]/duration/end), or None."""
    repeat, *spans = value.split("/")
    durations = [span for span in spans if span.startswith("P")]
    if not _REPEAT.fullmatch(repeat) or len(spans) not in (1, 2) or len(durations) != 1:
        return "timer_not_cycle", value
    for span in spans:
        code = _duration_problem(span) if span.startswith("P") else _date_problem(span)
        if code:
            return code, span
    return None


def _value_problem(kind: str, value: str) -> tuple[str, str] | None:
    """(code, the part it is about) of why an ISO 8601 string cannot be a timer of `kind`, or None."""
    if kind == "timeCycle":
        return _cycle_problem(value)
    code = _duration_problem(value) if kind == "timeDuration" else _date_problem(value)
    return (code, value) if code else None


def timer_problem(kind: str, text: str | None) -> Coded | None:
    """(code, params) of why a timer's text (timeDuration, timeDate or timeCycle) cannot work, or None."""
    if not text or not text.strip():
        return "timer_empty", {"timer": kind}
    source = quote_iso(text).strip()
    try:
        value = ast.literal_eval(source)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        try:
            compile_expression(source)
        except ScriptError as exc:
            return "timer_not_iso_or_expression", {"timer": kind, "reason": str(exc)}
        return None
    if not isinstance(value, str):
        return "timer_not_string", {"timer": kind, "source": source}
    problem = _value_problem(kind, value)
    return (problem[0], {"timer": kind, "value": problem[1]}) if problem else None
