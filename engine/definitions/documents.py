"""BPMN and DMN files parsed once with lxml, indexed by id and checked against their XSDs."""
import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser import VALIDATOR

from engine.definitions.model import Problem
from engine.definitions.xmlguard import XmlRefused, check_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_PREFIXES = {BPMN_NS: "bpmn:", SPIFF_NS: "spiffworkflow:", **dict.fromkeys(DMN_SCHEMAS, "dmn:")}

# An lxml XMLSchema keeps its error log on the object, so validations must not interleave.
SCHEMA_LOCK = threading.Lock()


def bpmn(tag: str) -> str:
    """The qualified name of a BPMN element."""
    return f"{{{BPMN_NS}}}{tag}"


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML bytes: no DTD, no entities, no network, bounded size (XmlRefused otherwise)."""
    check_xml(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


@dataclass
class Document:
    """One parsed BPMN or DMN file; its elements keep their source lines for problems."""

    path: str
    file: str
    root: etree._Element

    def problem(self, element: etree._Element, code: str, /, **params: Any) -> Problem:
        """A problem of `code` located at an element of this file."""
        return Problem.coded(self.file, element.sourceline, element.get("id"), code, **params)

    def id_at(self, line: int) -> str | None:
        """The id of the first element written on `line`, to name what a schema error is about."""
        for element in self.root.iter():
            if isinstance(element.tag, str) and element.sourceline == line and element.get("id"):
                return element.get("id")
        return None


@dataclass
class Model:
    """Every BPMN and DMN document of a package; `complete` is False when some file was unreadable."""

    bpmn: list[Document]
    dmn: list[Document]
    complete: bool = True

    def elements(self, *tags: str) -> Iterator[tuple[Document, etree._Element]]:
        """Yield (document, element) for every BPMN element with one of these local names."""
        qualified = [bpmn(tag) for tag in tags]
        for document in self.bpmn:
            for element in document.root.iter(*qualified):
                yield document, element

    def process_ids(self) -> set[str | None]:
        """Ids of the processes a call activity may call."""
        return {element.get("id") for _, element in self.elements("process")}


def _plain(message: str) -> str:
    """Shorten an XSD message: prefixes instead of namespaces, no list of expected elements."""
    for namespace, prefix in _PREFIXES.items():
        message = message.replace(f"{{{namespace}}}", prefix)
    return message.split(" Expected is")[0]


def _xsd_problems(document: Document, data: bytes, schema: etree.XMLSchema, kind: str,
                  preprocess: Callable[[etree._Element], object] | None = None) -> list[Problem]:
    """Every schema violation of a document; validated on a fresh tree as preprocessing edits it."""
    tree = parse_xml(data)
    if preprocess:
        preprocess(tree)
    with SCHEMA_LOCK:
        valid = schema.validate(tree)
        errors = [] if valid else [(error.line, error.message) for error in schema.error_log]
    return [
        Problem.coded(document.file, line, document.id_at(line), "xsd_violation", schema=kind, reason=_plain(text))
        for line, text in errors
    ]


@functools.cache
def _dmn_schema(path: str) -> etree.XMLSchema:
    """The compiled XSD of one DMN version (compiling takes a while, so once per process)."""
    return BpmnValidator(path).validator


def _load(path: str, data: bytes, origin: str, kind: str) -> tuple[Document | None, list[Problem]]:
    """Return (Document or None, problems) for one BPMN or DMN file."""
    file = f"{origin}/{path}"
    try:
        document = Document(path, file, parse_xml(data))
    except etree.XMLSyntaxError as exc:
        return None, [Problem.coded(file, exc.lineno, None, "xml_not_well_formed", reason=exc.msg)]
    except XmlRefused as exc:
        return None, [Problem.coded(file, exc.line, None, exc.code, **exc.params)]
    if kind == "bpmn":
        return document, _xsd_problems(document, data, VALIDATOR.validator, "BPMN 2.0", VALIDATOR.preprocess)
    namespace = etree.QName(document.root).namespace
    if namespace not in DMN_SCHEMAS:
        return None, [Problem.coded(file, document.root.sourceline, None, "not_dmn", namespace=namespace)]
    return document, _xsd_problems(document, data, _dmn_schema(DMN_SCHEMAS[namespace]), "DMN")


def load_model(files: Mapping[str, bytes], listed: Mapping[str, list[str]], origin: str) -> tuple[Model, list[Problem]]:
    """Return (Model, problems) for the listed .bpmn and .dmn files present in `files`."""
    model = Model([], [])
    problems: list[Problem] = []
    for kind in ("bpmn", "dmn"):
        for path in listed.get(kind, []):
            if path not in files:
                model.complete = False
            else:
                document, found = _load(path, files[path], origin, kind)
                problems.extend(found)
                if document is None:
                    model.complete = False
                else:
                    getattr(model, kind).append(document)
    return model, problems
