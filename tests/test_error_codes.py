"""Error codes are a contract: each has its English, its parameters and a web text in both languages,
and the engine raises no error (and locates no problem) without a registered code."""
import ast
import copy
import gettext
import pickle
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from engine import error_codes
from engine.error_codes import CODES, fields_of, render
from engine.errors import FieldError, NotFound, ScriptError, ValidationFailed
from engine.formrules import Translated
from webui.error_texts import TEXTS

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
CATALOGUE = ROOT / "webui" / "translations" / "zh_Hant" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfir]")
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
SECTIONS = ("FIELD_CODES", "REFUSAL_CODES", "SYSTEM_CODES", "SCRIPT_CODES", "SCHEMA_WORDING_CODES", "PACKAGE_CODES")

# Classes whose code is fixed in their constructor: errors built from their parts (which carry codes) and a
# package's own rule message.
FIXED_CODE = {"ValidationFailed", "PackageError", "OrgError", "Translated"}


def sample(spec):
    """A parameter value its template's format spec accepts: a datetime, a number or a text."""
    if "%" in (spec or ""):
        return datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    return 1234 if spec else "x"


# ---- the registry -----------------------------------------------------------------------------------------------

def test_the_sections_name_each_code_once():
    sections = [getattr(error_codes, name) for name in SECTIONS]
    assert sum(len(section) for section in sections) == len(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_has_a_template_with_exactly_its_parameters(code):
    entry = CODES[code]
    assert CODE_SHAPE.fullmatch(code)
    assert set(fields_of(entry.template)) == set(entry.params), code
    assert all(isinstance(what, str) and what for what in entry.params.values()), code
    values = {name: sample(spec) for name, spec in fields_of(entry.template).items()}
    assert render(code, values)


def test_an_unknown_code_or_other_parameters_are_refused():
    with pytest.raises(ValueError, match="unknown error code 'no_such_code'"):
        FieldError("no_such_code")
    with pytest.raises(ValueError, match=r"takes the parameters \['n'\]"):
        FieldError("min_length", m=3)
    with pytest.raises(ValueError, match="unknown error code"):
        NotFound("no_such_code", case=1)


def test_errors_carry_code_params_and_their_english():
    error = NotFound("no_case", case=7)
    assert (error.kind, error.code, error.params, str(error)) == ("not_found", "no_case", {"case": 7}, "no case 7")
    field = FieldError("min_length", n=3)
    assert field == "must be at least 3 characters" and (field.code, field.params) == ("min_length", {"n": 3})
    assert copy.deepcopy(field) == field and pickle.loads(pickle.dumps(field)).params == {"n": 3}
    rule = Translated({"en": "At most 1000", "zh-Hant": "最多 1000"})
    assert (rule.code, copy.deepcopy(rule).translations["zh-Hant"]) == ("form_rule", "最多 1000")
    failed = ValidationFailed({"title": field})
    assert (failed.kind, failed.code, str(failed)) == ("invalid", "form_invalid",
                                                       "invalid form data: title: must be at least 3 characters")


def test_a_sentence_is_no_code():
    with pytest.raises(ValueError, match="unknown error code"):
        ScriptError("something failed")


def test_the_schemas_plain_wordings_are_codes():
    def wordings(node):
        if isinstance(node, dict):
            yield from ([node["x-error"]] if "x-error" in node else [])
            for value in node.values():
                yield from wordings(value)
        elif isinstance(node, list):
            for value in node:
                yield from wordings(value)

    found = set()
    for schema in (ENGINE / "definitions").glob("*.yaml"):
        found |= set(wordings(yaml.safe_load(schema.read_text("utf-8"))))
    assert found and found <= set(error_codes.SCHEMA_WORDING_CODES), found - set(CODES)
    assert set(error_codes.SCHEMA_WORDING_CODES) <= found


# ---- the web texts ----------------------------------------------------------------------------------------------

def test_every_code_has_a_web_text_and_nothing_else_does():
    assert set(TEXTS) == set(CODES)


@pytest.fixture(scope="module")
def translations():
    """(compiled zh_Hant catalogue, msgids the .po marks fuzzy)."""
    with open(CATALOGUE / "messages.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    with open(CATALOGUE / "messages.po", "rb") as f:
        fuzzy = {message.id for message in read_po(f) if message.fuzzy}
    return compiled, fuzzy


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_web_text_uses_the_codes_parameters_and_has_chinese(code, translations):
    compiled, fuzzy = translations
    english = TEXTS[code]._args[0]
    wanted = set(PLACEHOLDER.findall(english))
    assert wanted <= set(CODES[code].params), f"{code}: {english!r} names parameters the code lacks"
    chinese = compiled._catalog.get(english)
    assert chinese and chinese.strip() and english not in fuzzy, f"{code}: no zh_Hant text for {english!r}"
    assert set(PLACEHOLDER.findall(chinese)) == wanted, f"{code}: {chinese!r} differs in placeholders"


# ---- the engine raises codes ------------------------------------------------------------------------------------

def _sources(folder=ENGINE):
    """(path relative to the root, parsed module) of every engine module (or every module under `folder`)."""
    for path in sorted(folder.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text("utf-8"))


def _coded_classes(modules):
    """Names of OpsflowError, FieldError and every class deriving from them anywhere in the engine."""
    found = {"OpsflowError", "FieldError"}
    while True:
        more = {node.name for _, tree in modules for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                and any(isinstance(base, ast.Name) and base.id in found for base in node.bases)} - found
        if not more:
            return found
        found |= more


class _Codes:
    """What a code argument can be, found statically: literals, conditionals, names bound to them, and
    look-ups in module dicts of them; None when it cannot be told."""

    def __init__(self, tree):
        self.module = tree
        self.parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}

    def statement(self, node):
        """The statement holding `node`."""
        while not isinstance(node, ast.stmt) and node in self.parents:
            node = self.parents[node]
        return node

    def _scope(self, node):
        """The function holding `node`, or the module."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                return node
        return self.module

    def _bindings(self, name, scope):
        """Every expression `name` is bound to in a function (plain and walrus assignments, for-loop unpacking)
        or at the top of the module."""
        values = []
        for node in scope.body if scope is self.module else ast.walk(scope):
            assigned = isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                            for t in node.targets)
            if assigned or (isinstance(node, ast.NamedExpr) and node.target.id == name):
                values.append(node.value)
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Tuple) and isinstance(node.iter, ast.Tuple):
                positions = [i for i, t in enumerate(node.target.elts) if isinstance(t, ast.Name) and t.id == name]
                values += [item.elts[i] for i in positions for item in node.iter.elts if isinstance(item, ast.Tuple)]
        return values

    def of(self, node):
        """The set of codes `node` may hold, or None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            body, orelse = self.of(node.body), self.of(node.orelse)
            return None if body is None or orelse is None else body | orelse
        if isinstance(node, ast.Name):
            values = self._bindings(node.id, self._scope(node)) or self._bindings(node.id, self.module)
            found = [self.of(value) for value in values]
            return set().union(*found) if found and None not in found else None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            tables = self._bindings(node.value.id, self.module)
            if tables and all(isinstance(table, ast.Dict) for table in tables):
                found = [self.of(value) for table in tables for value in table.values]
                return set().union(*found) if None not in found else None
        return None


def _code_argument(call, coded):
    """The argument of a call that names a code (the call itself when it names none), or None when the
    call builds nothing coded; a constructor's call of its base counts only inside a coded class."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in coded - FIXED_CODE:
        return call.args[0] if call.args else call
    if isinstance(func, ast.Attribute) and func.attr == "problem":
        return call.args[1] if len(call.args) > 1 else call
    if isinstance(func, ast.Attribute) and func.attr == "coded" and isinstance(func.value, ast.Name) \
            and func.value.id == "Problem":
        return call.args[3] if len(call.args) > 3 else call
    if isinstance(func, ast.Attribute) and func.attr in ("__init__", "__new__") and isinstance(func.value, ast.Call) \
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "super":
        first = 1 if func.attr == "__new__" else 0  # after `cls`
        return call.args[first] if len(call.args) > first else call
    return None


def _uncoded(path, tree, coded):
    """Places in one module that build an error or a problem without a registered code.

    A call whose code cannot be told statically passes only when it relays a (code, params) pair
    (`**params`); such pairs, where a function returns them, must name registered codes (a pair whose
    text is no code-shaped word, a label, is none).
    """
    codes, found = _Codes(tree), []
    in_coded_class = {node for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
                      and any(isinstance(b, ast.Name) and b.id in coded for b in cls.bases) for node in ast.walk(cls)}
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            argument = _code_argument(node, coded)
            if argument is not None and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("__init__", "__new__") and node not in in_coded_class:
                argument = None
            relayed = any(keyword.arg is None for keyword in node.keywords)  # `**params` of a (code, params) pair
            if argument is node:
                found.append(f"{where}: built without a code")
            elif argument is not None:
                named = codes.of(argument)
                if named is None and not relayed:
                    found.append(f"{where}: a code that is not a registered literal: {ast.unparse(argument)}")
                elif named is not None and not named <= set(CODES):
                    found.append(f"{where}: unregistered code(s) {sorted(named - set(CODES))}")
            if isinstance(node.func, ast.Name) and node.func.id == "Problem" and path != "engine/definitions/model.py":
                found.append(f"{where}: a Problem built from a sentence; use Problem.coded or .problem")
            if isinstance(node.func, ast.Name) and node.func.id == "ValidationFailed" and node.args \
                    and isinstance(node.args[0], ast.Dict):
                found += [f"{where}: a field error that is no FieldError: {ast.unparse(value)}"
                          for value in node.args[0].values if not isinstance(value, ast.Call)]
        elif isinstance(node, ast.Tuple) and isinstance(codes.statement(node), ast.Return):
            for first, second in zip(node.elts, node.elts[1:], strict=False):
                is_params = isinstance(second, ast.Dict) or (isinstance(second, ast.Call) and isinstance(
                    second.func, ast.Name) and second.func.id == "dict")
                named = codes.of(first) if is_params else None
                if named is not None and all(CODE_SHAPE.fullmatch(code) for code in named) \
                        and not named <= set(CODES):
                    found.append(f"{where}: a (code, params) pair with unregistered code(s) "
                                 f"{sorted(named - set(CODES))}")
    return found


def test_the_engine_builds_errors_and_problems_only_from_registered_codes():
    modules = list(_sources())
    coded = _coded_classes(modules)
    assert {"NotFound", "ScriptError", "Killed", "OrgError", "Translated"} <= coded
    found = [problem for path, tree in modules for problem in _uncoded(path, tree, coded)]
    assert found == []


def test_the_scan_catches_sentences_and_unknown_codes():
    tree = ast.parse('def f(x):\n'
                     '    raise NotFound(f"no case {x}")\n'
                     'def g():\n'
                     '    raise Conflict("no_such_code")\n'
                     'def h(document, e):\n'
                     '    return [document.problem(e, "is wrong"), ValidationFailed({"a": "bad"}),\n'
                     '            Problem("f", 1, None, "m")]\n')
    found = _uncoded("engine/x.py", tree, {"OpsflowError", "FieldError", "NotFound", "Conflict", "ValidationFailed"})
    assert len(found) == 5, found


def test_every_code_is_used():
    # The web raises a few engine errors of its own (its settings: webui/config.py); its texts name every code.
    sources = [*_sources(), *_sources(ROOT / "webui")]
    literals = {node.value for path, tree in sources if path not in ("engine/error_codes.py", "webui/error_texts.py")
                for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    schemas = "".join(path.read_text("utf-8") for path in (ENGINE / "definitions").glob("*.yaml"))
    unused = {code for code in CODES if code not in literals and f"x-error: {code}" not in schemas}
    assert unused == set()
