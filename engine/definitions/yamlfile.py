"""YAML files whose problems point at a line: manifests and forms are edited by hand."""
from collections.abc import Iterable
from typing import Any

import yaml
from jsonschema import ValidationError
from jsonschema.protocols import Validator

from engine.definitions.limits import MAX_YAML_DEPTH, MAX_YAML_NODES
from engine.definitions.model import Problem
from engine.error_codes import Coded
from engine.errors import PackageError

# libyaml's loader when PyYAML was built with it: forms are many, the pure-Python one is slow.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Where a value sits in a YAML document: its keys and list indexes from the top, e.g. ("tasks", "approve", "due").
KeyPath = tuple[str | int, ...]


class YamlFile:
    """A parsed YAML document plus the line of every key and list item in it."""

    def __init__(self, file: str, data: Any, lines: dict[KeyPath, int]) -> None:
        self.file = file
        self.data = data
        self.lines = lines

    def line(self, path: Iterable[str | int]) -> int:
        """The line of `path` (a tuple of keys and indexes), or of its nearest written parent."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: KeyPath, code: str, /, element: str | None = None, warning: bool = False,
                **params: Any) -> Problem:
        """A problem (or a warning) of `code` at `path`, named by that path unless `element` names it better."""
        return Problem.coded(self.file, self.line(path), element or dotted(path) or None, code, warning=warning,
                             **params)


def dotted(path: KeyPath) -> str:
    """Write a key path the way the README does: `tasks.approve.due`, `searchable[0].field`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _index_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    """Record the 1-based line of every mapping key and sequence item below `node`."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child: KeyPath = path + (key_node.value,)
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = path + (index,)
            lines[child] = item.start_mark.line + 1
            _index_lines(item, child, lines)


class YamlRefused(Exception):
    """A YAML document over a limit, refused before it was built; `line` is where it went over, `code` and
    `params` say which limit (engine/error_codes.py)."""

    def __init__(self, line: int | None, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.line = line
        self.code, self.params = code, params


class _Shape:
    """The size a YAML document would have once built (aliases expanded) and its depth, from its events."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes = 0
        self.open: list[tuple[str | None, int]] = []  # (anchor, nodes before it) of every mapping or list being read
        self.sizes: dict[str | None, int] = {}  # anchor -> nodes of what it names, expanded

    def see(self, event: yaml.Event) -> None:
        """Count one parser event, raising YamlRefused as soon as a limit is passed."""
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in self.open):
                raise YamlRefused(line, "yaml_alias_loop", anchor=event.anchor)
            self.nodes += self.sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            self.nodes += 1
            if event.anchor:
                self.sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            self.nodes += 1
            self.open.append((event.anchor, self.nodes - 1))
            if len(self.open) > MAX_YAML_DEPTH:
                raise YamlRefused(line, "yaml_too_deep", most=MAX_YAML_DEPTH)
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = self.open.pop()
            if anchor:
                self.sizes[anchor] = self.nodes - before
        if self.nodes > self.max_nodes:
            raise YamlRefused(line, "yaml_too_many_values", most=self.max_nodes)


def check_shape(text: str, max_nodes: int = MAX_YAML_NODES) -> None:
    """Refuse (YamlRefused) a document too big or too deep to build, reading only its parser events."""
    loader, shape = _LOADER(text), _Shape(max_nodes)
    try:
        while loader.check_event():
            shape.see(loader.get_event())
    finally:
        loader.dispose()


def _compose_and_construct(text: str, max_nodes: int) -> tuple[yaml.Node | None, Any]:
    """Parse once its shape is known to be bounded, keeping the node tree (for lines) and the value."""
    check_shape(text, max_nodes)
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def read_yaml(file: str, data: bytes, max_nodes: int = MAX_YAML_NODES) -> YamlFile | Problem:
    """Parse YAML bytes: the YamlFile, or the Problem that makes the text unreadable or oversized."""
    try:
        node, value = _compose_and_construct(data.decode("utf-8"), max_nodes)
    except UnicodeDecodeError as exc:
        return Problem.coded(file, None, None, "not_utf8", reason=exc.reason)
    except YamlRefused as exc:
        return Problem.coded(file, exc.line, None, exc.code, **exc.params)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return Problem.coded(file, line, None, "yaml_invalid", reason=reason)
    lines: dict[KeyPath, int] = {(): node.start_mark.line + 1} if node is not None else {}
    if node is not None:
        _index_lines(node, (), lines)
    return YamlFile(file, value, lines)


def reread_yaml(file: str, data: bytes) -> YamlFile:
    """A file read before without a problem, read again for the lines its problems point at.

    Should it fail after all (a stored version read again under lower limits), its problem is raised.
    """
    found = read_yaml(file, data)
    if isinstance(found, Problem):
        raise PackageError([found])
    return found


def _error_reason(error: ValidationError) -> Coded:
    """(code, params) of a schema error: the schema's own plain wording (`x-error` names its code) over
    jsonschema's generic one."""
    wording = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    if wording and error.validator in ("pattern", "format", "const", "enum", "oneOf"):
        return wording, {"value": error.instance}
    return "schema_mismatch", {"reason": error.message}


def _error_path(error: ValidationError) -> KeyPath:
    """Point an unexpected-key error at the first unexpected key rather than its parent."""
    path = tuple(error.absolute_path)
    if (error.validator == "additionalProperties" and isinstance(error.instance, dict)
            and isinstance(error.schema, dict)):
        known = set(error.schema.get("properties", {}))
        extra = [key for key in error.instance if key not in known]
        if extra:
            return path + (extra[0],)
    return path


def schema_problems(validator: Validator, document: YamlFile, prefix: KeyPath = ()) -> list[Problem]:
    """Every jsonschema error of `document.data` (or its part at `prefix`) as a located problem."""
    data = document.data
    for part in prefix:
        data = data[part]
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    problems = []
    for error in errors:
        code, params = _error_reason(error)
        problems.append(document.problem(prefix + _error_path(error), code, **params))
    return problems
