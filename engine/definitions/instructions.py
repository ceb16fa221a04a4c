"""Instructions templates (Jinja2, both languages): syntax errors located, variables listed."""
import functools
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.definitions.forms import LANGUAGES
from engine.definitions.model import Problem
from engine.definitions.yamlfile import reread_yaml

# Parsing only, with the same syntax as engine.templates' rendering environment.
_JINJA = ImmutableSandboxedEnvironment(autoescape=True)
# What a task's instructions may call besides the case data (engine.runtime.repeated.name_helpers).
HELPERS = frozenset(("person_name", "department_name"))


@functools.lru_cache(maxsize=1024)
def _parsed(source: str) -> tuple[frozenset[str] | None, tuple[int, str] | None]:
    """(names the template looks up, None) or (None, (line, message)): Jinja parses each text once."""
    try:
        tree = _JINJA.parse(source)
    except TemplateSyntaxError as exc:
        return None, (exc.lineno, exc.message or str(exc))
    return frozenset(meta.find_undeclared_variables(tree) - set(_JINJA.globals) - HELPERS), None


def template_error(source: str) -> tuple[int, str] | None:
    """(line within the template, Jinja's message) of a syntax error, or None."""
    return _parsed(source)[1]


def template_names(source: str) -> set[str]:
    """Variables a template looks up in the case data (empty when it does not parse)."""
    return set(_parsed(source)[0] or ())


def locate(files: Mapping[str, bytes], origin: str, form_path: str, language: str) -> Callable[..., Problem]:
    """A function making problems of a code at a form's `instructions.<language>` key (the file is re-read
    only then): `locate(...)(code, **params)`."""
    document = reread_yaml(f"{origin}/{form_path}", files[form_path])
    return functools.partial(document.problem, ("instructions", language))


def syntax_problems(forms: Mapping[str, dict[str, Any]], files: Mapping[str, bytes], origin: str) -> list[Problem]:
    """Instructions that Jinja2 cannot parse, with the template's own line and Jinja's message."""
    problems = []
    for form_path, form in forms.items():
        instructions = form.get("instructions") or {}
        for language in LANGUAGES:
            error = template_error(instructions.get(language) or "")
            if error:
                line, message = error
                problems.append(locate(files, origin, form_path, language)(
                    "instructions_syntax", language=language, line=line, reason=message))
    return problems
