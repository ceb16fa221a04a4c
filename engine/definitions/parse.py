"""SpiffWorkflow parsing of a package: timers normalised, errors located, specs cached per version."""
import functools
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.definitions.documents import SCHEMA_LOCK, bpmn, parse_xml
from engine.definitions.model import Package, Problem
from engine.definitions.timers import TIMER_KINDS, quote_iso
from engine.definitions.xmlguard import XmlRefused
from engine.errors import PackageError


def normalise_timers(root: etree._Element) -> etree._Element:
    """Quote bare ISO 8601 timer values in place: modelers write PT5M, SpiffWorkflow evaluates Python."""
    for element in root.iter(*(bpmn(kind) for kind in TIMER_KINDS)):
        if element.text:
            element.text = quote_iso(element.text)
    return root


def _read(package: Package, path: str) -> etree._Element:
    """Parse one model file of the package, raising PackageError when it is not XML or is refused."""
    file = f"{package.origin}/{path}"
    try:
        return parse_xml(package.files[path])
    except etree.XMLSyntaxError as exc:
        raise PackageError([Problem.coded(file, exc.lineno, None, "xml_not_well_formed", reason=exc.msg)]) from exc
    except XmlRefused as exc:
        raise PackageError([Problem.coded(file, exc.line, None, exc.code, **exc.params)]) from exc


def _located(package: Package, roots: dict[str, etree._Element], exc: ValidationException) -> Problem:
    """A ValidationException as a problem; the parser rarely knows lines, our index does."""
    path = exc.file_name if exc.file_name in roots else next(iter(roots), "")
    line = exc.line_number if isinstance(exc.line_number, int) else None
    if line is None and exc.id and path in roots:
        found = roots[path].xpath("//*[@id=$id]", id=exc.id)
        line = found[0].sourceline if found else None
    return Problem.coded(f"{package.origin}/{path}", line, exc.id or None, "spiff_refused",
                         reason=str(exc.args[0]) if exc.args else str(exc))


def _parse(package: Package) -> tuple[Any, dict[str, Any]]:
    """Run SpiffBpmnParser (with its schema validator) over the package's BPMN and DMN files."""
    parser, process_id = SpiffBpmnParser(validator=VALIDATOR), package.process_id
    roots: dict[str, etree._Element] = {}
    try:
        for path in package.manifest["files"]["bpmn"]:
            roots[path] = normalise_timers(_read(package, path))
            parser.add_bpmn_xml(roots[path], filename=path)
        for path in package.manifest["files"]["dmn"]:
            roots[path] = _read(package, path)
            parser.add_dmn_xml(roots[path], filename=path)
        return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise PackageError([_located(package, roots, exc)]) from exc
    except PackageError:
        raise
    except Exception as exc:  # the parser meets untrusted models; any failure is the package's
        main = package.manifest["files"]["bpmn"][0]
        problem = Problem.coded(f"{package.origin}/{main}", None, None, "spiff_cannot_parse", error=repr(exc))
        raise PackageError([problem]) from exc


def spec_problems(package: Package) -> list[Problem]:
    """What SpiffWorkflow's own parser objects to, as problems (empty when it parses)."""
    try:
        build_specs(package)
    except PackageError as exc:
        return exc.problems
    return []


@functools.lru_cache(maxsize=128)
def build_specs(package: Package) -> tuple[Any, dict[str, Any]]:
    """(spec, subprocess_specs) of the package's process, parsed once per content hash."""
    with SCHEMA_LOCK:
        return _parse(package)
