"""Restricted evaluation of the Python found in packages: conditions, scripts, DMN cells, assignees.

Diagrams come from process owners' browsers, so nothing in them may import, touch files,
reach dunder attributes or run forever. RestrictedPython rewrites the code with guards;
a trace function enforces a wall-clock budget.
"""
import ast
import functools
import math
import operator
import sys
import time
from datetime import date, datetime, timedelta, timezone

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.errors import ScriptError
from engine.jsonsafe import json_safe

DEFAULT_TIME_LIMIT = 1.0

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}

_EXTRA_BUILTINS = {
    name: getattr(__builtins__, name) if not isinstance(__builtins__, dict) else __builtins__[name]
    for name in ("all", "any", "dict", "enumerate", "filter", "list", "map", "max", "min",
                 "reversed", "set", "frozenset", "sum", "sorted")
}


def _inplace(op, x, y):
    """Apply an augmented assignment (RestrictedPython routes them through here)."""
    return _INPLACE[op](x, y)


def _apply(func, *args, **kwargs):
    """Call with star-arguments (RestrictedPython routes them through here)."""
    return func(*args, **kwargs)


def base_globals():
    """The names every sandboxed expression sees before case data."""
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    return {
        "__builtins__": builtins,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplace,
        "_apply_": _apply,
        "math": math,
        "date": date,
        "datetime": datetime,
        "timedelta": timedelta,
        "timezone": timezone,
    }


_BASE = base_globals()


@functools.lru_cache(maxsize=4096)
def compile_expression(source):
    """Compile an expression, raising ScriptError with the reason when it is not allowed."""
    result = compile_restricted_eval(source.strip(), "<expression>")
    if result.errors or result.code is None:
        raise ScriptError(f"expression {source.strip()!r}: {'; '.join(result.errors)}")
    return result.code


@functools.lru_cache(maxsize=1024)
def compile_script(source):
    """Compile a script, raising ScriptError with the reason when it is not allowed."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ScriptError(f"script: line {exc.lineno}: {exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptError(f"script: line {node.lineno}: imports are not allowed")
    result = compile_restricted_exec(source, "<script>")
    if result.errors or result.code is None:
        raise ScriptError(f"script: {'; '.join(result.errors)}")
    return result.code


def _run_bounded(code, namespace, limit):
    """Run compiled code, stopping it with ScriptError once `limit` seconds have passed."""
    deadline = time.monotonic() + limit
    previous = sys.gettrace()

    def tracer(frame, event, arg):
        if event == "call":
            frame.f_trace_opcodes = True
        elif time.monotonic() > deadline:
            raise ScriptError(f"script ran longer than {limit:g} s")
        return tracer

    sys.settrace(tracer)
    try:
        return eval(code, namespace)  # noqa: S307 - restricted code, guarded namespace
    except ScriptError:
        raise
    except Exception as exc:
        raise ScriptError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.settrace(previous)


def evaluate(source, names=None, limit=DEFAULT_TIME_LIMIT):
    """Evaluate a restricted expression with `names` visible."""
    namespace = dict(_BASE)
    namespace.update(names or {})
    return _run_bounded(compile_expression(source), namespace, limit)


def execute(source, data, extra=None, limit=DEFAULT_TIME_LIMIT):
    """Run a restricted script against `data` (a dict updated in place with JSON-safe values)."""
    namespace = dict(_BASE)
    namespace.update(extra or {})
    namespace.update(data)
    _run_bounded(compile_script(source), namespace, limit)
    hidden = set(_BASE) | set(extra or {})
    for key in list(data):
        if key not in namespace:
            del data[key]
    for key, value in namespace.items():
        if key.startswith("_") or callable(value) or (key in hidden and key not in data):
            continue
        data[key] = json_safe(value)
