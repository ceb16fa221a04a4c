"""Whose a repeated task is: a multi-instance step's tasks name their instance's item (the supplier, the
employee under review, the risk) after their title, from the manifest's `repeated` templates."""
import functools
from typing import Any, Literal

from lxml import etree

from engine.definitions import Package
from engine.definitions.documents import bpmn
from engine.org import Directory
from engine.runtime.diagram import main_diagram
from engine.runtime.results import JsonObject, Titles
from engine.store.models import Department
from engine.templates import render_text

MAX_TITLE = 300  # the task row's title columns
# Each title column, and the language its title is rendered in.
TITLE_LANGUAGES: tuple[tuple[Literal["title_en", "title_zh"], str], ...] = (("title_en", "en"), ("title_zh", "zh"))


@functools.lru_cache(maxsize=64)
def _templates(package: Package) -> dict[str, str]:
    """User task id -> the `repeated` template of the multi-instance step it is, or lies inside."""
    declared = package.manifest.get("repeated") or {}
    if not declared:
        return {}
    root = etree.fromstring(main_diagram(package).encode("utf-8"))
    found: dict[str, str] = {}
    for element in root.iter():
        step = element.get("id")
        if step is not None and step in declared:
            for task in (element, *element.iter(bpmn("userTask"))):
                task_id = task.get("id")
                if task.tag == bpmn("userTask") and task_id is not None:
                    found[task_id] = declared[step]
    return found


def task_titles(package: Package, task_key: str, fallback: str, data: JsonObject, directory: Directory) -> Titles:
    """{title_en, title_zh} of a new task: its form's title (else `fallback`), and for a repeated step
    ": <whose>", rendered in the sandbox from the task's data once per language; `person_name(username)` and
    `department_name(key)` give names."""
    title = (package.form_for(task_key) or {}).get("title") or {}
    titles: Titles = {"title_en": title.get("en") or fallback, "title_zh": title.get("zh-Hant") or fallback}
    template = _templates(package).get(task_key)
    if not template:
        return titles
    for key, language in TITLE_LANGUAGES:
        about = render_text(template, dict(data, **name_helpers(directory, language)))
        if about:
            titles[key] = f"{titles[key]}: {about}"[:MAX_TITLE]
    return titles


def name_helpers(directory: Directory, language: str) -> dict[str, Any]:
    """What package templates call to show people and departments by name: person_name(username) and
    department_name(key), the latter in `language` ('en', or 'zh'/'zh-Hant')."""
    language = "zh" if language.startswith("zh") else "en"
    return {"person_name": functools.partial(_person, directory),
            "department_name": functools.partial(_department, directory, language)}


def _person(directory: Directory, username: object) -> object:
    """A user's full name, or what was given when no such user exists."""
    user = directory.user(username) if isinstance(username, str) else None
    return user.name if user is not None else username


def _department(directory: Directory, language: str, key: object) -> object:
    """A department's name in `language` ('en' or 'zh'), or the key when there is no such department."""
    row = directory.session.get(Department, key) if isinstance(key, str) else None
    if row is None:
        return key
    return row.name_zh if language == "zh" else row.name_en
