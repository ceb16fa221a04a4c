"""DMN checks: SpiffWorkflow runs one table per file and silently skips what it cannot match."""
import ast
import functools
from collections.abc import Callable

from lxml import etree

from engine.definitions.documents import SPIFF_NS, Document, Model, bpmn
from engine.definitions.expressions import expression_error
from engine.definitions.model import Problem

# A tag in one DMN file's namespace: q("rule") -> "{...DMN13...}rule".
Qualify = Callable[[str], str]


def _qualified(namespace: str | None, tag: str) -> str:
    """A DMN tag in the file's own DMN version (1.1, 1.2 and 1.3 differ only in namespace)."""
    return f"{{{namespace}}}{tag}"


def _cell(entry: etree._Element, q: Qualify) -> str | None:
    """The text of an input or output entry, None when empty or `-` (any value)."""
    text = entry.find(q("text"))
    value = (text.text or "").strip() if text is not None else ""
    return None if value in ("", "-") else value


def input_entry_error(input_source: str, entry: str) -> str | None:
    """Compile an input entry the way SpiffWorkflow's DMN engine combines it with its input."""
    if "?" in entry:
        candidate = entry.replace("?", "dmninputexpr")
    else:
        try:
            ast.parse(entry)
            candidate = f"({input_source}) == ({entry})"
        except SyntaxError:
            candidate = f"{input_source} {entry}"
    return expression_error(candidate)


def _input_problems(document: Document, table: etree._Element, q: Qualify) -> tuple[list[str | None], list[Problem]]:
    """(input expressions, problems): inputs need an expression the sandbox compiles."""
    sources: list[str | None] = []
    problems: list[Problem] = []
    for column in table.iterchildren(q("input")):
        text = column.find(f"{q('inputExpression')}/{q('text')}")
        source = (text.text or "").strip() if text is not None else ""
        error = expression_error(source) if source else None
        if not source:
            problems.append(document.problem(column, "dmn_input_no_expression"))
        elif error:
            problems.append(document.problem(column, "not_compiling", what="input expression", reason=error))
        sources.append(None if error or not source else source)
    for column in table.iterchildren(q("output")):
        if not column.get("name"):
            problems.append(document.problem(column, "dmn_output_no_name"))
    return sources, problems


def _rule_problems(document: Document, rule: etree._Element, sources: list[str | None], outputs: int,
                   q: Qualify) -> list[Problem]:
    """Entries of one rule: as many as the table has columns, each compiling in the sandbox."""
    inputs, results = list(rule.iterchildren(q("inputEntry"))), list(rule.iterchildren(q("outputEntry")))
    if len(inputs) != len(sources) or len(results) != outputs:
        return [document.problem(rule, "dmn_rule_entries", inputs=len(inputs), outputs=len(results),
                                 table_inputs=len(sources), table_outputs=outputs)]
    problems = []
    for entry, source in zip(inputs, sources, strict=True):
        text = _cell(entry, q)
        error = input_entry_error(source, text) if text and source else None
        if error:
            problems.append(document.problem(entry, "dmn_entry_not_compiling", what="input", entry=text, reason=error))
    for entry in results:
        text = _cell(entry, q)
        error = expression_error(text) if text else None
        if error:
            problems.append(document.problem(entry, "dmn_entry_not_compiling", what="output", entry=text, reason=error))
    return problems


def _table_problems(document: Document, table: etree._Element, q: Qualify) -> list[Problem]:
    """A decision table without rules, or with columns or cells that cannot work."""
    sources, problems = _input_problems(document, table, q)
    rules = list(table.iterchildren(q("rule")))
    if not rules:
        problems.append(document.problem(table, "dmn_no_rules"))
    outputs = len(list(table.iterchildren(q("output"))))
    for rule in rules:
        problems.extend(_rule_problems(document, rule, sources, outputs, q))
    return problems


def _document_problems(document: Document, decisions: set[str | None]) -> list[Problem]:
    """Problems of one DMN file; records its decision ids in `decisions`."""
    q = functools.partial(_qualified, etree.QName(document.root).namespace)
    found = list(document.root.iterchildren(q("decision")))
    problems = []
    if len(found) != 1:
        problems.append(document.problem(document.root, "dmn_decision_count", count=len(found)))
    for decision in found:
        if decision.get("id") in decisions:
            problems.append(document.problem(decision, "dmn_duplicate_decision"))
        decisions.add(decision.get("id"))
        tables = list(decision.iterchildren(q("decisionTable")))
        if not tables:
            problems.append(document.problem(decision, "dmn_no_table"))
        for table in tables:
            problems.extend(_table_problems(document, table, q))
    return problems


def decision_problems(model: Model) -> list[Problem]:
    """Every DMN problem, and business rule tasks calling decisions the package lacks."""
    decisions: set[str | None] = set()
    problems: list[Problem] = []
    for document in model.dmn:
        problems.extend(_document_problems(document, decisions))
    if not model.complete:
        return problems
    for document, task in model.elements("businessRuleTask"):
        called = task.find(f"{bpmn('extensionElements')}/{{{SPIFF_NS}}}calledDecisionId")
        decision = (called.text or "").strip() if called is not None else ""
        if not decision:
            problems.append(document.problem(task, "business_rule_no_decision"))
        elif decision not in decisions:
            problems.append(document.problem(task, "business_rule_unknown_decision", decision=decision))
    return problems
