"""Roles a manifest names, checked against an organisation's roles once one is known.

A package alone cannot know the organisation: validate checks against an organisation file
(warnings unless one is named explicitly), deploy against the loaded one (errors), and loading
an organisation checks the procedures already deployed (warnings, one line each).
"""
from collections.abc import Collection
from typing import Any

from engine.definitions.manifest import MANIFEST
from engine.definitions.model import Package, Problem
from engine.definitions.yamlfile import KeyPath, reread_yaml


def role_references(manifest: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """Every (key path, role key) of a manifest: owner, start, supervisor, lane, task and confidential roles."""
    found: list[tuple[KeyPath, Any]] = [(("owner_role",), manifest.get("owner_role"))]
    for key in ("start_roles", "supervisor_roles"):
        found += [((key, index), role) for index, role in enumerate(manifest.get(key) or [])]
    found += [(("lanes", lane), role) for lane, role in (manifest.get("lanes") or {}).items()]
    found += [(("tasks", task_id, "role"), entry.get("role"))
              for task_id, entry in (manifest.get("tasks") or {}).items() if isinstance(entry, dict)]
    confidential = manifest.get("confidential") or {}
    found += [(("confidential", "roles", index), role) for index, role in enumerate(confidential.get("roles") or [])]
    return [(path, role) for path, role in found if isinstance(role, str)]


def missing_roles(manifest: dict[str, Any], roles: Collection[str]) -> list[tuple[KeyPath, str]]:
    """(key path, role) of each role the manifest names that `roles` lacks."""
    return [(path, role) for path, role in role_references(manifest) if role not in roles]


def role_problems(package: Package, roles: Collection[str], where: str, warning: bool = False) -> list[Problem]:
    """Located problems in process.yaml for roles `where` (an organisation's name) does not declare."""
    missing = missing_roles(package.manifest, roles)
    if not missing:
        return []
    document = reread_yaml(f"{package.origin}/{MANIFEST}", package.files[MANIFEST])
    return [document.problem(path, "role_unknown", warning=warning, role=role, where=where)
            for path, role in missing]

