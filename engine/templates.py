"""Jinja2 instructions from packages, rendered sandboxed and autoescaped with the case data, then read as
Markdown-like text (paragraphs, lists, emphasis, links) for the web page."""
import functools
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

# Inline Markdown marks (emphasis, code, links, tables), and what makes a line a heading, a list item or a
# rule when it starts one. `&<>"'` (a quote's `>` too) are left to the HTML escaping after this: Markdown
# reads the entities back as plain characters, and an escaped `&gt;` starts no quote.
_INLINE_MARKS = re.compile(r"([\\`*_\[\]!~|])")
_LINE_MARKS = re.compile(r"^([#+\-=]|\d+(?=[.)]))", re.MULTILINE)


def _as_text(value: object) -> object:
    """A value from the case data as Markdown that reads back as exactly its text: its marks escaped and its
    lines joined by hard breaks, so a requester's `# Title`, `* item` or `[x](javascript:...)` stays words.
    The package's own text (Markup) is left alone; Jinja HTML-escapes the rest afterwards."""
    if isinstance(value, (list, tuple, dict, set)):
        value = str(value)  # a collection printed whole: its items' marks count as much as a string's
    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    text = "\\\n".join(_INLINE_MARKS.sub(r"\\\1", line) for line in lines)
    return _LINE_MARKS.sub(_escape_line_mark, text)


def _escape_line_mark(mark: re.Match[str]) -> str:
    """`# ` becomes `\\# `; an ordered list's `1.` becomes `1\\.`."""
    found = mark.group(1)
    return found + "\\" if found[0].isdigit() else "\\" + found


_ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_as_text)
_LENIENT = ImmutableSandboxedEnvironment(autoescape=True, finalize=_as_text)
# CommonMark without raw HTML or images: what a package writes stays text; markdown-it refuses javascript:,
# vbscript:, file: and data: links itself. The input is already HTML-escaped by the sandbox, and escaped
# entities stay escaped.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["image", "html_inline", "html_block"])


@functools.lru_cache(maxsize=768)
def _compile(source: str, environment: Environment) -> Template:
    """Compile a template once per process and environment."""
    return environment.from_string(source)


def render(source: str | None, data: Mapping[str, Any], strict: bool = False) -> str:
    """Render instructions, HTML-escaped; a broken template yields its (escaped) error text instead of a crash."""
    if not source:
        return ""
    try:
        return _compile(source, _ENV if strict else _LENIENT).render(**data)
    except TemplateError as exc:
        # The error can quote case data (a missing key): it is escaped like any value, never read as HTML or a link.
        return str(escape(_as_text(f"(instructions could not be shown: {exc})")))


def _soft_break(renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A line break inside a paragraph: a space between words, nothing beside Chinese text (which has none)."""
    before = tokens[idx - 1].content[-1:] if idx > 0 else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) else ""
    return "" if _CJK.match(before) or _CJK.match(after) else "\n"


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MARKDOWN.add_render_rule("softbreak", _soft_break)


_TEXT = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)

def render_text(source: str, data: Mapping[str, Any]) -> str | None:
    """A short plain text (not HTML: whoever shows it escapes it) from a package template, or None when the
    template fails on this data, so the caller shows what it has without it."""
    try:
        return _compile(source, _TEXT).render(**data).strip()
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        return None


def as_html(rendered: str | None) -> str:
    """Rendered (escaped) instructions as HTML: blank lines part paragraphs, `-` and `1.` lines make lists,
    and a single line break is a space, so hard-wrapped YAML text flows."""
    return _MARKDOWN.render(rendered) if rendered else ""


def pick_language(texts: object, language: str) -> Any:
    """The text in `language` ('en' or 'zh-Hant'), falling back to English."""
    if not isinstance(texts, dict):
        return texts or ""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")
