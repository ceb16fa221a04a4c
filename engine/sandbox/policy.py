"""What sandboxed code may do: RestrictedPython's guards, a few builtins, and bounds on big results.

RestrictedPython refuses imports, underscore names and inspection attributes when it compiles, and
guards attribute and item access when the code runs. Here `*`, `**` and `<<` (and their augmented
forms) are also routed through guards that refuse a result that would be huge before computing it,
and `range` refuses more than MAX_SEQUENCE numbers, so `'a' * 10**8`, `10 ** 10 ** 8` and
`sum(range(10**12))` fail at once with a reason instead of filling memory or spinning in C code.
"""
import ast
import builtins as python_builtins
import functools
import json
import math
import operator
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from types import CodeType
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.errors import ScriptError

MAX_SEQUENCE = 10**7  # items or characters one repetition or range may produce
MAX_INT_BITS = 2**16  # bits of one integer built by *, ** or << (about 19,700 decimal digits)

_GUARDED_OPS = {ast.Mult: "_opsflow_mul_", ast.Pow: "_opsflow_pow_", ast.LShift: "_opsflow_lshift_"}
_SEQUENCES = (str, bytes, list, tuple)


def check_written(changed: dict[str, Any], limit: int) -> None:
    """ScriptError when the case data a script changed is more than `limit` bytes of JSON."""
    written = len(json.dumps(changed, default=str))
    if written > limit:
        raise ScriptError("script_data_limit", written=written, limit=limit)


def _is_int(value: object) -> bool:
    """An int that is not a bool (True * 'a' is harmless either way)."""
    return isinstance(value, int) and not isinstance(value, bool)


def guarded_mul(left: Any, right: Any) -> Any:
    """`left * right`, refusing a repeated sequence or an integer product beyond the bounds."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and _is_int(times) and len(seq) * times > MAX_SEQUENCE:
            raise ScriptError("sequence_too_long", length=len(seq), times=times, most=MAX_SEQUENCE)
    if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise ScriptError("product_too_large", most=MAX_INT_BITS)
    return left * right


def guarded_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    """`base ** exponent` (or pow with a modulo), refusing an integer power beyond MAX_INT_BITS."""
    huge = modulo is None and _is_int(base) and _is_int(exponent) and abs(base) > 1
    if huge and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
        raise ScriptError("power_too_large", digits=int(exponent * math.log10(abs(base))), most=MAX_INT_BITS)
    return pow(base, exponent) if modulo is None else pow(base, exponent, modulo)


def guarded_lshift(value: Any, shift: Any) -> Any:
    """`value << shift`, refusing an integer beyond MAX_INT_BITS."""
    if _is_int(value) and _is_int(shift) and value and value.bit_length() + shift > MAX_INT_BITS:
        raise ScriptError("shift_too_large", shift=shift, most=MAX_INT_BITS)
    return value << shift


def guarded_range(*args: int) -> range:
    """range(), refusing one of more than MAX_SEQUENCE numbers (sum(range(10**12)) runs in C)."""
    numbers = range(*args)
    try:
        size = len(numbers)
    except OverflowError:
        size = MAX_SEQUENCE + 1
    if size > MAX_SEQUENCE:
        raise ScriptError("range_too_long", most=MAX_SEQUENCE)
    return numbers


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": guarded_mul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": guarded_pow, "<<=": guarded_lshift,
    ">>=": operator.irshift, "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


def _inplace(op: str, x: Any, y: Any) -> Any:
    """Apply an augmented assignment (RestrictedPython routes them through here)."""
    return _INPLACE[op](x, y)


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call with star-arguments (RestrictedPython routes them through here)."""
    return func(*args, **kwargs)


_EXTRA_BUILTINS = ("all", "any", "dict", "enumerate", "filter", "list", "map", "max", "min",
                   "reversed", "set", "frozenset", "sum", "sorted")


def base_globals() -> dict[str, Any]:
    """The names every sandboxed expression sees before case data."""
    builtins = dict(safe_builtins)
    builtins.update({name: getattr(python_builtins, name) for name in _EXTRA_BUILTINS})
    builtins.update(range=guarded_range, pow=guarded_pow)
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
        "_opsflow_mul_": guarded_mul,
        "_opsflow_pow_": guarded_pow,
        "_opsflow_lshift_": guarded_lshift,
        "math": math,
        "date": date,
        "datetime": datetime,
        "timedelta": timedelta,
        "timezone": timezone,
    }


class BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, with *, ** and << turned into calls of the guards above."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        """Rewrite a guarded operator into a call; leave the others as RestrictedPython does."""
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        func = ast.copy_location(ast.Name(guard, ast.Load()), node)
        return ast.copy_location(ast.Call(func=func, args=[node.left, node.right], keywords=[]), node)


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile an expression, raising ScriptError with the reason when it is not allowed."""
    result = compile_restricted_eval(source.strip(), "<expression>", policy=BoundedTransformer)
    if result.errors or result.code is None:
        raise ScriptError("expression_refused", source=source.strip(), reasons="; ".join(result.errors))
    return result.code


@functools.lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Compile a script, raising ScriptError with the reason when it is not allowed."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ScriptError("script_syntax", line=exc.lineno, reason=exc.msg) from exc
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptError("script_import", line=node.lineno)
    result = compile_restricted_exec(source, "<script>", policy=BoundedTransformer)
    if result.errors or result.code is None:
        raise ScriptError("script_refused", reasons="; ".join(result.errors))
    return result.code
