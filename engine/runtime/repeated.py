"""Whose a repeated task is: a multi-instance step's tasks name their instance's item (the supplier, the
employee under review, the risk) after their title, from the manifest's `repeated` templates."""
import functools

from lxml import etree

from engine.definitions.documents import bpmn
from engine.runtime.diagram import main_diagram
from engine.templates import render_text

MAX_TITLE = 300  # the task row's title columns


@functools.lru_cache(maxsize=64)
def _templates(package):
    """User task id -> the `repeated` template of the multi-instance step it is, or lies inside."""
    declared = package.manifest.get("repeated") or {}
    if not declared:
        return {}
    root = etree.fromstring(main_diagram(package).encode("utf-8"))
    found = {}
    for element in root.iter():
        if element.get("id") in declared:
            for task in (element, *element.iter(bpmn("userTask"))):
                if task.tag == bpmn("userTask"):
                    found[task.get("id")] = declared[element.get("id")]
    return found


def task_titles(package, task_key, fallback, data, directory):
    """{title_en, title_zh} of a new task: its form's title (else `fallback`), and for a repeated step
    ": <whose>", rendered in the sandbox from the task's data (`person(username)` gives a name)."""
    title = (package.form_for(task_key) or {}).get("title") or {}
    titles = {"title_en": title.get("en") or fallback, "title_zh": title.get("zh-Hant") or fallback}
    template = _templates(package).get(task_key)
    about = render_text(template, dict(data, person=functools.partial(_name, directory))) if template else None
    if about:
        titles = {key: f"{text}: {about}"[:MAX_TITLE] for key, text in titles.items()}
    return titles


def _name(directory, username):
    """A user's full name, or what was given when no such user exists."""
    user = directory.user(username) if isinstance(username, str) else None
    return user.name if user is not None else username
