"""A procedure's standard operating procedure, generated from the version that runs, so it never drifts from it.

Everything comes from the deployed package and its parsed specs: the steps in flow order (SpiffWorkflow's
specs), their manifest entries (role, assignee, due time, escalation), their forms' fields (engine/formfields.py),
the decision tables as the DMN engine parsed them, the timers, and the diagram with names in the reader's language.
"""
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import formfields
from engine.errors import NotFound
from engine.org import Directory
from engine.runtime import access, spiff
from engine.runtime.access import Guard
from engine.runtime.catalog import DeployedVersion
from engine.runtime.context import Component, Context
from engine.runtime.diagram import localized_diagram, step_names
from engine.runtime.results import JsonObject, Sop, SopField, SopForm, SopStep, Texts, UserStep
from engine.store.models import Role
from engine.templates import pick_language

LANGUAGES = ("en", "zh-Hant")
# The JSON Schema keywords that limit what a field takes, as an SOP lists them.
LIMITS = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems",
          "maxItems", "pattern", "format", "x-currency", "x-accept", "const")
# Length limits say nothing a list of choices does not (text fields get a default maxLength when loaded).
TEXT_LENGTH = ("minLength", "maxLength")


class Procedures(Component):
    """Reads about a procedure itself rather than its cases: its standard operating procedure."""

    def __init__(self, ctx: Context, guard: Guard) -> None:
        super().__init__(ctx)
        self.guard = guard

    def sop(self, process_key: str, user: str, version: int | None = None, language: str = "en") -> Sop:
        """The SOP of a procedure's active version (or of deployed `version`), its diagram named in `language`.

        Who may start the procedure, its supervisors and its owner may read it; anyone else gets NotFound.
        """
        with self.db.read() as session:
            directory = Directory(session)
            active = self.catalog.get(self.catalog.active_id(session, process_key), session)
            if not may_read(directory, user, active.package.manifest):
                raise NotFound("no_procedure", procedure=process_key)
            deployed = active if version is None else self.catalog.get(
                self.catalog.version_id(session, process_key, version), session)
            names = _role_names(session)
        return _sop(deployed, names, language, active.version)


def may_read(directory: Directory, user: str, manifest: JsonObject) -> bool:
    """An active user who may start the procedure, supervises it or holds its owner role."""
    if not directory.is_active(user):
        return False
    return (access.can_start(directory, user, manifest) or access.is_supervisor(directory, user, manifest)
            or manifest.get("owner_role") in directory.roles_of(user))


def _role_names(session: Session) -> dict[str, Texts]:
    """Role key -> its names in both languages, from the loaded organisation."""
    return {key: {"en": en, "zh-Hant": zh} for key, en, zh in session.execute(select(Role.key, Role.name_en,
                                                                                     Role.name_zh))}


def _sop(deployed: DeployedVersion, role_names: dict[str, Texts], language: str, active_version: int) -> Sop:
    """The SOP of one deployed version."""
    package, manifest = deployed.package, deployed.package.manifest
    named = step_names(package)
    steps = [_step(deployed, step, named) for step in spiff.user_steps(deployed.spec, deployed.subprocess_specs)]
    start = package.start_form()
    return {"key": package.key, "version": deployed.version, "name": manifest["name"],
            "description": manifest["description"], "active": deployed.version == active_version,
            "owner_role": manifest.get("owner_role"), "start_roles": list(manifest.get("start_roles") or []),
            "supervisor_roles": list(manifest.get("supervisor_roles") or []),
            "confidential_roles": list((manifest.get("confidential") or {}).get("roles") or [])
            if manifest.get("confidential") is not None else None,
            "role_names": role_names,
            "start_form": _form(start, manifest["name"]) if start else None,
            "steps": steps, "step_names": {key: _texts(texts, key) for key, texts in named.items()},
            "decisions": spiff.decision_tables(deployed.spec, deployed.subprocess_specs),
            "timers": spiff.timer_events(deployed.spec, deployed.subprocess_specs),
            "diagram": localized_diagram(package, language)}


def _step(deployed: DeployedVersion, step: UserStep, named: dict[str, dict[str, str]]) -> SopStep:
    """One user task: its manifest entry and form, its lane's role, the steps it must be done apart from."""
    package, key = deployed.package, step["bpmn_id"]
    entry = package.task(key)
    form = package.form_for(key)
    shown = (form or {}).get("title") or named.get(key) or {"en": step["name"]}
    title = _texts(shown, step["name"])
    due, priority = entry.get("due"), entry.get("priority")
    apart = sorted({other for group in package.manifest.get("separate_duties") or [] if key in group
                    for other in group if other != key})
    return {"bpmn_id": key, "title": title, "lane": step["lane"],
            "role": entry.get("role") or package.manifest.get("lanes", {}).get(step["lane"]),
            "assignee": entry.get("assignee"), "candidates": entry.get("candidates"),
            "exclude": list(entry.get("exclude") or []), "separate_from": apart,
            "due": due if isinstance(due, str) else None,
            "due_expression": due["expression"] if isinstance(due, dict) else None,
            "priority": priority if isinstance(priority, int) else None,
            "priority_expression": priority["expression"] if isinstance(priority, dict) else None,
            "escalate_to": (entry.get("on_breach") or {}).get("escalate_to"),
            "form": _form(form, title) if form else None}


def _texts(value: object, fallback: str) -> Texts:
    """A package text (a string, or {en, zh-Hant} with either missing) in both languages."""
    return {"en": pick_language(value, "en") or fallback, "zh-Hant": pick_language(value, "zh-Hant") or fallback}


def _form(form: JsonObject, fallback: Texts) -> SopForm:
    """A form's title, its instructions' source text and its fields."""
    instructions = form.get("instructions")
    return {"title": _texts(form.get("title"), fallback["en"]) if form.get("title") else fallback,
            "instructions": _texts(instructions, "") if instructions else None,
            "fields": _fields(form.get("schema") or {})}


def _node(schema: JsonObject, path: formfields.KeyPath) -> Any:
    """The schema node at a key path walk_fields gave."""
    node: Any = schema
    for part in path:
        node = node[part]
    return node


def _names(path: formfields.KeyPath) -> list[str]:
    """The field names along a key path: each one after a "properties" key (a field may be called "items")."""
    names, index = [], 0
    while index < len(path) - 1:
        if path[index] == "properties":
            names.append(str(path[index + 1]))
            index += 2
        else:
            index += 1
    return names


def _fields(schema: JsonObject) -> list[SopField]:
    """Every field of a form schema at any depth, in the form's order, with what a person must know to fill it."""
    found: list[SopField] = []
    for path, prop in formfields.walk_fields(schema):
        parent, name = _node(schema, path[:-2]), str(path[-1])
        labels = prop.get(formfields.ENUM_LABELS) or {}
        values = formfields.enum_values(prop) or formfields.enum_values(formfields.items_of(prop)) or []
        names = _names(path)
        found.append({"path": "/".join(names), "depth": len(names) - 1,
                      "label": _texts(prop.get(formfields.LABEL), name),
                      "help": _texts(prop[formfields.HELP], "") if prop.get(formfields.HELP) else None,
                      "kind": formfields.kind_of(prop), "required": name in (parent.get("required") or []),
                      "limits": {key: prop[key] for key in LIMITS if key in prop
                                 and not (values and key in TEXT_LENGTH)},
                      "choices": [_texts(labels.get(str(value)), str(value)) for value in values]})
    return found
