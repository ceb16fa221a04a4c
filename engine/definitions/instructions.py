"""Instructions templates (Jinja2, both languages): syntax errors located, variables listed."""
import functools

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.definitions.forms import LANGUAGES
from engine.definitions.yamlfile import read_yaml

# Parsing only, with the same syntax as engine.templates' rendering environment.
_JINJA = ImmutableSandboxedEnvironment(autoescape=True)
# What a task's instructions may call besides the case data (engine.runtime.repeated.name_helpers).
HELPERS = frozenset(("person_name", "department_name"))


@functools.lru_cache(maxsize=1024)
def _parsed(source):
    """(names the template looks up, None) or (None, (line, message)): Jinja parses each text once."""
    try:
        tree = _JINJA.parse(source)
    except TemplateSyntaxError as exc:
        return None, (exc.lineno, exc.message)
    return frozenset(meta.find_undeclared_variables(tree) - set(_JINJA.globals) - HELPERS), None


def template_error(source):
    """(line within the template, Jinja's message) of a syntax error, or None."""
    return _parsed(source)[1]


def template_names(source):
    """Variables a template looks up in the case data (empty when it does not parse)."""
    return set(_parsed(source)[0] or ())


def form_document(files, origin, form_path):
    """A form file read again for its lines, to locate a problem in its instructions (done only then)."""
    document, _ = read_yaml(f"{origin}/{form_path}", files[form_path])
    return document


def syntax_problems(forms, files, origin):
    """Instructions that Jinja2 cannot parse, with the template's own line and Jinja's message."""
    problems = []
    for form_path, form in forms.items():
        instructions = form.get("instructions") or {}
        for language in LANGUAGES:
            error = template_error(instructions.get(language) or "")
            if error:
                line, message = error
                problems.append(form_document(files, origin, form_path).problem(
                    ("instructions", language), "instructions_syntax", language=language, line=line, reason=message))
    return problems
