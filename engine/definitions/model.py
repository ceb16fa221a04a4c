"""The two values the rest of the engine sees: a loaded package and a located problem."""
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.error_codes import render


@dataclass(frozen=True)
class Problem:
    """One reason a package cannot be used (or, as a warning, may not work), located so its author can fix it."""

    file: str
    line: int | None
    element: str | None
    message: str
    warning: bool = False
    code: str | None = field(default=None, compare=False)
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def coded(cls, file: str, line: int | None, element: str | None, code: str, /, warning: bool = False,
              **params: Any) -> "Problem":
        """A problem whose message is the English of `code` (engine/error_codes.py) with `params`."""
        return cls(file, line, element, render(code, params), warning, code, params)

    def __str__(self) -> str:
        """Render as `file:line [element]: message`, the form editors and CI logs link."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.element:
            where = f"{where} [{self.element}]"
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


def content_hash(files: Mapping[str, bytes]) -> str:
    """Hash paths and bytes unambiguously, so equal content always means an equal version."""
    digest = hashlib.sha256()
    for path in sorted(files):
        data = files[path]
        digest.update(path.encode("utf-8") + b"\0")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class Package:
    """A validated procedure: its manifest, forms and the exact files a version was made from."""

    key: str
    manifest: dict[str, Any]
    files: dict[str, bytes]
    content_hash: str
    forms: dict[str, dict[str, Any]]
    process_id: str
    origin: str = field(default="<stored>", compare=False, repr=False)

    def __hash__(self) -> int:
        """Hash by content so parsed specs can be cached per version."""
        return hash(self.content_hash)

    def task(self, bpmn_id: str) -> dict[str, Any]:
        """The manifest entry of a user task, empty when the manifest has none."""
        return self.manifest.get("tasks", {}).get(bpmn_id, {})

    def start_form(self) -> dict[str, Any] | None:
        """The form a case is started with, or None when the manifest names none."""
        name = self.manifest.get("start_form")
        return self.forms.get(name) if isinstance(name, str) else None

    def form_for(self, bpmn_id: str) -> dict[str, Any] | None:
        """The form of a user task, or None for a task without one."""
        name = self.task(bpmn_id).get("form")
        return self.forms.get(name) if isinstance(name, str) else None
