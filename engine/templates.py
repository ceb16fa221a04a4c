"""Jinja2 instructions from packages, rendered sandboxed and autoescaped with the case data."""
import functools

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_LENIENT = ImmutableSandboxedEnvironment(autoescape=True)


@functools.lru_cache(maxsize=512)
def _compile(source, strict):
    """Compile a template once per process."""
    return (_ENV if strict else _LENIENT).from_string(source)


def render(source, data, strict=False):
    """Render instructions; a broken template yields its error text instead of a crash."""
    if not source:
        return ""
    try:
        return _compile(source, strict).render(**data)
    except TemplateError as exc:
        return f"[instructions could not be shown: {exc}]"


def pick_language(texts, language):
    """The text in `language` ('en' or 'zh-Hant'), falling back to English."""
    if not isinstance(texts, dict):
        return texts or ""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")
