"""The two values the rest of the engine sees: a loaded package and a located problem."""
import hashlib
from dataclasses import dataclass, field

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
    params: dict = field(default_factory=dict, compare=False)

    @classmethod
    def coded(cls, file, line, element, code, /, warning=False, **params):
        """A problem whose message is the English of `code` (engine/error_codes.py) with `params`."""
        return cls(file, line, element, render(code, params), warning, code, params)

    def __str__(self):
        """Render as `file:line [element]: message`, the form editors and CI logs link."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.element:
            where = f"{where} [{self.element}]"
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


def content_hash(files):
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
    manifest: dict
    files: dict[str, bytes]
    content_hash: str
    forms: dict[str, dict]
    process_id: str
    origin: str = field(default="<stored>", compare=False, repr=False)

    def __hash__(self):
        """Hash by content so parsed specs can be cached per version."""
        return hash(self.content_hash)

    def task(self, bpmn_id):
        """The manifest entry of a user task, empty when the manifest has none."""
        return self.manifest.get("tasks", {}).get(bpmn_id, {})

    def start_form(self):
        """The form a case is started with."""
        return self.forms.get(self.manifest.get("start_form"))

    def form_for(self, bpmn_id):
        """The form of a user task, or None for a task without one."""
        return self.forms.get(self.task(bpmn_id).get("form"))
