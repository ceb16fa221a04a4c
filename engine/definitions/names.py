"""The names an expression or a script reads, found with Python's own parser.

A name that nothing in the package sets is a NameError at a gateway or a failed assignment;
these functions find the names so validation can name them first.
"""
import ast

from engine.sandbox import base_globals

# Every sandboxed expression and script sees these before any case data (builtins, math, dates).
SANDBOX_NAMES = frozenset(base_globals()) | frozenset(base_globals()["__builtins__"])
# What engine.org.Directory.functions() gives expressions in process.yaml (not BPMN or DMN).
ORG_FUNCTIONS = frozenset(("manager_of", "department_of", "head_of", "users_with_role"))
# Case data the engine writes itself when a case starts.
ENGINE_DATA = frozenset(("starter", "starter_name"))


def _bound(tree: ast.AST) -> set[str]:
    """Names a piece of code binds itself: assignments, loop and comprehension targets, arguments."""
    bound = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    bound |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    bound |= {node.name for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return bound


def _read(source: str, mode: str) -> set[str]:
    """Names `source` reads but does not bind; empty when it does not parse (compiling reports that)."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError:
        return set()
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read - _bound(tree) - SANDBOX_NAMES


def expression_names(source: str) -> set[str]:
    """Names an expression reads from outside: case data or the organisation functions."""
    return _read(source, "eval")


def script_names(source: str) -> set[str]:
    """Names a script reads and does not assign itself."""
    return _read(source, "exec")
