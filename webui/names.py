"""People, roles and departments by name in the current language, read once per request."""
from flask import g
from flask_babel import gettext as _

from engine.runtime.diagram import lane_names
from engine.runtime.queries import choice_labels
from engine.templates import pick_language
from webui.i18n import package_language
from webui.runtime import current_runtime


def _directory():
    """(username -> name, role key -> row, department key -> row), cached on the request."""
    if "directory" not in g:
        runtime = current_runtime()
        g.directory = ({u["username"]: u["name"] for u in runtime.users()},
                       {r["key"]: r for r in runtime.roles()},
                       {d["key"]: d for d in runtime.departments()})
    return g.directory


def _named(row, key):
    """A role's or department's name in the current language (its key when unknown)."""
    if row is None:
        return key or ""
    return row["name_zh"] if package_language() == "zh-Hant" else row["name_en"]


def people():
    """username -> full name of everyone in the organisation."""
    return _directory()[0]


def person(username):
    """A user's full name (the username when unknown)."""
    return people().get(username, username) if username else ""


def people_names(usernames, most=3):
    """Who may take a task of a named pool: the first few full names, then how many more."""
    names = sorted(person(u) for u in usernames)
    if len(names) <= most:
        return ", ".join(names)
    return _("%(names)s and %(count)d more", names=", ".join(names[:most]), count=len(names) - most)


def role_name(key):
    """A role's name."""
    return _named(_directory()[1].get(key), key)


def department_name(key):
    """A department's name."""
    return _named(_directory()[2].get(key), key)


def with_department_names(users):
    """User rows (username, name, department key) with the department's name instead of its key."""
    return [dict(u, department=department_name(u.get("department"))) for u in users]


def procedures():
    """The active version of every deployed procedure (runtime.definitions()), read once per request."""
    if "procedures" not in g:
        g.procedures = current_runtime().definitions()
        g.manifests = {d["key"]: d["manifest"] for d in g.procedures}
    return g.procedures


def _procedures():
    """key -> manifest of the active version of each procedure."""
    procedures()
    return g.manifests


def searchable(key):
    """A deployed procedure's searchable fields (its manifest's `searchable`), or None when none is deployed."""
    manifest = _procedures().get(key)
    return list(manifest.get("searchable") or []) if manifest is not None else None


def _per_procedure(slot, key, read):
    """What `read(runtime, key)` gives for a deployed procedure, asked once per request ({} when not deployed)."""
    cache = g.setdefault(slot, {})
    if key not in cache:
        cache[key] = read(current_runtime(), key) if key in _procedures() else {}
    return cache[key]


def choices(key):
    """field -> {code: label texts} of a deployed procedure's choice fields, read once per request."""
    return _per_procedure("choices", key, lambda runtime, k: runtime.field_choices(k))


def shown_value(key, field, value):
    """A case field's value as a person reads it: a choice code by its label in the current language."""
    label = choices(key).get(field, {}).get(str(value)) if isinstance(value, str | int) else None
    return pick_language(label, package_language()) if label else value


def _per_version(slot, definition_id, read):
    """What `read(package)` gives for one deployed version (a case's own, not the newest), once per request."""
    cache = g.setdefault(slot, {})
    if definition_id not in cache:
        cache[definition_id] = read(current_runtime().catalog.get(definition_id).package)
    return cache[definition_id]


def step_role(definition_id, lane, role):
    """Who a step is for, as its lane is named in the case's own version, in the current language (the role's
    name without a lane)."""
    label = _per_version("version_lanes", definition_id, lane_names).get(lane) if lane else None
    return pick_language(label, package_language()) if label else role_name(role)


def version_searchable(definition_id):
    """The searchable fields of one deployed version (a case's summary follows its own version)."""
    return _per_version("version_searchable", definition_id,
                        lambda package: list(package.manifest.get("searchable") or []))


def version_choices(definition_id):
    """field -> {code: label texts} of one deployed version's choice fields."""
    return _per_version("version_choices", definition_id, choice_labels)


def procedure_name(key):
    """A procedure's name in the current language (its key when not deployed)."""
    manifest = _procedures().get(key)
    return pick_language(manifest["name"], package_language()) if manifest else key


def headline(key, search):
    """What a case is about in a few words: its first searchable text field (a title, a subject), codes by label."""
    manifest = _procedures().get(key) or {}
    for spec in manifest.get("searchable") or []:
        value = (search or {}).get(spec["field"])
        if spec.get("type", "string") == "string" and isinstance(value, str) and value.strip():
            return shown_value(key, spec["field"], value)
    return ""


def init_app(app):
    """Offer these look-ups to every template."""
    app.jinja_env.globals.update(person=person, people_names=people_names, role_name=role_name,
                                 department_name=department_name, procedure_name=procedure_name, headline=headline,
                                 step_role=step_role)
