"""Checks of what the pages show about a package: its diagram `names` and `repeated` templates name real
BPMN elements (a typo would silently show nothing), and each template compiles."""
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.definitions.checks import parent_of
from engine.definitions.documents import Model
from engine.definitions.model import Problem
from engine.definitions.yamlfile import YamlFile

_SYNTAX = ImmutableSandboxedEnvironment()


def display_problems(model: Model, manifest: YamlFile) -> list[Problem]:
    """Problems of the manifest's `names` and `repeated`, each located at its key."""
    ids = {element.get("id") for document in model.bpmn for element in document.root.iter() if element.get("id")}
    multi = {parent_of(element).get("id") for _, element in model.elements("multiInstanceLoopCharacteristics")}
    problems = [manifest.problem(("names", key), "names_unknown_element", key=key)
                for key in (manifest.data.get("names") or {}) if key not in ids]
    for key, source in (manifest.data.get("repeated") or {}).items():
        if key not in multi:
            problems.append(manifest.problem(("repeated", key), "repeated_not_multi", key=key))
        try:
            _SYNTAX.parse(source)
        except TemplateSyntaxError as exc:
            problems.append(manifest.problem(("repeated", key), "repeated_template_invalid", reason=exc.message))
    return problems
