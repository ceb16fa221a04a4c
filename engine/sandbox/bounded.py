"""Expressions that can neither loop nor grow, which are therefore evaluated in-process.

Most expressions a workflow evaluates are gateway conditions and assignees such as
`total < 50000 and category != "services"` or `manager_of(starter)`; a child process round trip
would cost more than they do. An expression is evaluated in-process only when its syntax tree
(at most MAX_NODES nodes) holds nothing but names, constants, comparisons, `and`/`or`/`not`,
conditional expressions, subscripts, fixed displays ([a, b], {k: v}) and the arithmetic `+ - / //`
and bit operators, and calls whose callee is a plain name, which must, when it runs, be one of a
few builtins with linear cost (at most a given number of positional arguments, no keywords) or a
function the engine itself passed in (organisation look-ups).

Why this is bounded: such code has no loop, comprehension, lambda, attribute or method call, so each
node runs at most once; every operation allowed costs time and memory at most linear (n log n for
sorted) in the size of its operands; and no allowed operation makes a result larger than the sum of
its operands (`*`, `**`, `<<` and `%` formatting are left out because they can). So the work is
bounded by MAX_NODES times the size of the largest value the expression reads, which is case data
already held in memory. Everything else runs in a child process under the operating system's limits.
"""
import ast
import functools
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

MAX_NODES = 64
# (callee name, positional arguments, whether keywords are given) of one call in an expression.
Call = tuple[str, int, bool]

_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Invert,
          ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is,
          ast.IsNot, ast.IfExp, ast.Name, ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.Tuple,
          ast.List, ast.Dict, ast.Set, ast.BinOp, ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.BitAnd,
          ast.BitOr, ast.BitXor, ast.RShift, ast.Call)

# Builtins with linear cost in their argument, and how many positional arguments each may take.
LINEAR_BUILTINS: dict[object, int] = {
    len: 1, abs: 1, bool: 1, str: 1, int: 1, float: 1, any: 1, all: 1, sum: 1, sorted: 1, set: 1, list: 1, tuple: 1,
    min: MAX_NODES, max: MAX_NODES, date: 3, datetime: 8, timedelta: 7}
_KEYWORDS_ALLOWED = frozenset((date, datetime, timedelta))
_HOST_FUNCTIONS = (types.FunctionType, types.MethodType, functools.partial)


@functools.lru_cache(maxsize=4096)
def calls_of(source: str) -> tuple[Call, ...] | None:
    """(callee name, positional count, has keywords) of each call when `source` is bounded, else None."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES or not all(isinstance(node, _NODES) for node in nodes):
        return None
    calls: list[Call] = []
    for node in nodes:
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or any(isinstance(a, ast.Starred) for a in node.args):
                return None
            if any(k.arg is None for k in node.keywords):
                return None
            calls.append((node.func.id, len(node.args), bool(node.keywords)))
    return tuple(calls)


def runs_in_process(calls: tuple[Call, ...], namespace: Mapping[str, Any],
                    host_names: Mapping[str, Callable[..., Any]]) -> bool:
    """True when every callee, as it resolves now, is a linear builtin or a function the engine passed."""
    builtins = namespace["__builtins__"]
    for name, positional, keywords in calls:
        if name in host_names:
            if not isinstance(host_names[name], _HOST_FUNCTIONS):
                return False
            continue
        callee = namespace[name] if name in namespace else builtins.get(name)
        allowed = LINEAR_BUILTINS.get(callee) if _hashable(callee) else None
        if allowed is None or (keywords and callee not in _KEYWORDS_ALLOWED):
            return False
        if positional > allowed:
            return False
    return True


def _hashable(value: object) -> bool:
    """True when `value` can be looked up in a dict (case data may hold lists)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True
