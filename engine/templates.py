"""Jinja2 instructions from packages, rendered sandboxed and autoescaped with the case data, then read as
Markdown-like text (paragraphs, lists, emphasis, links) for the web page."""
import functools
import re

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# Backslash, brackets: what could turn text into a Markdown link. A backslash before them makes them plain.
_LINK_SYNTAX = re.compile(r"([\\\[\]])")


def _as_text(value):
    """A value from the case data, made to read as itself in Markdown (never a link); the package's own text
    (Markup) is left alone. Jinja HTML-escapes it afterwards."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _LINK_SYNTAX.sub(r"\\\1", value)
    return value


_ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_as_text)
_LENIENT = ImmutableSandboxedEnvironment(autoescape=True, finalize=_as_text)
# CommonMark without raw HTML or images: what a package writes stays text; markdown-it refuses javascript:,
# vbscript:, file: and data: links itself. The input is already HTML-escaped by the sandbox, and escaped
# entities stay escaped.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["image", "html_inline", "html_block"])


@functools.lru_cache(maxsize=768)
def _compile(source, environment):
    """Compile a template once per process and environment."""
    return environment.from_string(source)


def render(source, data, strict=False):
    """Render instructions, HTML-escaped; a broken template yields its (escaped) error text instead of a crash."""
    if not source:
        return ""
    try:
        return _compile(source, _ENV if strict else _LENIENT).render(**data)
    except TemplateError as exc:
        # The error can quote case data (a missing key): it is escaped like any value, never read as HTML or a link.
        return str(escape(_as_text(f"(instructions could not be shown: {exc})")))


def _soft_break(renderer, tokens, idx, options, env):
    """A line break inside a paragraph: a space between words, nothing beside Chinese text (which has none)."""
    before = tokens[idx - 1].content[-1:] if idx > 0 else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) else ""
    return "" if _CJK.match(before) or _CJK.match(after) else "\n"


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MARKDOWN.add_render_rule("softbreak", _soft_break)


_TEXT = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)

def render_text(source, data):
    """A short plain text (not HTML: whoever shows it escapes it) from a package template, or None when the
    template fails on this data, so the caller shows what it has without it."""
    try:
        return _compile(source, _TEXT).render(**data).strip()
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        return None


def as_html(rendered):
    """Rendered (escaped) instructions as HTML: blank lines part paragraphs, `-` and `1.` lines make lists,
    and a single line break is a space, so hard-wrapped YAML text flows."""
    return _MARKDOWN.render(rendered) if rendered else ""


def pick_language(texts, language):
    """The text in `language` ('en' or 'zh-Hant'), falling back to English."""
    if not isinstance(texts, dict):
        return texts or ""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")
