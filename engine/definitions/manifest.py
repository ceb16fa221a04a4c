"""process.yaml: read, checked against manifest_schema.yaml, defaults filled in."""
import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from engine.definitions.model import Problem
from engine.definitions.timers import is_duration
from engine.definitions.yamlfile import YamlFile, read_yaml, schema_problems

MANIFEST = "process.yaml"
SCHEMA = yaml.safe_load(Path(__file__).with_name("manifest_schema.yaml").read_text("utf-8"))

_FORMATS = FormatChecker(formats=())
_FORMATS.checks("iso-duration")(lambda value: not isinstance(value, str) or is_duration(value))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=_FORMATS)


def read_manifest(files: Mapping[str, bytes], origin: str) -> tuple[YamlFile | None, list[Problem]]:
    """Return (YamlFile or None, problems) for the package's process.yaml."""
    file = f"{origin}/{MANIFEST}"
    if MANIFEST not in files:
        return None, [Problem.coded(file, None, None, "manifest_missing")]
    document = read_yaml(file, files[MANIFEST])
    if isinstance(document, Problem):
        return None, [document]
    if not isinstance(document.data, dict):
        return None, [Problem.coded(file, 1, None, "manifest_not_mapping")]
    return document, schema_problems(VALIDATOR, document)


def default_model_files(files: Mapping[str, bytes]) -> dict[str, list[str]]:
    """By default a package's model is every .bpmn and .dmn file at the top of its folder."""
    return {
        kind: sorted(path for path in files if "/" not in path and path.endswith(f".{kind}"))
        for kind in ("bpmn", "dmn")
    }


def with_defaults(manifest: dict[str, Any], files: Mapping[str, bytes]) -> dict[str, Any]:
    """A copy of a manifest with the optional keys filled in, so callers need no `.get`."""
    filled = copy.deepcopy(manifest)
    listed = default_model_files(files)
    if isinstance(filled.get("files"), dict):
        listed.update(filled["files"])
    filled["files"] = listed
    for key, default in (("supervisor_roles", []), ("searchable", []), ("tasks", {})):
        filled.setdefault(key, default)
    return filled
