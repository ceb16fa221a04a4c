"""Every check of a package in one pass, so its author sees all problems at once."""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.definitions import crossref, duties, instructions, references
from engine.definitions.checks import GRAPH_CHECKS
from engine.definitions.decisions import decision_problems
from engine.definitions.display import display_problems
from engine.definitions.documents import Model, load_model
from engine.definitions.expressions import EXPRESSION_CHECKS
from engine.definitions.forms import load_forms
from engine.definitions.manifest import (
    default_model_files,
    read_manifest,
    with_defaults,
)
from engine.definitions.model import Package, Problem
from engine.definitions.parse import spec_problems
from engine.definitions.yamlfile import YamlFile


@dataclass
class Inspection:
    """What reading a package's files found: its manifest data, loadable forms and problems."""

    manifest: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    problems: list[Problem]


def _model_files(manifest: YamlFile | None, files: Mapping[str, bytes],
                 origin: str) -> tuple[dict[str, list[str]], list[Problem]]:
    """(the .bpmn and .dmn files to read, problems with the list the manifest gives)."""
    if manifest is None:
        listed = default_model_files(files)
        problems: list[Problem] = []
    else:
        listed = with_defaults(manifest.data, files)["files"]
        problems = [manifest.problem(("files", kind, index), "model_file_missing", path=path)
                    for kind in ("bpmn", "dmn") for index, path in enumerate(listed[kind])
                    if path not in files]
    if not listed["bpmn"]:
        problems.append(Problem.coded(f"{origin}/process.yaml", None, "files.bpmn", "no_bpmn_file"))
    return listed, problems


def _manifest_problems(model: Model, manifest: YamlFile, forms: dict[str, dict[str, Any]], forms_complete: bool,
                       files: Mapping[str, bytes], origin: str, strict: bool) -> list[Problem]:
    """Checks that need both a schema-valid manifest and every model file (else they only echo)."""
    problems = crossref.process_problems(model, manifest)
    problems += crossref.lane_problems(model, manifest)
    problems += crossref.task_problems(model, manifest)
    problems += crossref.confidential_problems(manifest)
    problems += crossref.schedule_problems(model, manifest)
    problems += duties.duty_problems(model, manifest)
    problems += display_problems(model, manifest)
    if forms_complete:
        problems += crossref.searchable_problems(model, manifest, forms)
        problems += crossref.unique_problems(manifest, forms)
    if forms_complete and strict:
        problems += references.reference_problems(model, manifest, forms, files, origin)
    return problems


def inspect_files(files: Mapping[str, bytes], origin: str, strict: bool = True) -> Inspection:
    """Read and check a package's files with every check except SpiffWorkflow's own parser.

    `strict=False` skips the checks for mistakes that break cases only when reached (templates,
    unset names): a version deployed before they existed must still load for its running cases.
    """
    manifest, problems = read_manifest(files, origin)
    valid_manifest = manifest if not problems else None
    forms, form_problems = load_forms(files, manifest, origin, strict) if manifest is not None else ({}, [])
    problems += form_problems + (instructions.syntax_problems(forms, files, origin) if strict else [])
    listed, file_problems = _model_files(valid_manifest, files, origin)
    model, xml_problems = load_model(files, listed, origin)
    problems += file_problems + xml_problems
    for check in GRAPH_CHECKS + EXPRESSION_CHECKS + (decision_problems,):
        problems += check(model)
    if valid_manifest is not None and model.complete:
        problems += _manifest_problems(model, valid_manifest, forms, not form_problems, files, origin, strict)
    data = manifest.data if manifest is not None else {}
    return Inspection(with_defaults(data, files), forms, problems)


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Problems without repeats, by file and line, so they read top to bottom."""
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line or 0, p.element or "", p.message))


def validate_package(package: Package) -> list[Problem]:
    """Every problem of a package, located; SpiffWorkflow's parser runs last, once ours pass."""
    problems = inspect_files(package.files, package.origin).problems
    return ordered(problems or spec_problems(package))
